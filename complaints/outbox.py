"""The outbox: messages to send, written in the same transaction as the change that causes them.

:func:`enqueue` is the only writer; ``notifications/delivery.py`` claims, sends, retries and dead-letters. Payloads carry the reference and statuses, never the complaint's text or
anyone's personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db

AUDIENCES = ("complainant", "department", "center", "hotline")


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("audience IN ('complainant', 'department', 'center', 'hotline')", name="known_audience"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name="known_status"),
        CheckConstraint("audience <> 'department' OR department_id IS NOT NULL", name="department_named"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'sending' OR claimed_until IS NOT NULL", name="sending_is_claimed"),
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(12))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Which claim holds a ``sending`` row: every mark of its outcome is conditional on it, so a worker whose
    # lease ran out (and whose row another relay took over) cannot overwrite the new claimant's record.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(12))
    # When a provider's rate limit first held this message back (since it was written or last resent): a message
    # held too long is dead-lettered so that staff see it (notifications/delivery.py: DEFERRED_AT_MOST).
    deferred_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


def enqueue(
    session: DbSession,
    event: str,
    audience: str,
    *,
    now: datetime,
    complaint_id: int | None = None,
    department_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        event=event,
        audience=audience,
        complaint_id=complaint_id,
        department_id=department_id,
        payload=payload or {},
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.info["outbox_written"] = True
    return message
