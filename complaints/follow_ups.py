"""回访: the complainant's verdict after closure, one row per round (a redo starts a new round)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from .cases import CaseStatus, Complaint
from .database import DbSession, UTCDateTime, db
from .departments import Department
from .paging import Page, page_of


class FollowUp(db.Model):  # type: ignore[name-defined]
    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint("outcome IN ('satisfied', 'dissatisfied')", name="known_outcome"),
        CheckConstraint("source IN ('complainant', 'staff')", name="known_source"),
        UniqueConstraint("complaint_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(12))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass
class FollowUpCounts:
    department: Department
    visited: int = 0
    satisfied: int = 0
    dissatisfied: int = 0


def follow_up_work_list(session: DbSession, page: int = 1, per_page: int = 20) -> Page[Complaint]:
    """Closed cases not yet visited (no rating from the complainant, no call recorded), longest waiting first,
    a page at a time with the count of all of them."""
    query = (
        select(Complaint)
        .where(Complaint.status == CaseStatus.CLOSED.value, Complaint.follow_up_outcome.is_(None))
        .order_by(Complaint.closed_at, Complaint.id)
    )
    return page_of(session, query, page, per_page)


def follow_up_counts(session: DbSession) -> list[FollowUpCounts]:
    """回访 per lead department: visits, satisfied, dissatisfied (each dissatisfied verdict reopened the case)."""
    rows = session.execute(
        select(Department, FollowUp.outcome)
        .join(Complaint, Complaint.id == FollowUp.complaint_id)
        .join(Department, Department.id == Complaint.lead_department_id)
    ).all()
    counts: dict[int, FollowUpCounts] = {}
    for department, outcome in rows:
        row = counts.setdefault(department.id, FollowUpCounts(department))
        row.visited += 1
        row.satisfied += outcome == "satisfied"
        row.dissatisfied += outcome == "dissatisfied"
    return sorted(counts.values(), key=lambda r: r.department.code)
