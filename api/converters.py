"""URL converters: ``<int:…>`` bounded to what a database key can hold.

werkzeug's converter takes integers of any size, but the keys are PostgreSQL ``integer`` columns (SQLite's reach
further, to signed 64 bits): a larger number in a query fails the request with a 500 on either database. With the
bound, such a path matches no route: a 404 like any other unknown case.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

LARGEST_KEY = 2**31 - 1  # PostgreSQL's integer: the type of the keys an API path or argument names
LARGEST_BIG_KEY = 2**63 - 1  # bigint, SQLite's integer: the audit log's keys


class DatabaseKeyConverter(IntegerConverter):
    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_KEY)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Before any route is added: rules bind their converters when they are registered."""
    app.url_map.converters["int"] = DatabaseKeyConverter


def key_from_text(text: str | None, largest: int = LARGEST_KEY) -> int | None:
    """A key from a form or query string, or None when it is not a number a key's column can hold."""
    if text is None or not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= largest:
        return None
    return int(text)
