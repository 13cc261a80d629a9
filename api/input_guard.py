"""Refuse text no one types: U+0000 or a lone surrogate (a JSON ``"\\ud800"`` escape, half of a character pair)
anywhere in a request's path, query, form fields or JSON body.

Neither can be stored: PostgreSQL's text types cannot hold U+0000 (psycopg refuses the parameter, which would fail
the request with a 500 on PostgreSQL and store it on SQLite), and a lone surrogate cannot be encoded as UTF-8 by
either driver. So such a request is refused before any view or query sees it. Uploaded files are not looked at:
binary content is theirs to have.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request

from complaints.errors import InvalidInput

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_characters)


def refuse_unstorable_characters() -> None:
    body = request.get_json(silent=True) if request.is_json else None
    sources = (request.view_args or {}, request.args, request.form if not request.is_json else {}, body)
    refuse_unstorable_in(sources)


def refuse_unstorable_in(value: Any) -> None:
    """For bodies a view parses itself (signed pushes, whose content type is the sender's choice)."""
    if holds_unstorable(value):
        raise InvalidInput(
            "提交的内容含有无法识别的字符（控制字符 U+0000 或不完整的 Unicode 字符）", code="invalid_characters"
        )


def holds_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if hasattr(value, "lists"):  # werkzeug's MultiDict (a dict whose items() gives each key's first value only)
        return any(holds_unstorable(key) or holds_unstorable(items) for key, items in value.lists())
    if isinstance(value, dict):
        return any(holds_unstorable(key) or holds_unstorable(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_unstorable(item) for item in value)
    return False
