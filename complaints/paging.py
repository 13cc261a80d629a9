"""One page of a long list: the rows on it and how many there are in all (so a page can say 共 N 件 and link on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from .database import DbSession

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    items: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_of(session: DbSession, query: Select[Any], page: int, per_page: int) -> Page[Any]:
    """The ``page``-th page (from 1) of an ordered single-entity query, with the total count of its rows."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)
