"""Delivering the outbox: claim a row, call its sender, record the outcome.

The rows are the record; queues only say "look at the outbox now". A row is claimed with one conditional
UPDATE (``status`` still deliverable and no live claim), committed before any provider is called, so two
workers never both send it. A claim carries a lease: a worker that dies mid-delivery leaves a ``sending`` row
whose lease runs out, and the next relay claims it again. Failures are retried on an explicit backoff
schedule; after the last attempt the row is dead-lettered, visible to staff, who may resend it.

The one window no code can close: a crash after the provider accepted a message and before we recorded it.
That row is sent again when its lease expires (at-least-once); everything outside that window is sent once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from complaints.database import DbSession
from complaints.errors import InvalidInput, NotFound
from complaints.outbox import OutboxMessage

log = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=2)


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
    """Rows a relay should look at: new, due for a retry, or claimed by a worker whose lease ran out."""
    return or_(
        OutboxMessage.status == "pending",
        (OutboxMessage.status == "failed") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
    )


def claim(session: Session, message_id: int, now: datetime, lease: timedelta = LEASE) -> bool:
    """Take the row for this worker; False when someone else holds it or it no longer needs sending."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, deliverable(now))
        .values(status="sending", claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def claim_batch(session: Session, now: datetime, limit: int, lease: timedelta = LEASE) -> list[int]:
    """Claim up to ``limit`` deliverable rows in one statement and one commit; returns their ids.

    The outer WHERE re-checks deliverability, so a row another worker claimed in between is not taken; on
    PostgreSQL the candidates are also locked with SKIP LOCKED so concurrent relays pick different rows.
    """
    candidates = select(OutboxMessage.id).where(deliverable(now)).order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), deliverable(now))
        .values(status="sending", claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(result.scalars())
    session.commit()
    return ids


def deliver(
    session: Session, message_id: int, send: Sender, now: Callable[[], datetime], lease: timedelta = LEASE
) -> Outcome | None:
    """Claim, send, record. Idempotent: a row already sent (or held by another worker) is left alone."""
    if not claim(session, message_id, now(), lease):
        return None
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    return send_claimed(session, message, send, now)


def send_claimed(session: Session, message: OutboxMessage, send: Sender, now: Callable[[], datetime]) -> Outcome:
    """Send a row this worker has claimed and record the outcome in its own commit, so at most this one
    message sits in the window between the provider's acceptance and our record of it."""
    message_id = message.id
    try:
        channel = send(session, message, now())
    except DeliveryDeferred as deferred:
        message.status, message.next_attempt_at, message.claimed_until = "failed", deferred.until, None
        message.attempts -= 1
        message.last_error = "deferred: provider rate limit"
        session.commit()
        return Outcome(message_id, "deferred")
    except DeliveryError as error:
        return _failed(session, message, error, now())
    except Exception as error:  # a sender bug must not leave the row claimed until its lease runs out
        log.exception("sender crashed on outbox message %s", message_id)
        return _failed(session, message, DeliveryError(f"internal error: {type(error).__name__}"), now())
    _mark_sent(session, message_id, channel, now())
    return Outcome(message_id, "sent", channel)


_OUTBOX = OutboxMessage.__table__
MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(
        status="sent", channel=bindparam("channel"), sent_at=bindparam("sent_at"), claimed_until=None, last_error=None
    )
)


def _mark_sent(session: Session, message_id: int, channel: str, now: datetime) -> None:
    """One prepared Core UPDATE by primary key on the session's connection, not an ORM flush or ORM-enabled
    UPDATE (whose per-call statement building cost as much as the provider call): this runs once per delivery.
    The loaded object is left as it was; the relay drops its objects after the batch and ``deliver`` expires them.
    """
    session.connection().execute(MARK_SENT, {"message_id": message_id, "channel": channel, "sent_at": now})
    session.commit()


def messages_in(session: DbSession, status: str, complaint_id: int | None, limit: int) -> list[OutboxMessage]:
    """Newest first, for staff looking at what failed or was dead-lettered."""
    query = select(OutboxMessage).where(OutboxMessage.status == status)
    if complaint_id is not None:
        query = query.where(OutboxMessage.complaint_id == complaint_id)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def resend(session: DbSession, message_id: int, now: datetime) -> OutboxMessage:
    """A staff member sends a dead-lettered (or failed) message again, with a fresh set of attempts."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("消息不存在", code="message_not_found")
    if message.status not in ("dead", "failed"):
        raise InvalidInput("只能重发发送失败的消息", code="not_failed")
    message.status, message.attempts, message.next_attempt_at, message.claimed_until = "pending", 0, now, None
    return message


def _failed(session: Session, message: OutboxMessage, error: DeliveryError, now: datetime) -> Outcome:
    dead = error.permanent or message.attempts >= MAX_ATTEMPTS
    message.status = "dead" if dead else "failed"
    message.last_error = error.detail[:2000]
    message.claimed_until = None
    if not dead:
        message.next_attempt_at = now + BACKOFF[message.attempts - 1]
    session.commit()
    log.warning("outbox message %s %s after attempt %s", message.id, message.status, message.attempts)
    return Outcome(message.id, message.status, error=message.last_error)
