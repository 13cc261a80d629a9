"""回访: the complainant's verdict after closure, one row per round (a redo starts a new round)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, db


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
