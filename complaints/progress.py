"""Public progress lookup by reference and query code.

The answer is the same for an unknown reference and a wrong code, and both cost the same (a keyed hash and a
constant-time comparison). Failures are counted per client and per reference, under keyed hashes (no IP
address is ever stored in clear); past the limits the lookup is locked for a while, for existing and
non-existing references alike, so the lock itself reveals nothing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import BigInteger, Integer, String, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from .cases import STATUS_LABELS, CaseStatus, Complaint
from .crypto import PersonalDataCipher
from .database import DbSession, UTCDateTime, db, rows_affected
from .deadlines import Clock, Deadline
from .errors import NotFound, TooManyAttempts
from .intake import query_code_digest
from .timeline import TimelineEvent, events_for
from .workdays import china_day

WRONG = "受理编号或查询码不正确"
_DUMMY_DIGEST = "0" * 64


@dataclass(frozen=True)
class LookupLimits:
    per_client: int = 20
    per_reference: int = 5
    window: timedelta = timedelta(minutes=15)


class LookupFailure(db.Model):  # type: ignore[name-defined]
    """One failed lookup, kept only as keyed hashes of the client and of the reference tried."""

    __tablename__ = "lookup_failure"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_hash: Mapped[str] = mapped_column(String(64), index=True)
    reference_hash: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class Progress:
    reference: str
    status: str
    status_label: str
    submitted_on: date
    acceptance_decided_by: date | None
    timeline: list[TimelineEvent]
    conclusion: str | None
    rejection_reason: str | None
    lawful_channel: str | None


@dataclass(frozen=True)
class LookupRefused:
    """Returned, not raised, so that the failure is committed and counts toward the limits."""

    error: NotFound | TooManyAttempts


def look_up(
    session: DbSession,
    cipher: PersonalDataCipher,
    *,
    reference: str,
    query_code: str,
    client: str,
    limits: LookupLimits,
    now: datetime,
) -> Progress | LookupRefused:
    reference = reference.strip().upper()
    client_hash = cipher.lookup_hash("lookup-client:" + client)
    reference_hash = cipher.lookup_hash("lookup-reference:" + reference)
    limited = _limit_reached(session, client_hash, reference_hash, limits, now)
    if limited is not None:
        return LookupRefused(limited)
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    expected = complaint.query_code_hash if complaint is not None else _DUMMY_DIGEST
    matches = hmac.compare_digest(expected, query_code_digest(cipher, query_code))
    if complaint is None or not matches:
        forget_old_failures(session, limits, now)
        session.add(LookupFailure(client_hash=client_hash, reference_hash=reference_hash, occurred_at=now))
        return LookupRefused(NotFound(WRONG, code="wrong_reference_or_code"))
    return progress_of(session, complaint)


def progress_of(session: DbSession, complaint: Complaint) -> Progress:
    """What the complainant may see: status, the public timeline, and the outcome, never internal notes."""
    triage = session.scalar(
        select(Deadline).where(Deadline.complaint_id == complaint.id, Deadline.clock == Clock.TRIAGE)
    )
    status = CaseStatus(complaint.status)
    return Progress(
        reference=complaint.reference,
        status=status.value,
        status_label=STATUS_LABELS[status],
        submitted_on=china_day(complaint.submitted_at),
        acceptance_decided_by=triage.last_day if triage is not None else None,
        timeline=events_for(session, complaint.id, public_only=True),
        conclusion=complaint.conclusion if status == CaseStatus.CLOSED else None,
        rejection_reason=complaint.rejection_reason,
        lawful_channel=complaint.lawful_channel,
    )


def forget_old_failures(session: DbSession, limits: LookupLimits, now: datetime) -> int:
    """Failures older than two windows no longer count toward any limit: delete them (indexed on the time)."""
    result = session.execute(delete(LookupFailure).where(LookupFailure.occurred_at < now - 2 * limits.window))
    return rows_affected(result)


def _limit_reached(
    session: DbSession, client_hash: str, reference_hash: str, limits: LookupLimits, now: datetime
) -> TooManyAttempts | None:
    since = now - limits.window

    def failures(column: InstrumentedAttribute[str], value: str) -> int:
        return session.scalar(select(func.count()).where(column == value, LookupFailure.occurred_at >= since)) or 0

    if failures(LookupFailure.client_hash, client_hash) >= limits.per_client:
        return TooManyAttempts("查询过于频繁，请15分钟后再试", code="lookup_rate_limited")
    if failures(LookupFailure.reference_hash, reference_hash) >= limits.per_reference:
        return TooManyAttempts("该受理编号查询失败次数过多，已暂时锁定，请15分钟后再试", code="lookup_locked")
    return None
