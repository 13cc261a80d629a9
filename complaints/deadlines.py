"""The deadline clocks: one per leg of a case (center triage, the center's 交办 while an accepted case waits for a
department, a department's signing window and handling, center review, 复查, a notice's reply), counted on the
working-day calendar.

A clock stores its inputs (start, length, unit, paused time, extension, an external cap such as a 12345 work
order's own deadline) and its computed end, so the periodic sweep finds due clocks by index on
``(state, ends_at)`` and a provisional end can be recounted when an unknown year's schedule is entered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, and_, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db
from .workdays import CHINA_TZ, PeriodUnit, WorkingCalendar, china_day, end_of_day

_UNITS = ", ".join(f"'{unit.value}'" for unit in PeriodUnit)


class Clock(StrEnum):
    TRIAGE = "triage"
    ASSIGNMENT = "assignment"
    SIGN = "sign"
    HANDLING = "handling"
    REVIEW = "review"
    RECHECK = "recheck"
    NOTICE_REPLY = "notice_reply"


CLOCK_LABELS = {
    Clock.TRIAGE: "中心受理",
    Clock.ASSIGNMENT: "中心交办",
    Clock.SIGN: "签收/异议",
    Clock.HANDLING: "承办单位办理",
    Clock.REVIEW: "中心审核",
    Clock.RECHECK: "复查",
    Clock.NOTICE_REPLY: "通知单回复",
}


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    EXTENDED = "extended"
    STOPPED = "stopped"


OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED, ClockState.EXTENDED)
WARNING_WORKDAYS = 2  # the department is warned when this many working days are left


class Deadline(db.Model):  # type: ignore[name-defined]
    __tablename__ = "deadline"
    __table_args__ = (
        CheckConstraint("length > 0", name="positive_length"),
        CheckConstraint(f"unit IN ({_UNITS})", name="known_unit"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("state IN ('running', 'paused', 'extended', 'stopped')", name="known_state"),
        CheckConstraint("state <> 'paused' OR paused_at IS NOT NULL", name="paused_has_time"),
        CheckConstraint("state <> 'stopped' OR stopped_at IS NOT NULL", name="stopped_has_time"),
        CheckConstraint("extension_days BETWEEN 0 AND 30", name="extension_at_most_30_days"),
        CheckConstraint("paused_units >= 0", name="paused_units_not_negative"),
        CheckConstraint("escalation_step BETWEEN 0 AND 3", name="known_escalation_step"),
        Index("ix_deadline_state_ends_at", "state", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("department_leg.id", ondelete="CASCADE"), index=True)
    clock: Mapped[str] = mapped_column(String(16), default=Clock.HANDLING.value)
    state: Mapped[str] = mapped_column(String(10), default=ClockState.RUNNING.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    length: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    paused_units: Mapped[int] = mapped_column(Integer, default=0)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    cap_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_day: Mapped[date] = mapped_column(Date, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    provisional: Mapped[bool] = mapped_column(default=False, index=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_open(self) -> bool:
        return self.state != ClockState.STOPPED

    def overdue(self, now: datetime) -> bool:
        end = self.stopped_at if self.state == ClockState.STOPPED else now
        return end is not None and end >= self.ends_at


def start_deadline(
    session: DbSession,
    calendar: WorkingCalendar,
    *,
    start: datetime,
    length: int,
    unit: PeriodUnit | str,
    now: datetime,
    clock: Clock = Clock.HANDLING,
    complaint_id: int | None = None,
    leg_id: int | None = None,
    cap_at: datetime | None = None,
) -> Deadline:
    deadline = Deadline(
        complaint_id=complaint_id,
        leg_id=leg_id,
        clock=clock.value,
        state=ClockState.RUNNING.value,
        starts_at=start,
        length=length,
        unit=PeriodUnit(unit).value,
        paused_units=0,
        extension_days=0,
        cap_at=cap_at,
    )
    _apply(deadline, calendar, now)
    session.add(deadline)
    return deadline


def stop(deadline: Deadline, now: datetime) -> None:
    if deadline.state != ClockState.STOPPED:
        deadline.state = ClockState.STOPPED.value
        deadline.stopped_at = now


def pause(deadline: Deadline, now: datetime) -> None:
    deadline.state = ClockState.PAUSED.value
    deadline.paused_at = now


def resume(deadline: Deadline, calendar: WorkingCalendar, now: datetime) -> None:
    """Give back the days the clock stood still: whole China days, or working days for a working-day clock. A clock
    that had already run out when it was paused had no time left to keep, and gets none back: counted in days, the
    pause would otherwise give back the day it ran out and the days after it (over a weekend, past the resumption)."""
    assert deadline.paused_at is not None
    paused_from, resumed_on = china_day(deadline.paused_at), china_day(now)
    if deadline.unit == PeriodUnit.WORKING_DAYS:
        units = calendar.workdays_between(paused_from, resumed_on)
    else:
        units = (resumed_on - paused_from).days
    if deadline.paused_at < deadline.ends_at:
        deadline.paused_units += units
    deadline.paused_at = None
    deadline.state = (ClockState.EXTENDED if deadline.extension_days else ClockState.RUNNING).value
    _apply(deadline, calendar, now)


def restart(deadline: Deadline, calendar: WorkingCalendar, now: datetime) -> None:
    """Run a stopped clock again with the time it had left when it stopped: the days it stood stopped (and paused
    before that, if it was) are given back as a pause's are, so the new end is ``now`` plus what remained, in the
    clock's own unit (whole days, or working days). The sweep's marks are reset for the later end."""
    if deadline.state != ClockState.STOPPED:
        return
    deadline.paused_at = deadline.paused_at or deadline.stopped_at
    deadline.stopped_at = None
    deadline.state = ClockState.PAUSED.value
    resume(deadline, calendar, now)


def extend(deadline: Deadline, days: int, calendar: WorkingCalendar, now: datetime) -> None:
    deadline.extension_days = days
    if deadline.state != ClockState.PAUSED:
        deadline.state = ClockState.EXTENDED.value
    _apply(deadline, calendar, now)


def recount_for_year(session: DbSession, calendar: WorkingCalendar, year: int, *, now: datetime) -> int:
    """Recount, on the current calendar, every provisional deadline and every open one whose days run into
    ``year`` (whose schedule was just entered or corrected); returns how many became firm."""
    year_ends = datetime.combine(date(year + 1, 1, 1), datetime.min.time(), CHINA_TZ)
    runs_into_year = and_(
        Deadline.state.in_([state.value for state in OPEN_STATES]),
        Deadline.starts_at < year_ends,
        Deadline.last_day >= date(year, 1, 1),
    )
    firmed = 0
    for deadline in session.scalars(select(Deadline).where(or_(Deadline.provisional.is_(True), runs_into_year))):
        was_provisional = deadline.provisional
        _apply(deadline, calendar, now)
        firmed += was_provisional and not deadline.provisional
    return firmed


def provisional_count(session: DbSession) -> int:
    return session.scalar(select(func.count()).where(Deadline.provisional.is_(True))) or 0


def clocks_of(session: DbSession, complaint_id: int) -> list[Deadline]:
    return list(session.scalars(select(Deadline).where(Deadline.complaint_id == complaint_id).order_by(Deadline.id)))


def open_clock(session: DbSession, complaint_id: int, clock: Clock, leg_id: int | None = None) -> Deadline | None:
    query = select(Deadline).where(
        Deadline.complaint_id == complaint_id,
        Deadline.clock == clock.value,
        Deadline.state.in_([state.value for state in OPEN_STATES]),
    )
    if leg_id is not None:
        query = query.where(Deadline.leg_id == leg_id)
    return session.scalars(query.order_by(Deadline.id.desc())).first()


def _apply(deadline: Deadline, calendar: WorkingCalendar, now: datetime) -> None:
    period = calendar.count(deadline.starts_at, deadline.length + deadline.paused_units, deadline.unit)
    last_day, ends_at, provisional = period.last_day, period.ends_at, period.provisional
    if deadline.extension_days:
        extended = calendar.count(ends_at - timedelta(seconds=1), deadline.extension_days, PeriodUnit.CALENDAR_DAYS)
        last_day, ends_at, provisional = extended.last_day, extended.ends_at, provisional or extended.provisional
    if deadline.cap_at is not None and deadline.cap_at < ends_at:
        ends_at, last_day = deadline.cap_at, china_day(deadline.cap_at - timedelta(microseconds=1))
        provisional = False
    deadline.last_day = last_day
    deadline.ends_at = ends_at
    deadline.provisional = provisional
    deadline.warn_at = min(
        end_of_day(calendar.workdays_before(last_day, WARNING_WORKDAYS)) - timedelta(days=1), ends_at
    )
    deadline.computed_at = now
    _rearm(deadline, now)


def _rearm(deadline: Deadline, now: datetime) -> None:
    """After the end moved later (an extension, days given back after a pause, a recount), forget the sweep's marks
    whose moment is in the future again, so the department is warned before the new end and the clock can turn
    overdue again at it. A clock that was overdue and no longer is gets its warning again too (at the next sweep
    when the new end is already near): the last word the department had was about the old end.

    The escalation step stays: a level already raised is never lowered, and the next level comes its policy's
    time after the new end (the sweep measures from ``ends_at``)."""
    no_longer_overdue = deadline.overdue_at is not None and deadline.ends_at > now
    if no_longer_overdue:
        deadline.overdue_at = None
    if deadline.warned_at is not None and (
        no_longer_overdue or (deadline.warn_at is not None and deadline.warn_at > now)
    ):
        deadline.warned_at = None
