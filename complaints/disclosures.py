"""Revealing a complainant's identity to one department: an explicit, audited decision of a supervisor.

By default (《信访工作条例》Art. 30, 46) departments never learn who complained.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db


class IdentityDisclosure(db.Model):  # type: ignore[name-defined]
    __tablename__ = "identity_disclosure"
    __table_args__ = (UniqueConstraint("complaint_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


def is_disclosed(session: DbSession, complaint_id: int, department_id: int) -> bool:
    return (
        session.scalar(
            select(IdentityDisclosure.id).where(
                IdentityDisclosure.complaint_id == complaint_id, IdentityDisclosure.department_id == department_id
            )
        )
        is not None
    )
