"""The jobs, as functions of a session (and ids where they act on rows), shared by the embedded runner and by
RQ workers. Each owns its transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from channel.accounts import forget_expired_sessions
from channel.hotline import forget_first_answers
from channel.uploads import UploadStore, forget_unattached_uploads
from complaints.calendar_schedule import load_calendar
from complaints.crypto import PersonalDataCipher
from complaints.machine import SYSTEM_ACTOR, CaseContext
from complaints.sessions import forget_ended_sessions
from complaints.sweep import EscalationPolicy, SweepReport, sweep

from .delivery import Outcome, Sender
from .relay import relay_once
from .wecom import forget_old_sends


def run_relay(session: Session, send: Sender, lease: timedelta, lanes: int = 1) -> list[Outcome]:
    """Idempotent: every row is claimed before it is sent, and a sent row is never claimed again."""
    return relay_once(session, send, lease=lease, lanes=lanes)


DEFAULT_POLICY = EscalationPolicy()


def run_sweep(
    session: Session, cipher: PersonalDataCipher, now: datetime, policy: EscalationPolicy = DEFAULT_POLICY
) -> SweepReport:
    """Idempotent: each step marks the clocks it handles in the same UPDATE that selects them."""
    ctx = CaseContext(session, SYSTEM_ACTOR, now, cipher, load_calendar(session))
    report = sweep(ctx, policy)
    session.commit()
    return report


def run_housekeeping(session: Session, store: UploadStore, now: datetime) -> dict[str, int]:
    """Forget what has outlived its use: uploads no filing took within a day (rows, then files), the WeCom send
    log beyond its rate windows, ended staff logins, expired mini-program sessions and the query codes kept a day
    for retried 12345 pushes. Returns what went.

    Idempotent: each step deletes by age, so a second run finds only what aged since. Files go only after their
    rows are committed; if removing one fails, the row is already gone and the file is an orphan no one can reach."""
    storage_keys = forget_unattached_uploads(session, now)
    removed = {
        "uploads": len(storage_keys),
        "wecom_sends": forget_old_sends(session, now),
        "staff_sessions": forget_ended_sessions(session, now),
        "mp_sessions": forget_expired_sessions(session, now),
        "hotline_answers": forget_first_answers(session, now),
    }
    session.commit()
    for storage_key in storage_keys:
        store.path(storage_key).unlink(missing_ok=True)
    return removed
