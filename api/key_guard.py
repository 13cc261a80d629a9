"""Before a process serves its first request or runs its first job, its keys are compared with the database's check
value (complaints/key_check.py). With the wrong keys every request is refused with 503 ``keys_mismatch``, jobs fail
before they touch a row, ``serve`` and ``jobs`` do not start, and the reason is logged, instead of personal data
failing to decrypt here and there and new rows being written with the wrong keys. The check runs once per process
when it passes, in its own transaction."""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from complaints.crypto import KeysDoNotMatch
from complaints.database import db, utcnow
from complaints.key_check import check_keys

from .settings import personal_data_cipher

log = logging.getLogger(__name__)
CHECKED = "key_check_passed"


def init_app(app: Flask) -> None:
    app.before_request(ensure_keys_match)


def ensure_keys_match() -> None:
    """Raise :class:`KeysDoNotMatch` unless this app's keys open the database's check value (in an app context)."""
    if current_app.extensions.get(CHECKED):
        return
    try:
        with Session(db.engine) as session:
            check_keys(session, personal_data_cipher(), utcnow())
            session.commit()
    except KeysDoNotMatch:
        log.error("DATA_ENCRYPTION_KEYS / LOOKUP_HASH_KEY do not match the database's data: refusing to serve")
        raise
    except IntegrityError:
        return  # another process wrote the check value at the same moment: the next request compares with it
    except DBAPIError:
        log.warning("key check skipped: the database is not reachable or not migrated yet")
        return
    current_app.extensions[CHECKED] = True
