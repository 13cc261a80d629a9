"""The case timeline: one event per step, public (the complainant sees it) or internal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db


class TimelineEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "timeline_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)


def events_for(session: DbSession, complaint_id: int, *, public_only: bool = False) -> list[TimelineEvent]:
    query = select(TimelineEvent).where(TimelineEvent.complaint_id == complaint_id).order_by(TimelineEvent.id)
    if public_only:
        query = query.where(TimelineEvent.public.is_(True))
    return list(session.scalars(query))
