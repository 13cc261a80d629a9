"""Where wechatpy keeps the access token, shared by every process: Redis when configured, else the database.

wechatpy's own MemoryStorage is per process and ignores TTLs; a token fetched by one worker must be seen by
all, or each would fetch its own. The database store writes in its own short transaction, independent of the
request's, so a rolled-back request never loses a token (and a lost token is only refetched).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Text, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from wechatpy.session import SessionStorage

from complaints.database import UTCDateTime, db, utcnow


class StoredToken(db.Model):  # type: ignore[name-defined]
    __tablename__ = "wechat_token"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DatabaseStorage(SessionStorage):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, key: str, default: Any = None) -> Any:
        with Session(self._engine) as session:
            row = session.get(StoredToken, key)
            if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
                return default
            return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        expires_at = utcnow() + timedelta(seconds=ttl) if ttl else None
        for _ in range(2):  # a concurrent first insert by another process: the second pass updates it
            try:
                with Session(self._engine) as session, session.begin():
                    row = session.get(StoredToken, key)
                    if row is None:
                        session.add(StoredToken(key=key, value=json.dumps(value), expires_at=expires_at))
                    else:
                        row.value, row.expires_at = json.dumps(value), expires_at
                return
            except IntegrityError:
                continue

    def delete(self, key: str) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(delete(StoredToken).where(StoredToken.key == key))

    def keys(self) -> list[str]:
        with Session(self._engine) as session:
            return list(session.scalars(select(StoredToken.key)))
