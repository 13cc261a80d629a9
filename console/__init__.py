"""The staff web console: server-rendered Chinese pages under /console/, on the same domain functions as the API.

Default-deny: every page but the login form needs a live staff session (a cookie holding the same kind of token
the API uses), the second factor where the user has or must have one, and the permission its view names; every
form carries a CSRF token (Flask-WTF) and a POST without one is refused.
"""

from __future__ import annotations

from flask import Flask

from .blueprint import bp, csrf


def init_app(app: Flask) -> None:
    from . import (  # noqa: F401
        admin,
        admin_accounts,
        admin_reference,
        board,
        cases,
        dashboard,
        desk,
        exports,
        follow_ups,
        intake,
        notices,
        session_pages,
        triage_queue,
    )

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by the console's own hook, never on the API
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the signed session cookie it lives in
    csrf.init_app(app)
    app.register_blueprint(bp)
