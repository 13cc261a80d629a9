"""Deciding a row once when two people decide it at the same time (an extension, a notice's reply, a leg's
signing, a clock's pause).

Each decision reads the row, checks its status and writes the new one. Two requests that both read the row before
either committed would both pass the check and both write: an extension both rejected and granted, two replies
to one notice. :func:`hold` closes that gap: it writes the row without changing it and reloads it, before the
check. The write takes the row's lock on PostgreSQL (a concurrent ``UPDATE`` waits for the first transaction and
then sees its result) and the database's write lock on SQLite (which has no ``SELECT ... FOR UPDATE``), so the
check that follows sees the latest committed status and the second decision is refused (409) instead of written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import InstrumentedAttribute

from .database import DbSession


def hold(session: DbSession, row: Any, status: InstrumentedAttribute[str]) -> None:
    """Lock ``row`` until the transaction ends and reload it; ``status`` is the column its decisions change (it is
    written back unchanged)."""
    model = type(row)
    session.execute(
        update(model).where(model.id == row.id).values({status: status}).execution_options(synchronize_session=False)
    )
    session.refresh(row)
