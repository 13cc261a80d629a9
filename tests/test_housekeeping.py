"""Hourly housekeeping: uploads a filing never used go after a day, rows and files, attached and recent ones stay;
the WeCom send log past its rate window, staff logins ended a month ago and expired mini-program sessions go."""

from __future__ import annotations

import stat
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from api.settings import upload_store
from channel.accounts import MiniProgramAccount, MiniProgramSession
from channel.uploads import store_upload
from complaints.attachments import Attachment
from complaints.database import db, utcnow
from complaints.staff import StaffSession, StaffUser
from notifications.jobs import run_housekeeping
from notifications.wecom import WeComSend

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

        assert run_housekeeping(db.session(), store, now)["uploads"] == 1
        assert run_housekeeping(db.session(), store, now)["uploads"] == 0
        remaining = set(db.session.scalars(select(Attachment.storage_key)))
        assert remaining == {keys["recent"], keys["attached"]}
        assert {name for name, key in keys.items() if store.path(key).exists()} == {"recent", "attached"}


def test_old_wecom_sends_ended_logins_and_expired_mini_program_sessions_are_forgotten(app: Flask, desk: Desk) -> None:
    now = utcnow()
    with app.app_context():
        handler = db.session.scalars(select(StaffUser).where(StaffUser.username == "samr.handler")).one()
        account = MiniProgramAccount(openid="o-housekeeping", created_at=now, last_login_at=now)
        db.session.add(account)
        db.session.flush()
        for age in (timedelta(hours=2), timedelta(minutes=59)):
            db.session.add(WeComSend(staff_user_id=handler.id, sent_at=now - age))
        for name, created, expires, revoked in (
            ("expired", now - timedelta(days=40), now - timedelta(days=31), None),
            ("revoked", now - timedelta(days=40), now + timedelta(days=1), now - timedelta(days=31)),
            ("lately_expired", now - timedelta(days=9), now - timedelta(days=2), None),
            ("active", now, now + timedelta(hours=8), None),
        ):
            db.session.add(
                StaffSession(
                    user_id=handler.id,
                    token_digest=name.ljust(64, "0"),
                    created_at=created,
                    last_seen_at=created,
                    expires_at=expires,
                    revoked_at=revoked,
                )
            )
        for name, expires in (("gone", now - timedelta(minutes=1)), ("live", now + timedelta(days=6))):
            db.session.add(
                MiniProgramSession(
                    account_id=account.id, token_digest=name.ljust(64, "0"), created_at=now, expires_at=expires
                )
            )
        db.session.commit()

        removed = run_housekeeping(db.session(), upload_store(), now)

        assert {k: v for k, v in removed.items() if k not in ("uploads", "hotline_answers")} == {
            "wecom_sends": 1,
            "staff_sessions": 2,
            "mp_sessions": 1,
        }
        assert [s.sent_at for s in db.session.scalars(select(WeComSend))] == [now - timedelta(minutes=59)]
        kept = set(db.session.scalars(select(StaffSession.token_digest).where(StaffSession.user_id == handler.id)))
        assert {digest.rstrip("0") for digest in kept} == {"lately_expired", "active"}
        assert [m.token_digest.rstrip("0") for m in db.session.scalars(select(MiniProgramSession))] == ["live"]
        assert run_housekeeping(db.session(), upload_store(), now)["staff_sessions"] == 0


def test_uploads_are_encrypted_at_rest_and_files_stored_before_still_read(app: Flask) -> None:
    with app.app_context():
        store = upload_store()
        stored = store_upload(
            db.session,
            store,
            PNG,
            original_name="licence.png",
            purpose="licence",
            account_id=None,
            uploaded_by="complainant",
            now=utcnow(),
        )
        on_disk = store.path(stored.storage_key).read_bytes()
        assert PNG[:8] not in on_disk and store.read(stored.storage_key) == PNG
        assert stat.S_IMODE(store.path(stored.storage_key).stat().st_mode) == 0o600
        store.path("plainfromanolderversion").write_bytes(PNG)
        assert store.read("plainfromanolderversion") == PNG
