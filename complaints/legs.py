"""A department's leg of a case (主办 lead / 协办 assisting): assigned → signed → replied → done (when the case
closes), or objected.

A lead leg's objection sends the case back to triage; an assisting leg's objection only ends that leg. At most
one active lead leg and one active leg per department exist on a case at any time (partial unique indexes).
Extensions (延期) belong to the case: at most one approved, at most 30 days.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, db

if TYPE_CHECKING:
    from .cases import Complaint
    from .departments import Department
    from .staff import StaffUser


class LegStatus(StrEnum):
    ASSIGNED = "assigned"
    SIGNED = "signed"
    REPLIED = "replied"
    OBJECTED = "objected"
    CANCELLED = "cancelled"
    DONE = "done"


ACTIVE_LEG = "status IN ('assigned', 'signed', 'replied')"
MAX_EXTENSION_DAYS = 30


class DepartmentLeg(db.Model):  # type: ignore[name-defined]
    __tablename__ = "department_leg"
    __table_args__ = (
        CheckConstraint(
            "status IN ('assigned', 'signed', 'replied', 'objected', 'cancelled', 'done')", name="known_status"
        ),
        CheckConstraint("role IN ('lead', 'assisting')", name="known_role"),
        CheckConstraint("status <> 'objected' OR objection_reason IS NOT NULL", name="objection_has_reason"),
        CheckConstraint("status NOT IN ('signed', 'replied') OR signed_at IS NOT NULL", name="signed_has_time"),
        CheckConstraint("status <> 'replied' OR (reply IS NOT NULL AND replied_at IS NOT NULL)", name="reply_kept"),
        Index(
            "uq_department_leg_one_active_lead",
            "complaint_id",
            unique=True,
            sqlite_where=text(f"role = 'lead' AND {ACTIVE_LEG}"),
            postgresql_where=text(f"role = 'lead' AND {ACTIVE_LEG}"),
        ),
        Index(
            "uq_department_leg_one_active_per_department",
            "complaint_id",
            "department_id",
            unique=True,
            sqlite_where=text(ACTIVE_LEG),
            postgresql_where=text(ACTIVE_LEG),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply: Mapped[str | None] = mapped_column(Text)
    objection_reason: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)

    complaint: Mapped[Complaint] = relationship(back_populates="legs")
    department: Mapped[Department] = relationship()
    handler: Mapped[StaffUser | None] = relationship()

    @property
    def active(self) -> bool:
        return self.status in (LegStatus.ASSIGNED, LegStatus.SIGNED, LegStatus.REPLIED)


class Extension(db.Model):  # type: ignore[name-defined]
    __tablename__ = "extension"
    __table_args__ = (
        CheckConstraint(f"days BETWEEN 1 AND {MAX_EXTENSION_DAYS}", name="at_most_30_days"),
        CheckConstraint("status IN ('requested', 'approved', 'rejected')", name="known_status"),
        CheckConstraint("status = 'requested' OR decided_at IS NOT NULL", name="decision_has_time"),
        Index(
            "uq_extension_once_per_case",
            "complaint_id",
            unique=True,
            sqlite_where=text("status IN ('requested', 'approved')"),
            postgresql_where=text("status IN ('requested', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    leg_id: Mapped[int] = mapped_column(ForeignKey("department_leg.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)

    leg: Mapped[DepartmentLeg] = relationship()
