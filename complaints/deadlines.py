"""The deadline clock: a period counted on the working-day calendar, stored with its inputs so it can be
recounted when an unknown year's holiday schedule is entered.

Later issues attach deadlines to the legs of a case (center triage, department handling, center review) and
pause or extend them; here a deadline is the counted period itself.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db
from .workdays import PeriodUnit, WorkingCalendar

_UNITS = ", ".join(f"'{unit.value}'" for unit in PeriodUnit)


class Deadline(db.Model):  # type: ignore[name-defined]
    __tablename__ = "deadline"
    __table_args__ = (
        CheckConstraint("length > 0", name="positive_length"),
        CheckConstraint(f"unit IN ({_UNITS})", name="known_unit"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    length: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    last_day: Mapped[date] = mapped_column(Date, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    provisional: Mapped[bool] = mapped_column(default=False, index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


def start_deadline(
    session: DbSession,
    calendar: WorkingCalendar,
    *,
    start: datetime,
    length: int,
    unit: PeriodUnit | str,
    now: datetime,
) -> Deadline:
    deadline = Deadline(starts_at=start, length=length, unit=PeriodUnit(unit).value)
    _apply(deadline, calendar, now)
    session.add(deadline)
    return deadline


def recount_provisional(session: DbSession, calendar: WorkingCalendar, *, now: datetime) -> int:
    """Recount every provisional deadline on the current calendar; returns how many became firm."""
    firmed = 0
    for deadline in session.scalars(select(Deadline).where(Deadline.provisional.is_(True))):
        _apply(deadline, calendar, now)
        firmed += not deadline.provisional
    return firmed


def provisional_count(session: DbSession) -> int:
    return session.scalar(select(func.count()).where(Deadline.provisional.is_(True))) or 0


def _apply(deadline: Deadline, calendar: WorkingCalendar, now: datetime) -> None:
    period = calendar.count(deadline.starts_at, deadline.length, deadline.unit)
    deadline.last_day = period.last_day
    deadline.ends_at = period.ends_at
    deadline.provisional = period.provisional
    deadline.computed_at = now
