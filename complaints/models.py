"""Every model, imported in one place so that Alembic and the tests see the whole schema."""

from .audit import AuditEvent
from .calendar_schedule import CalendarDay, CalendarYear
from .deadlines import Deadline
from .departments import Department
from .staff import StaffSession, StaffUser

__all__ = ["AuditEvent", "CalendarDay", "CalendarYear", "Deadline", "Department", "StaffSession", "StaffUser"]
