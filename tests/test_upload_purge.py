"""Uploads a filing never used are purged after a day, rows and files; attached and recent ones stay."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from api.settings import upload_store
from channel.uploads import store_upload
from complaints.attachments import Attachment
from complaints.database import db, utcnow
from notifications.jobs import run_upload_purge

from .desk import Desk

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def test_abandoned_uploads_are_purged_and_the_rest_kept(app: Flask, desk: Desk) -> None:
    complaint_id = desk.register()["case"]["id"]
    now = utcnow()
    with app.app_context():
        store = upload_store()

        def upload(age: timedelta) -> Attachment:
            return store_upload(
                db.session,
                store,
                PNG,
                original_name="scene.png",
                purpose="evidence",
                account_id=None,
                uploaded_by="complainant",
                now=now - age,
            )

        abandoned, recent, attached = (
            upload(timedelta(hours=25)),
            upload(timedelta(hours=23)),
            upload(timedelta(days=3)),
        )
        attached.complaint_id = complaint_id
        db.session.commit()
        keys = {"abandoned": abandoned.storage_key, "recent": recent.storage_key, "attached": attached.storage_key}

        assert run_upload_purge(db.session(), store, now) == 1
        assert run_upload_purge(db.session(), store, now) == 0
        remaining = set(db.session.scalars(select(Attachment.storage_key)))
        assert remaining == {keys["recent"], keys["attached"]}
        assert {name for name, key in keys.items() if store.path(key).exists()} == {"recent", "attached"}
