"""Real RQ worker processes on a real Redis: the relay woken after a commit, Redis down while filing, and a
worker killed mid-delivery."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from api.config import Config
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from notifications.queue import QUEUE_NAME, queue, relay_job
from triage.records import TriageSuggestion

from .desk import Desk
from .fake_hotline import FakeHotline
from .services import REDIS_URL, redis_problem, require
from .test_hotline import SECRET, push

ROOT = Path(__file__).resolve().parent.parent
RQ = str(Path(sys.executable).parent / "rq")
ORDER = {
    "order_id": "12345-W-1",
    "title": "执法检查过于频繁",
    "content": "一个月内被检查四次。",
    "respondent": "市生态环境局",
    "caller": {"kind": "individual", "name": "孙丽", "phone": "13600136000"},
}


@pytest.fixture
def fake_hotline() -> Iterator[FakeHotline]:
    server = FakeHotline(SECRET).start()
    yield server
    server.release.set()
    server.stop()


@pytest.fixture
def config_overrides(fake_hotline: FakeHotline) -> dict[str, Any]:
    require("Redis", redis_problem())
    redis.Redis.from_url(REDIS_URL).flushdb()
    return {
        "hotline_secret": SECRET,
        "hotline_callback_url": fake_hotline.url,
        "redis_url": REDIS_URL,
        "outbox_lease_seconds": 2,
    }


def worker_env(app: Flask) -> dict[str, str]:
    config: Config = app.extensions["complaints.config"]
    assert config.lookup_hash_key is not None and config.secret_key is not None
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "test",
        "DATA_DIR": str(config.data_dir),
        "DATABASE_URL": config.database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": config.secret_key,
        "DATA_ENCRYPTION_KEYS": ",".join(config.data_encryption_keys),
        "LOOKUP_HASH_KEY": base64.urlsafe_b64encode(config.lookup_hash_key).decode(),
        "HOTLINE_SHARED_SECRET": SECRET,
        "HOTLINE_CALLBACK_URL": str(config.hotline_callback_url),
        "OUTBOX_LEASE_SECONDS": str(config.outbox_lease_seconds),
    }


def worker(app: Flask, *, burst: bool) -> subprocess.Popen[bytes]:
    command = [RQ, "worker", "--worker-class", "rq.worker.SimpleWorker", "--url", REDIS_URL, QUEUE_NAME]
    return subprocess.Popen(
        command + (["--burst"] if burst else []),
        env=worker_env(app),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def run_burst(app: Flask) -> str:
    process = worker(app, burst=True)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output.decode()
    return output.decode()


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def hotline_row(app: Flask) -> OutboxMessage:
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.audience == "hotline")).one()
        db.session.expunge(row)
        return row


def test_a_commit_wakes_a_worker_that_delivers(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    push(desk.client, ORDER)
    assert queue(REDIS_URL).count == 2  # the relay, and triage for the new case
    run_burst(app)
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received"]
    assert hotline_row(app).status == "sent"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TriageSuggestion)) == 1
    queue(REDIS_URL).enqueue(relay_job)
    run_burst(app)
    assert len(fake_hotline.received) == 1  # a second relay finds nothing to send


def test_redis_down_while_filing_loses_nothing(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any], tmp_path: Path
) -> None:
    from api import create_app

    from .conftest import make_config

    down = create_app(
        make_config(
            tmp_path / "down",
            app.config["SQLALCHEMY_DATABASE_URI"],
            **{
                **config_overrides,
                "redis_url": "redis://127.0.0.1:1/0",
                "secret_key": app.config["SECRET_KEY"],
                "data_encryption_keys": app.extensions["complaints.config"].data_encryption_keys,
                "lookup_hash_key": app.extensions["complaints.config"].lookup_hash_key,
            },
        )
    )
    response = push(down.test_client(), ORDER)
    assert response.status_code == 201  # the complaint is saved although Redis is unreachable
    assert hotline_row(app).status == "pending"
    queue(REDIS_URL).enqueue(relay_job)  # Redis is back: the periodic relay runs
    run_burst(app)
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received"]
    with down.app_context():
        db.engine.dispose()


def test_a_worker_killed_mid_delivery_still_yields_one_delivery(
    app: Flask, desk: Desk, fake_hotline: FakeHotline, config_overrides: dict[str, Any]
) -> None:
    fake_hotline.hold_first = True
    process = worker(app, burst=False)
    try:
        push(desk.client, ORDER)
        assert fake_hotline.holding.wait(60), "the worker never called the hotline"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    fake_hotline.release.set()
    claimed = hotline_row(app)
    assert claimed.status == "sending" and claimed.claimed_until is not None
    wait_until(lambda: utcnow() > claimed.claimed_until)  # type: ignore[operator]
    queue(REDIS_URL).enqueue(relay_job)
    run_burst(app)
    assert [body["event"] for body in fake_hotline.received] == ["complaint.received"]
    row = hotline_row(app)
    assert row.status == "sent" and row.attempts == 2
