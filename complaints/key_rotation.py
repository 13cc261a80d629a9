"""Re-encrypting personal data with the first of DATA_ENCRYPTION_KEYS, so that an old key can then be dropped.

Rotation: put a new key first in DATA_ENCRYPTION_KEYS (every listed key decrypts, the first encrypts), restart,
run ``flask --app api keys rotate``, then remove the old key. Rows are re-encrypted in batches, each committed on
its own; a run that stops half-way is simply run again (a value already under the first key is re-encrypted
under it once more, which changes nothing that matters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select

from .crypto import PersonalDataCipher
from .database import DbSession

BATCH = 500


def reencrypt_rows(session: DbSession, cipher: PersonalDataCipher, model: Any, columns: Sequence[str]) -> int:
    """Re-encrypt ``columns`` of every row of ``model`` that has any of them; returns how many rows."""
    done, last_id = 0, None
    holding = or_(*(getattr(model, column).is_not(None) for column in columns))
    key = model.__mapper__.primary_key[0]
    while True:
        query = select(model).where(holding).order_by(key).limit(BATCH)
        if last_id is not None:
            query = query.where(key > last_id)
        rows = list(session.scalars(query))
        if not rows:
            return done
        for row in rows:
            for column in columns:
                value = getattr(row, column)
                if value is not None:
                    setattr(row, column, cipher.rotate(value))
        last_id = getattr(rows[-1], key.key)
        session.commit()
        done += len(rows)
