"""A process whose keys are not the ones the database was written with refuses to serve (503 keys_mismatch), instead
of failing to decrypt here and there and writing new rows with the wrong keys."""

from __future__ import annotations

import dataclasses
import secrets

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import delete, select

from api import create_app
from api.settings import config as current_config
from complaints.database import db
from complaints.key_check import KeyCheck

from .desk import Desk


def twin(app: Flask, **keys: object) -> Flask:
    """Another process on the same database and DATA_DIR, with the given keys instead of the first one's."""
    with app.app_context():
        settings = current_config()
    return create_app(dataclasses.replace(settings, **keys))  # type: ignore[arg-type]


def other_keys() -> dict[str, object]:
    return {"data_encryption_keys": (Fernet.generate_key().decode(),), "lookup_hash_key": secrets.token_bytes(32)}


def test_a_process_with_other_keys_refuses_to_serve(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    assert desk.get("supervisor", f"/api/v1/complaints/{case['id']}").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(KeyCheck)).one().encrypted  # written by the first request

    stranger = twin(app, **other_keys()).test_client()
    refused = stranger.get("/api/health")
    assert refused.status_code == 503 and refused.get_json()["code"] == "keys_mismatch"
    assert "DATA_ENCRYPTION_KEYS" in refused.get_json()["message"]
    assert stranger.get("/console/login").status_code == 503
    with (runner := twin(app, **other_keys())).app_context():
        jobs = runner.test_cli_runner().invoke(args=["jobs"])  # as `flask --app api jobs` runs it, in a context
    assert jobs.exit_code != 0 and "DATA_ENCRYPTION_KEYS" in jobs.output  # the job runner does not start

    with app.app_context():
        settings = current_config()
    lookup_only = {"lookup_hash_key": secrets.token_bytes(32)}
    assert (
        twin(app, data_encryption_keys=settings.data_encryption_keys, **lookup_only)
        .test_client()
        .get("/api/health")
        .status_code
        == 503
    )
    rotated = (Fernet.generate_key().decode(), *settings.data_encryption_keys)  # a new key first, the old one kept
    assert twin(app, data_encryption_keys=rotated).test_client().get("/api/health").status_code == 200


def test_a_database_from_before_the_check_is_checked_against_its_stored_data(app: Flask, desk: Desk) -> None:
    desk.register()
    with app.app_context():
        db.session.execute(delete(KeyCheck))  # as if written before the check existed
        db.session.commit()
    assert twin(app, **other_keys()).test_client().get("/api/health").status_code == 503
    with app.app_context():
        assert db.session.scalars(select(KeyCheck)).all() == []  # nothing recorded with the wrong keys
    assert twin(app).test_client().get("/api/health").status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(KeyCheck)).all()) == 1


def test_keys_rotate_reencrypts_everything_so_the_old_key_can_go(app: Flask, desk: Desk) -> None:
    from api.settings import upload_store
    from channel.uploads import store_upload
    from complaints.database import utcnow
    from complaints.demo import DEMO_PASSWORD

    case = desk.register()["case"]
    named = desk.detail("supervisor", case["id"])["complainants"][0]["name"]
    with app.app_context():
        settings = current_config()
        photo = store_upload(
            db.session,
            upload_store(),
            b"%PDF-1.4\n%letter\n",
            original_name="letter.pdf",
            purpose="authorization",
            account_id=None,
            uploaded_by="complainant",
            now=utcnow(),
        )
        db.session.commit()
        storage_key = photo.storage_key
    new_key, old_keys = Fernet.generate_key().decode(), settings.data_encryption_keys
    both = twin(app, data_encryption_keys=(new_key, *old_keys))
    with both.app_context():
        rotated = both.test_cli_runner().invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "complainant: " in rotated.output and "uploads: 1 files re-encrypted" in rotated.output

    only_new = twin(app, data_encryption_keys=(new_key,))
    client = only_new.test_client()
    assert client.get("/api/health").status_code == 200
    token = client.post("/api/v1/session", json={"username": "supervisor", "password": DEMO_PASSWORD}).get_json()
    shown = client.get(f"/api/v1/complaints/{case['id']}", headers={"Authorization": f"Bearer {token['token']}"})
    assert shown.get_json()["complainants"][0]["name"] == named
    with only_new.app_context():
        assert upload_store().read(storage_key) == b"%PDF-1.4\n%letter\n"
