"""Refuse to work with keys that are not the ones the database was written with.

A lost or replaced ``$DATA_DIR/secrets`` (or the product started from another directory, so with another DATA_DIR)
makes a development start generate new keys, and an operator may paste the wrong ones in production. Every
encrypted field would then fail to decrypt, phone searches would silently find nothing, and new rows would be
written with keys the old ones cannot join. So the database keeps a check value: a Fernet token of a known text
and the keyed hash of it, written with the keys of the first start; each process compares its keys with it before
serving (api/key_guard.py). A database from before the check gets it written only if its stored personal data
decrypts with the keys at hand.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .complainants import Complainant
from .crypto import KeysDoNotMatch, PersonalDataCipher
from .database import DbSession, UTCDateTime, db

CHECK_TEXT = "法治监督中心 key check"


class KeyCheck(db.Model):  # type: ignore[name-defined]
    __tablename__ = "key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encrypted: Mapped[str] = mapped_column(String(400))
    lookup_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def check_keys(session: DbSession, cipher: PersonalDataCipher, now: datetime) -> None:
    """Raise :class:`KeysDoNotMatch` unless the keys open the database's check value; write it when there is none
    yet (the caller commits)."""
    check = session.get(KeyCheck, 1)
    if check is not None:
        cipher.decrypt(check.encrypted)
        if not hmac.compare_digest(check.lookup_digest, cipher.lookup_hash(CHECK_TEXT)):
            raise KeysDoNotMatch()
        return
    _check_stored_data(session, cipher)
    session.add(
        KeyCheck(
            id=1, encrypted=cipher.encrypt(CHECK_TEXT), lookup_digest=cipher.lookup_hash(CHECK_TEXT), created_at=now
        )
    )


def _check_stored_data(session: DbSession, cipher: PersonalDataCipher) -> None:
    """For a database written before the check value existed: one stored phone must decrypt and hash as stored."""
    stored = session.execute(
        select(Complainant.phone_encrypted, Complainant.phone_hash)
        .where(Complainant.phone_encrypted.is_not(None), Complainant.phone_hash.is_not(None))
        .limit(1)
    ).first()
    if stored is not None and not hmac.compare_digest(cipher.lookup_hash(cipher.decrypt(stored[0])), stored[1]):
        raise KeysDoNotMatch()
