"""12345 hotline work orders pushed to us, under our documented contract (see README, "12345 hotline").

A push is JSON signed with HMAC-SHA256 over ``timestamp + "\\n" + nonce + "\\n" + body`` with the shared
secret, sent in the headers ``X-Hotline-Timestamp``, ``X-Hotline-Nonce`` and ``X-Hotline-Signature`` (hex).
The timestamp must be within five minutes of our clock and a nonce is accepted once. The work order's id is
the idempotency key: a retried push returns the case filed the first time, never a second one.

A platform retries because our first answer never reached it, so a retry within a day gets the first answer's
query code too (kept encrypted for that day only, then forgotten by housekeeping; never once staff reprinted the
receipt, which voids it). Later retries answer ``query_code: null``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from complaints.cases import Complaint
from complaints.complainants import PersonInput
from complaints.database import DbSession, UTCDateTime, db, rows_affected
from complaints.errors import AuthenticationFailed
from complaints.intake import IntakeRecord, file_complaint, query_code_digest
from complaints.machine import CaseContext

WINDOW = timedelta(minutes=5)
CHANNEL = "hotline"
FIRST_ANSWER_KEPT_FOR = timedelta(days=1)


class HotlineNonce(db.Model):  # type: ignore[name-defined]
    __tablename__ = "hotline_nonce"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class HotlineAnswer(db.Model):  # type: ignore[name-defined]
    """The query code a work order's first answer carried, encrypted, for retries of a push whose answer was lost."""

    __tablename__ = "hotline_answer"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True)
    query_code_encrypted: Mapped[str] = mapped_column(String(400))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class SignedPush:
    timestamp: str
    nonce: str
    signature: str
    body: bytes


@dataclass(frozen=True)
class WorkOrderOutcome:
    complaint: Complaint
    query_code: str | None
    duplicate: bool


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(session: DbSession, secret: str, push: SignedPush, now: datetime) -> None:
    """Refuse a push that is badly signed, outside the time window, or a replay of a seen nonce."""
    if not (push.timestamp.isascii() and push.timestamp.isdigit()) or not 8 <= len(push.nonce) <= 64:
        raise AuthenticationFailed("签名参数缺失或格式错误", code="bad_signature")
    expected = sign(secret, push.timestamp, push.nonce, push.body)
    if not hmac.compare_digest(expected, push.signature.lower()):
        raise AuthenticationFailed("签名校验失败", code="bad_signature")
    if abs(now.timestamp() - int(push.timestamp)) > WINDOW.total_seconds():  # seconds: any digits compare
        raise AuthenticationFailed("请求时间戳超出5分钟有效期", code="stale_timestamp")
    session.execute(delete(HotlineNonce).where(HotlineNonce.seen_at < now - 2 * WINDOW))
    if session.get(HotlineNonce, push.nonce) is not None:
        raise AuthenticationFailed("重复的请求（nonce 已使用）", code="replayed_nonce")
    session.add(HotlineNonce(nonce=push.nonce, seen_at=now))
    session.flush()


def receive_work_order(ctx: CaseContext, order: dict[str, object]) -> WorkOrderOutcome:
    """File the work order once; a retried push (same order id) returns the case filed the first time.

    Two pushes of the same order racing each other are settled by the unique index on (channel, external_ref):
    the loser answers 409 and its retry finds the case.
    """
    order_id = str(order["order_id"])
    existing = _existing(ctx.session, order_id)
    if existing is not None:
        return WorkOrderOutcome(existing, _first_answer(ctx, existing), True)
    complaint, code = file_complaint(ctx, to_intake(order))
    ctx.session.add(
        HotlineAnswer(complaint_id=complaint.id, query_code_encrypted=ctx.cipher.encrypt(code), answered_at=ctx.now)
    )
    return WorkOrderOutcome(complaint, code, False)


def _first_answer(ctx: CaseContext, complaint: Complaint) -> str | None:
    """The first answer's query code, while it is kept and still opens the case (a reprint voids it)."""
    answer = ctx.session.get(HotlineAnswer, complaint.id)
    if answer is None or answer.answered_at < ctx.now - FIRST_ANSWER_KEPT_FOR:
        return None
    code = ctx.cipher.decrypt(answer.query_code_encrypted)
    return code if hmac.compare_digest(complaint.query_code_hash, query_code_digest(ctx.cipher, code)) else None


def forget_first_answers(session: DbSession, now: datetime) -> int:
    return rows_affected(
        session.execute(delete(HotlineAnswer).where(HotlineAnswer.answered_at < now - FIRST_ANSWER_KEPT_FOR))
    )


def to_intake(order: dict[str, object]) -> IntakeRecord:
    caller = order.get("caller") or {}
    assert isinstance(caller, dict)
    anonymous = bool(order.get("anonymous"))
    persons = (
        []
        if anonymous
        else [
            PersonInput(
                kind=str(caller.get("kind") or "individual"),
                name=caller.get("name"),
                phone=caller.get("phone"),
                enterprise_name=caller.get("enterprise_name"),
                credit_code=caller.get("credit_code"),
            )
        ]
    )
    return IntakeRecord(
        channel=CHANNEL,
        title=str(order["title"]),
        content=str(order["content"]),
        respondent=str(order["respondent"]),
        place=order.get("place"),  # type: ignore[arg-type]
        category_code=order.get("category_hint"),  # type: ignore[arg-type]
        urgency=str(order.get("urgency") or "normal"),
        confidentiality="anonymous" if anonymous else "confidential",
        persons=persons,
        external_ref=str(order["order_id"]),
        external_due_at=order.get("deadline_at"),  # type: ignore[arg-type]
    )


def _existing(session: DbSession, order_id: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.channel == CHANNEL, Complaint.external_ref == order_id))
