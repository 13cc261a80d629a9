"""Time limits as policy: per clock, optionally per category and urgency, with the legal defaults.

The law fixes some limits (《信访工作条例》: route and answer acceptance within 15 days, object within 5 working
days, handle within 60 days, 复查 within 30 days); hotline and center rules set the rest. Every limit is a row
staff can change; the most specific row wins (category + urgency, then category, then urgency, then the
default row), and the built-in defaults below apply where no row exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db
from .deadlines import Clock
from .workdays import PeriodUnit


@dataclass(frozen=True)
class Limit:
    length: int
    unit: PeriodUnit
    basis: str


DEFAULT_LIMITS: dict[Clock, Limit] = {
    Clock.TRIAGE: Limit(15, PeriodUnit.CALENDAR_DAYS, "《信访工作条例》第22、23条"),
    Clock.ASSIGNMENT: Limit(5, PeriodUnit.WORKING_DAYS, "受理后交办时限（本中心规定）"),
    Clock.SIGN: Limit(5, PeriodUnit.WORKING_DAYS, "《信访工作条例》第23条"),
    Clock.HANDLING: Limit(60, PeriodUnit.CALENDAR_DAYS, "《信访工作条例》第34条"),
    Clock.REVIEW: Limit(5, PeriodUnit.WORKING_DAYS, "中心审核时限（本中心规定）"),
    Clock.RECHECK: Limit(30, PeriodUnit.CALENDAR_DAYS, "《信访工作条例》第35条"),
    Clock.NOTICE_REPLY: Limit(10, PeriodUnit.WORKING_DAYS, "通知单书面回复时限（本中心规定）"),
}
RECHECK_REQUEST_WINDOW_DAYS = 30


class DeadlinePolicy(db.Model):  # type: ignore[name-defined]
    __tablename__ = "deadline_policy"
    __table_args__ = (
        CheckConstraint("length BETWEEN 1 AND 365", name="plausible_length"),
        CheckConstraint("unit IN ('calendar_days', 'working_days')", name="known_unit"),
        CheckConstraint("urgency IS NULL OR urgency IN ('normal', 'urgent', 'critical')", name="known_urgency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clock: Mapped[str] = mapped_column(String(16), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    urgency: Mapped[str | None] = mapped_column(String(10))
    length: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def limit_for(session: DbSession, clock: Clock, *, category_id: int | None, urgency: str | None) -> Limit:
    rows = session.scalars(select(DeadlinePolicy).where(DeadlinePolicy.clock == clock.value)).all()

    def rank(row: DeadlinePolicy) -> int | None:
        if row.category_id not in (None, category_id) or row.urgency not in (None, urgency):
            return None
        return (row.category_id is not None) * 2 + (row.urgency is not None)

    ranked = [(r, row) for row in rows if (r := rank(row)) is not None]
    if not ranked:
        return DEFAULT_LIMITS[clock]
    best = max(ranked, key=lambda pair: pair[0])[1]
    return Limit(best.length, PeriodUnit(best.unit), best.basis)


def set_policy(
    session: DbSession,
    *,
    clock: Clock,
    category_id: int | None,
    urgency: str | None,
    length: int,
    unit: PeriodUnit,
    basis: str,
    now: datetime,
) -> DeadlinePolicy:
    row = session.scalar(
        select(DeadlinePolicy).where(
            DeadlinePolicy.clock == clock.value,
            DeadlinePolicy.category_id.is_(None) if category_id is None else DeadlinePolicy.category_id == category_id,
            DeadlinePolicy.urgency.is_(None) if urgency is None else DeadlinePolicy.urgency == urgency,
        )
    )
    if row is None:
        row = DeadlinePolicy(clock=clock.value, category_id=category_id, urgency=urgency)
        session.add(row)
    row.length, row.unit, row.basis, row.updated_at = length, unit.value, basis, now
    return row


def list_policies(session: DbSession) -> list[DeadlinePolicy]:
    return list(session.scalars(select(DeadlinePolicy).order_by(DeadlinePolicy.clock, DeadlinePolicy.id)))
