"""`flask --app api jobs`: the periodic jobs without Redis, in a process of their own (for web servers such as
gunicorn that start no job runner)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from api.config import Config
from complaints.database import db
from triage.records import TriageSuggestion

from .desk import Desk
from .triage_helpers import install_seed_model

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def jobs_env(app: Flask) -> dict[str, str]:
    config: Config = app.extensions["complaints.config"]
    assert config.lookup_hash_key is not None and config.secret_key is not None
    environment = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    return {
        **environment,
        "APP_ENV": "test",
        "DATA_DIR": str(config.data_dir),
        "DATABASE_URL": config.database_url,
        "SECRET_KEY": config.secret_key,
        "DATA_ENCRYPTION_KEYS": ",".join(config.data_encryption_keys),
        "LOOKUP_HASH_KEY": base64.urlsafe_b64encode(config.lookup_hash_key).decode(),
    }


def suggested(app: Flask, complaint_id: int) -> bool:
    with app.app_context():
        found = db.session.scalar(select(TriageSuggestion).where(TriageSuggestion.complaint_id == complaint_id))
        db.session.rollback()
        return found is not None


def test_the_jobs_command_triages_new_cases_without_redis(app: Flask, desk: Desk, seed_models: Path) -> None:
    install_seed_model(app, seed_models)
    case = desk.register(category_code=None, domain_code=None)["case"]
    assert not suggested(app, case["id"])
    process = subprocess.Popen(
        [FLASK, "--app", "api", "jobs"],
        env=jobs_env(app),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not suggested(app, case["id"]):
            assert process.poll() is None, process.communicate()[0].decode()
            assert time.monotonic() < deadline, "no suggestion within 60 s"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)
