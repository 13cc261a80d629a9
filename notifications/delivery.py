"""Delivering the outbox: claim a row, call its sender, record the outcome.

The rows are the record; queues only say "look at the outbox now". A row is claimed with one conditional
UPDATE (``status`` still deliverable and no live claim), committed before any provider is called, so two
workers never both send it. A claim carries a lease and a random token: a worker that dies mid-delivery leaves
a ``sending`` row whose lease runs out, and the next relay claims it again under a new token. A row is sent only
while its claim holds (renewed first when the lease is half gone), and every mark of an outcome is an UPDATE
conditional on the token, so a worker that lost its claim can neither send the row again nor overwrite the new
claimant's record. Failures are retried on an explicit backoff schedule; after the last attempt (also when the
last attempt's worker never finished) the row is dead-lettered, visible to staff, who may resend it.

The one window no code can close: a crash after the provider accepted a message and before we recorded it.
That row is sent again when its lease expires (at-least-once); everything outside that window is sent once,
provided a provider call never outlasts the lease (the providers' timeouts are seconds, the lease minutes).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, Update, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from complaints.database import DbSession
from complaints.errors import Conflict, NotFound
from complaints.outbox import OutboxMessage

log = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=2)
DEFERRED_AT_MOST = timedelta(days=3)


class DeliveryError(Exception):
    """A sender could not deliver. ``permanent`` errors are dead-lettered at once (retrying cannot help)."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


class DeliveryDeferred(Exception):
    """Not now, and not a failure: a provider's rate limit says when the message may go (it is not an attempt)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until


Sender = Callable[[Session, OutboxMessage, datetime], str]
"""Delivers one message at an instant and answers which channel carried it ('wechat', 'sms', 'in_app' …)."""


@dataclass(frozen=True)
class Outcome:
    message_id: int
    status: str
    channel: str | None = None
    error: str | None = None


def deliverable(now: datetime):  # type: ignore[no-untyped-def]
    """Rows a relay should look at: new, due for a retry, or claimed by a worker whose lease ran out (unless that
    was its last attempt: see :func:`dead_letter_abandoned`)."""
    return or_(
        OutboxMessage.status == "pending",
        (OutboxMessage.status == "failed") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now) & ~_out_of_attempts(),
    )


def _out_of_attempts() -> ColumnElement[bool]:
    return OutboxMessage.attempts >= MAX_ATTEMPTS


WORKER_NEVER_FINISHED = "worker never finished: the claim's lease ran out on the last attempt"


def dead_letter_abandoned(session: Session, now: datetime) -> list[int]:
    """Dead-letter rows whose last attempt's worker never finished (its lease ran out): a message that kills its
    worker (out of memory, a job timeout) would otherwise be claimed again forever. Part of the caller's
    transaction."""
    abandoned = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now) & _out_of_attempts()
    ids = _lock_free(session, select(OutboxMessage.id).where(abandoned).order_by(OutboxMessage.id))
    if not ids:
        return []
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), abandoned)
        .values(status="dead", claimed_until=None, claim_token=None, last_error=WORKER_NEVER_FINISHED)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    dead = sorted(result.scalars())
    log.warning("outbox messages %s dead: their workers never finished the last attempt", dead)
    return dead


def _lock_free(session: Session, ids: Select[tuple[int]]) -> list[int]:
    """The ids, for an UPDATE that re-checks its own condition; on PostgreSQL locked until the caller commits, and
    without the rows another relay is updating right now (SKIP LOCKED), so concurrent relays neither wait for
    each other nor deadlock. Fetched, not a subquery of the UPDATE: PostgreSQL may run such a subquery again for
    each row it updates, and SKIP LOCKED then hands it the next rows, past any LIMIT."""
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    return list(session.scalars(ids))


def new_claim_token() -> str:
    return secrets.token_hex(16)


def claim(session: Session, message_id: int, now: datetime, lease: timedelta = LEASE) -> str | None:
    """Take the row for this worker and answer the claim's token (which every mark of the outcome needs); None
    when someone else holds it or it no longer needs sending."""
    token = new_claim_token()
    dead_letter_abandoned(session, now)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, deliverable(now))
        .values(status="sending", claimed_until=now + lease, claim_token=token, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token if getattr(result, "rowcount", 0) == 1 else None


@dataclass(frozen=True)
class ClaimedBatch:
    token: str
    ids: list[int]
    claimed_until: datetime


def claim_batch(session: Session, now: datetime, limit: int, lease: timedelta = LEASE) -> ClaimedBatch:
    """Claim up to ``limit`` deliverable rows in one transaction, all under one token.

    The UPDATE re-checks deliverability, so a row another worker claimed in between is not taken; on
    PostgreSQL the candidates are also locked with SKIP LOCKED so concurrent relays pick different rows. This
    reserves the rows: the last of a slow batch may outlive the lease taken here, so a row the relay comes to
    late is claimed again (:func:`renew`) just before it is sent.
    """
    token = new_claim_token()
    dead_letter_abandoned(session, now)
    candidates = _lock_free(
        session, select(OutboxMessage.id).where(deliverable(now)).order_by(OutboxMessage.id).limit(limit)
    )
    if not candidates:
        session.commit()
        return ClaimedBatch(token, [], now + lease)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), deliverable(now))
        .values(status="sending", claimed_until=now + lease, claim_token=token, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(result.scalars())
    session.commit()
    return ClaimedBatch(token, ids, now + lease)


def deliver(
    session: Session, message_id: int, send: Sender, now: Callable[[], datetime], lease: timedelta = LEASE
) -> Outcome | None:
    """Claim, send, record. Idempotent: a row already sent (or held by another worker) is left alone."""
    token = claim(session, message_id, now(), lease)
    if token is None:
        return None
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    return send_claimed(session, message, token, send, now)


_OUTBOX = OutboxMessage.__table__
_HELD = and_(
    _OUTBOX.c.id == bindparam("message_id"), _OUTBOX.c.claim_token == bindparam("token"), _OUTBOX.c.status == "sending"
)
_RELEASED = {"claimed_until": None, "claim_token": None}
# Prebuilt Core UPDATEs by primary key, each conditional on the claim still being this worker's. Not ORM flushes
# or ORM-enabled UPDATEs, whose per-call statement building cost as much as the provider call: these run once or
# twice per delivery. The loaded objects are left as they were; the relay drops them after the batch and
# ``deliver``'s commit expires them.
RENEW = update(_OUTBOX).where(_HELD).values(claimed_until=bindparam("claimed_until"))
MARK_SENT = (
    update(_OUTBOX)
    .where(_HELD)
    .values(status="sent", channel=bindparam("channel"), sent_at=bindparam("sent_at"), last_error=None, **_RELEASED)
)
MARK_FAILED = (
    update(_OUTBOX)
    .where(_HELD)
    .values(
        status=bindparam("new_status"),
        last_error=bindparam("error"),
        next_attempt_at=bindparam("next_attempt_at"),
        **_RELEASED,
    )
)
MARK_DEFERRED = (
    update(_OUTBOX)
    .where(_HELD)
    .values(
        status="failed",
        next_attempt_at=bindparam("until"),
        attempts=_OUTBOX.c.attempts - 1,
        deferred_since=bindparam("since"),
        last_error="deferred: provider rate limit",
        **_RELEASED,
    )
)


def _held(session: Session, statement: Update, message_id: int, token: str, **values: object) -> bool:
    """Run one of the conditional UPDATEs above; False when the claim is no longer this worker's."""
    result = session.connection().execute(statement, {"message_id": message_id, "token": token, **values})
    return bool(getattr(result, "rowcount", 0) == 1)


def renew(session: Session, message_id: int, token: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Extend this worker's claim just before it sends the row; False (and nothing is to be sent) when another
    relay took the row over after the lease ran out, or it was dead-lettered. Final when it returns (the relay's
    lanes run in autocommit)."""
    held = _held(session, RENEW, message_id, token, claimed_until=now + lease)
    session.commit()
    if not held:
        log.warning("outbox message %s: claim lost before sending; its new claimant delivers it", message_id)
    return held


def send_claimed(
    session: Session, message: OutboxMessage, token: str, send: Sender, now: Callable[[], datetime]
) -> Outcome:
    """Send a row this worker holds under ``token`` (just claimed or renewed) and record the outcome in its own
    commit, so at most this one message sits in the window between the provider's acceptance and our record
    of it. Every record is conditional on the claim: if the provider call outlasted the lease and another relay
    took the row over, the outcome is ``claim_lost`` and the row is left to that relay. A message that rate limits
    would hold beyond ``DEFERRED_AT_MOST`` after they first held it is dead-lettered instead, so staff see it among the
    failures and can resend it, rather than it waiting unseen for ever."""
    message_id, attempts, due, held_since = (
        message.id,
        message.attempts,
        message.next_attempt_at,
        message.deferred_since,
    )
    try:
        channel = send(session, message, now())
    except DeliveryDeferred as deferred:
        since = held_since or now()
        if deferred.until - since > DEFERRED_AT_MOST:
            stuck = DeliveryError(f"rate-limited for over {DEFERRED_AT_MOST.days} days", permanent=True)
            return _failed(session, message_id, token, stuck, now(), attempts=attempts, due=due)
        outcome = Outcome(message_id, "deferred")
        return _record(session, message_id, token, MARK_DEFERRED, outcome, until=deferred.until, since=since)
    except DeliveryError as error:
        return _failed(session, message_id, token, error, now(), attempts=attempts, due=due)
    except Exception as error:  # a sender bug must not leave the row claimed until its lease runs out
        log.exception("sender crashed on outbox message %s", message_id)
        session.rollback()  # whatever it left half-done in the session is not to be committed with the mark
        crash = DeliveryError(f"internal error: {type(error).__name__}")
        return _failed(session, message_id, token, crash, now(), attempts=attempts, due=due)
    return _record(
        session, message_id, token, MARK_SENT, Outcome(message_id, "sent", channel), channel=channel, sent_at=now()
    )


def _failed(
    session: Session, message_id: int, token: str, error: DeliveryError, now: datetime, *, attempts: int, due: datetime
) -> Outcome:
    """Back off, or dead-letter after the last attempt (``attempts`` counts this one; ``due``: when it was due)."""
    dead = error.permanent or attempts >= MAX_ATTEMPTS
    status, detail = ("dead" if dead else "failed"), error.detail[:2000]
    next_attempt_at = due if dead else now + BACKOFF[attempts - 1]
    outcome = _record(
        session,
        message_id,
        token,
        MARK_FAILED,
        Outcome(message_id, status, error=detail),
        new_status=status,
        error=detail,
        next_attempt_at=next_attempt_at,
    )
    if outcome.status == status:
        log.warning("outbox message %s %s after attempt %s", message_id, status, attempts)
    return outcome


def _record(
    session: Session, message_id: int, token: str, statement: Update, outcome: Outcome, **values: object
) -> Outcome:
    """Mark the row with ``outcome`` if this worker still holds it, and commit what the sender wrote (grants,
    WeCom sends) either way: that happened."""
    held = _held(session, statement, message_id, token, **values)
    session.commit()
    if held:
        return outcome
    log.warning(
        "outbox message %s: claim lost while its provider call ran (%s, not recorded); the lease is too short",
        message_id,
        outcome.status,
    )
    return Outcome(message_id, "claim_lost", outcome.channel, outcome.error)


def messages_in(session: DbSession, status: str, complaint_id: int | None, limit: int) -> list[OutboxMessage]:
    """Newest first, for staff looking at what failed or was dead-lettered."""
    query = select(OutboxMessage).where(OutboxMessage.status == status)
    if complaint_id is not None:
        query = query.where(OutboxMessage.complaint_id == complaint_id)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def resend(session: DbSession, message_id: int, now: datetime) -> OutboxMessage:
    """A staff member sends a dead-lettered (or failed) message again, with a fresh set of attempts.

    One conditional UPDATE: a relay may retry a failed row at the same moment, and a row it has claimed or sent
    in between must not be put back to pending (it would go out twice).
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(("failed", "dead")))
        .values(
            status="pending", attempts=0, next_attempt_at=now, claimed_until=None, claim_token=None, deferred_since=None
        )
        .execution_options(synchronize_session=False)
    )
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        raise NotFound("消息不存在", code="message_not_found")
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict("该消息当前不是发送失败状态（可能已被重发或已发送），无需重发", code="not_failed")
    return message
