"""The relay: deliver whatever the outbox holds that is due, in batches. Used by the embedded runner now and
by RQ jobs later; it takes ids from the rows, so running it twice at once, or again after a crash, only
delivers what is still undelivered (see delivery.claim)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from complaints.cases import Complaint
from complaints.database import utcnow
from complaints.outbox import OutboxMessage

from .delivery import LEASE, ClaimedBatch, Outcome, Sender, claim_batch, renew, send_claimed
from .lease import acquire

log = logging.getLogger(__name__)
BATCH = 200


def relay_once(
    session: Session,
    send: Sender,
    now: Callable[[], datetime] = utcnow,
    batch: int = BATCH,
    lease: timedelta = LEASE,
    lanes: int = 1,
) -> list[Outcome]:
    """Claim a batch of due rows and deliver them; returns one outcome per row this relay sent (or tried to), in
    id order.

    A row is sent only while this relay holds its claim. In the first half of the batch's lease nobody else may
    claim it (another relay takes a row over only once its lease has run out), so it goes without a further
    round trip; a row the relay comes to later (a slow provider) is claimed again first, by a conditional UPDATE
    on the batch's token (:func:`~.delivery.renew`). If another relay took it over meanwhile, that relay owns it
    and it is skipped here. This rests on the workers' clocks agreeing to well within half the lease, as the
    lease itself does.

    With ``lanes`` > 1 (PostgreSQL only) the batch is split over that many threads, each with its own session,
    so one provider's round trip does not hold up the rest. Messages to one recipient stay in one lane, in
    order: a case's messages to its complainant or the hotline, a department's messages to its members (whose
    WeCom rate limits are counted per member). SQLite takes one writer at a time, so there lanes would only
    queue on its lock.
    """
    claimed = claim_batch(session, now(), batch, lease)
    ids = claimed.ids
    if not ids:
        return []
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine

    def deliver_lane(lane_ids: list[int]) -> list[Outcome]:
        # One connection for the whole lane (a session on the engine would give it back at every commit, then
        # check it out and ping it again for the next row), in autocommit: each row's mark is then one statement
        # and one round trip, not BEGIN, UPDATE and COMMIT. Every write of a delivery stands on its own anyway:
        # the claim was committed before, and a mark is final when its UPDATE returns.
        with (
            engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection,
            Session(connection) as lane_session,
        ):
            return _deliver(lane_session, lane_ids, claimed, send, now, lease)

    if lanes <= 1 or len(ids) == 1 or engine.dialect.name != "postgresql":
        return deliver_lane(ids)
    groups = _split_by_recipient(session, ids, lanes)
    with ThreadPoolExecutor(len(groups), thread_name_prefix="relay-lane") as pool:
        outcomes = [outcome for lane in pool.map(deliver_lane, groups) for outcome in lane]
    return sorted(outcomes, key=lambda outcome: outcome.message_id)


def _deliver(
    session: Session,
    ids: list[int],
    claimed: ClaimedBatch,
    send: Sender,
    now: Callable[[], datetime],
    lease: timedelta,
) -> list[Outcome]:
    token, renew_after = claimed.token, claimed.claimed_until - lease / 2
    expire, session.expire_on_commit = session.expire_on_commit, False  # each row's commit must not reload the batch
    try:
        messages = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
        )
        case_ids = {m.complaint_id for m in messages if m.complaint_id is not None}
        # Held for the whole batch: the identity map keeps objects only while someone references them, and the
        # senders look each case up by id.
        cases = list(session.scalars(select(Complaint).where(Complaint.id.in_(case_ids))))
        outcomes = []
        for message in messages:
            # Late in the lease, claim the row again before sending it; skip it if another relay took it over.
            if now() >= renew_after and not renew(session, message.id, token, now(), lease):
                continue
            outcomes.append(send_claimed(session, message, token, send, now))
        del cases
        return outcomes
    finally:
        session.expire_on_commit = expire
        session.expunge_all()


def _split_by_recipient(session: Session, ids: list[int], lanes: int) -> list[list[int]]:
    """Ids in at most ``lanes`` groups, each recipient's in one group in id order, recipients dealt round-robin."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.audience, OutboxMessage.department_id, OutboxMessage.complaint_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    )
    lane_of: dict[tuple[object, ...], int] = {}
    groups: list[list[int]] = [[] for _ in range(lanes)]
    for message_id, audience, department_id, complaint_id in rows:
        recipient = ("department", department_id) if audience == "department" else (audience, complaint_id)
        lane = lane_of.setdefault(recipient, len(lane_of) % lanes)
        groups[lane].append(message_id)
    session.commit()  # end the read transaction before the lanes start theirs
    return [group for group in groups if group]


@dataclass(frozen=True)
class Duty:
    """A periodic job the embedded runner does while it holds the duty's lease."""

    name: str
    every: timedelta
    run: Callable[[Session], object]


class EmbeddedRunner:
    """Without Redis: a daemon thread in the serving process does each duty on its interval, only while it holds
    that duty's database lease, so several processes never relay or sweep at once."""

    def __init__(self, engine: Engine, duties: list[Duty], tick: timedelta = timedelta(seconds=1)) -> None:
        self.engine, self.duties, self.tick = engine, duties, tick
        self.holder = f"{os.uname().nodename}:{os.getpid()}:{threading.get_ident()}"
        self._next_run: dict[str, datetime] = {}
        self._stop = threading.Event()

    def run_due(self, now: datetime) -> dict[str, object]:
        """Run every duty whose time has come and whose lease this runner holds; returns their results."""
        results: dict[str, object] = {}
        for duty in self.duties:
            if now < self._next_run.get(duty.name, now):
                continue
            self._next_run[duty.name] = now + duty.every
            with Session(self.engine) as session:
                if acquire(session, duty.name, self.holder, now, duty.every * 3):
                    results[duty.name] = duty.run(session)
        return results

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="embedded-jobs", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due(utcnow())
            except Exception:  # keep going: the rows stay in the outbox whatever went wrong here
                log.exception("embedded job cycle failed")
            self._stop.wait(self.tick.total_seconds())
