"""The one module that owns RQ plumbing: the queue, the job functions workers run, and waking the relay
after a commit.

Workers run ``rq worker --worker-class rq.worker.SimpleWorker notifications`` (no fork per job, so the app
and its connection pool are built once per worker) and one ``rq cron notifications/cron_config.py`` runs the
relay every 10 seconds, triage every 30 seconds, the sweep every minute and housekeeping (abandoned uploads, old
WeCom sends, ended sessions) every hour (filing and the outbox also wake the triage and relay jobs at once). Queue messages carry no data: the outbox
rows are the record, so a lost job, a duplicate job or Redis being down loses nothing; the next relay finds the rows.
Redis must run with ``maxmemory-policy noeviction`` so queued jobs are never evicted.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from typing import Any

import redis
from flask import Flask
from rq import Queue
from sqlalchemy.orm import Session

from complaints.database import db, utcnow

QUEUE_NAME = "notifications"
JOB_TIMEOUT = 300
log = logging.getLogger(__name__)


def queue(redis_url: str) -> Queue:
    connection = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(QUEUE_NAME, connection=connection, default_timeout=JOB_TIMEOUT)


def wake(redis_url: str, *, relay: bool, triage: bool) -> None:
    """Ask a worker to relay or triage now. If Redis is down the rows wait for the next periodic run."""
    try:
        if relay:
            queue(redis_url).enqueue(relay_job, result_ttl=60, failure_ttl=24 * 3600, description="relay outbox")
        if triage:
            queue(redis_url).enqueue(triage_job, result_ttl=60, failure_ttl=24 * 3600, description="triage new cases")
    except redis.RedisError as error:
        log.warning("could not wake the workers (%s); the periodic jobs will catch up", type(error).__name__)


@functools.cache
def _worker_app() -> Flask:
    """The app of this worker process, built from the environment on the first job; a job fails here, before it
    touches a row, when the keys are not the database's (api/key_guard.py)."""
    from api import create_app
    from api.key_guard import ensure_keys_match

    app = create_app()
    with app.app_context():
        ensure_keys_match()
    return app


def relay_job() -> int:
    """Relay the outbox. Idempotent: rows are claimed before they are sent and a sent row is never claimed."""
    from api.settings import config, senders
    from notifications.jobs import run_relay

    with _worker_app().app_context(), Session(db.engine) as session:
        settings = config()
        lease = timedelta(seconds=settings.outbox_lease_seconds)
        return len(run_relay(session, senders(), lease, settings.outbox_send_lanes))


def sweep_job() -> dict[str, Any]:
    """Sweep the deadlines. Idempotent: each step marks the clocks it handles in the UPDATE that selects them."""
    from api.settings import personal_data_cipher
    from notifications.jobs import run_sweep

    with _worker_app().app_context(), Session(db.engine) as session:
        report = run_sweep(session, personal_data_cipher(), utcnow())
        return {"warned": len(report.warned), "overdue": len(report.overdue), "escalated": len(report.escalated)}


def housekeeping_job() -> dict[str, int]:
    """Forget abandoned uploads, old WeCom sends and ended sessions. Idempotent: what a run deletes is gone, and the
    next finds only what aged since."""
    from api.settings import upload_store
    from notifications.jobs import run_housekeeping

    with _worker_app().app_context(), Session(db.engine) as session:
        return run_housekeeping(session, upload_store(), utcnow())


def triage_job() -> int:
    """Suggest for new cases. Idempotent: a case gets one suggestion and only cases without one are picked."""
    from api.settings import personal_data_cipher, triage_policy, triage_store
    from triage.jobs import run_triage

    with _worker_app().app_context(), Session(db.engine) as session:
        return run_triage(session, personal_data_cipher(), utcnow(), triage_store(), triage_policy())
