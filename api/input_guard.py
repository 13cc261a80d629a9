"""Refuse text no one types: U+0000 anywhere in a request's path, query, form fields or JSON body.

PostgreSQL's text types cannot hold it (psycopg refuses the parameter, which would fail the request with a 500 on
PostgreSQL and store it on SQLite), so such a request is refused before any view or query sees it. Uploaded files
are not looked at: binary content is theirs to have.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from complaints.errors import InvalidInput

NUL = "\x00"


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    body = request.get_json(silent=True) if request.is_json else None
    sources = (request.view_args or {}, request.args, request.form if not request.is_json else {}, body)
    refuse_nul_in(sources)


def refuse_nul_in(value: Any) -> None:
    """For bodies a view parses itself (signed pushes, whose content type is the sender's choice)."""
    if holds_nul(value):
        raise InvalidInput("提交的内容含有无法识别的控制字符（U+0000）", code="invalid_characters")


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if hasattr(value, "lists"):  # werkzeug's MultiDict (a dict whose items() gives each key's first value only)
        return any(holds_nul(key) or holds_nul(items) for key, items in value.lists())
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_nul(item) for item in value)
    return False
