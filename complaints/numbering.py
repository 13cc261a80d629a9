"""Per-year document numbers (受理编号, 通知单文号), taken with one atomic upsert on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, db


class YearlyCounter(db.Model):  # type: ignore[name-defined]
    __tablename__ = "yearly_counter"

    series: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer)


def _take_number(dialect: Any) -> Any:
    table = YearlyCounter.__table__
    statement = dialect.insert(table).values(series=bindparam("series"), year=bindparam("year"), value=1)
    return statement.on_conflict_do_update(
        index_elements=["series", "year"], set_={"value": table.c.value + 1}
    ).returning(table.c.value)


TAKE_NUMBER = {"sqlite": _take_number(sqlite), "postgresql": _take_number(postgresql)}


def next_number(session: DbSession, series: str, year: int) -> int:
    """The next number of ``series`` in ``year``, starting at 1; concurrent callers never get the same one.

    One prebuilt Core statement on the session's connection (it runs in every filing)."""
    connection = session.connection()
    value: int = connection.execute(TAKE_NUMBER[connection.dialect.name], {"series": series, "year": year}).scalar_one()
    return value
