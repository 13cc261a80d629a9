"""The relay: deliver whatever the outbox holds that is due, in batches. Used by the embedded runner now and
by RQ jobs later; it takes ids from the rows, so running it twice at once, or again after a crash, only
delivers what is still undelivered (see delivery.claim)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from complaints.database import utcnow

from .delivery import Outcome, Sender, deliver, due_message_ids
from .lease import acquire

log = logging.getLogger(__name__)
BATCH = 200


def relay_once(
    session: Session, send: Sender, now: Callable[[], datetime] = utcnow, batch: int = BATCH
) -> list[Outcome]:
    ids = due_message_ids(session, now(), batch)
    session.rollback()  # end the read transaction before the claims
    outcomes = [deliver(session, message_id, send, now) for message_id in ids]
    return [outcome for outcome in outcomes if outcome is not None]


class EmbeddedRunner:
    """Without Redis: a daemon thread in the serving process relays the outbox every few seconds, only while
    it holds the database lease, so several processes never relay at once."""

    def __init__(self, engine: Engine, send: Sender, interval: timedelta = timedelta(seconds=5)) -> None:
        self.engine, self.send, self.interval = engine, send, interval
        self.holder = f"{os.uname().nodename}:{os.getpid()}:{threading.get_ident()}"
        self._stop = threading.Event()

    def run_cycle(self) -> list[Outcome]:
        with Session(self.engine) as session:
            if not acquire(session, "relay", self.holder, utcnow(), self.interval * 6):
                return []
            return relay_once(session, self.send)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_cycle()
                if delivered:
                    log.info("relayed %d outbox messages", len(delivered))
            except Exception:  # keep relaying: the rows stay in the outbox whatever went wrong here
                log.exception("outbox relay cycle failed")
            self._stop.wait(self.interval.total_seconds())
