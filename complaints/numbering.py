"""Per-year document numbers (受理编号, 通知单文号), taken with one atomic upsert on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, db


class YearlyCounter(db.Model):  # type: ignore[name-defined]
    __tablename__ = "yearly_counter"

    series: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer)


def next_number(session: DbSession, series: str, year: int) -> int:
    """The next number of ``series`` in ``year``, starting at 1; concurrent callers never get the same one."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    table = YearlyCounter.__table__
    statement = dialect.insert(table).values(series=series, year=year, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=["series", "year"], set_={"value": table.c.value + 1}
    ).returning(table.c.value)
    value: int = session.execute(statement).scalar_one()
    return value
