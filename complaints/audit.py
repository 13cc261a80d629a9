"""The audit trail: logins, logouts, permission denials and administrative changes.

Rows are append-only. No API edits them and the database refuses it too: the migration that creates the table
installs triggers that abort any UPDATE, and any DELETE of a row younger than the retention period (180 days,
等级保护 2.0), on SQLite and PostgreSQL alike. Personal data of complainants never goes into ``details``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db, utcnow

RETENTION_DAYS = 180


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: DbSession,
    action: str,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    target: str | None = None,
    ip_address: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's transaction."""
    event = AuditEvent(
        occurred_at=now or utcnow(),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target=target,
        ip_address=ip_address,
        details=details or {},
    )
    session.add(event)
    return event


def recent_events(
    session: DbSession,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEvent]:
    """Newest first, for the audit administrator; ``before_id`` pages backwards."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))
