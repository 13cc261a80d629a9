"""The seed triage model, trained once per test session, and running the triage job in a test."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from api.settings import personal_data_cipher, triage_policy, triage_store
from complaints.database import db, utcnow
from triage.jobs import run_triage


def install_seed_model(app: Flask, seed_models: Path) -> None:
    with app.app_context():
        shutil.copytree(seed_models, triage_store().root)


def run_job(app: Flask) -> int:
    with app.app_context():
        return run_triage(db.session(), personal_data_cipher(), utcnow(), triage_store(), triage_policy())
