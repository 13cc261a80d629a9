"""Every model, imported in one place so that Alembic and the tests see the whole schema."""

from .attachments import Attachment
from .audit import AuditEvent
from .calendar_schedule import CalendarDay, CalendarYear
from .cases import Complaint
from .complainants import Complainant, ComplaintParty
from .deadlines import Deadline
from .departments import Department
from .disclosures import IdentityDisclosure
from .follow_ups import FollowUp
from .key_check import KeyCheck
from .legs import DepartmentLeg, Extension
from .notices import Notice
from .numbering import YearlyCounter
from .outbox import OutboxMessage
from .policies import DeadlinePolicy
from .progress import LookupFailure
from .staff import StaffSession, StaffUser
from .taxonomy import Category, Domain
from .timeline import TimelineEvent

__all__ = [
    "Attachment",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "Category",
    "Complainant",
    "Complaint",
    "ComplaintParty",
    "Deadline",
    "DeadlinePolicy",
    "Department",
    "DepartmentLeg",
    "Domain",
    "Extension",
    "FollowUp",
    "IdentityDisclosure",
    "KeyCheck",
    "LookupFailure",
    "Notice",
    "OutboxMessage",
    "StaffSession",
    "StaffUser",
    "TimelineEvent",
    "YearlyCounter",
]
