"""Default-deny access control for every endpoint, checked in one place.

An endpoint is reachable only if its view is marked :func:`public`, is a mini-program view
(:func:`miniprogram_user`, which needs a mini-program session), or names the staff action it performs with
:func:`requires`; any other endpoint answers 403 to everyone. A staff request carries
``Authorization: Bearer <token>``; whether its role may perform the action is decided by
:func:`complaints.permissions.is_allowed` and nothing else. Denials are audited and the audit row is committed
(the hook returns the 403 instead of raising it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

from channel.accounts import MiniProgramAccount
from channel.accounts import authenticate as authenticate_mp
from complaints import audit, second_factor
from complaints.accounts import Actor
from complaints.database import db, utcnow
from complaints.errors import AuthenticationFailed
from complaints.permissions import Action, is_allowed
from complaints.sessions import authenticate
from complaints.staff import StaffSession, StaffUser

from .errors import domain_error_response, error_response
from .settings import login_policy

View = TypeVar("View", bound=Callable[..., Any])
PUBLIC_BLUEPRINTS = {"api-docs", "api-docs-assets"}
OWN_ACCESS_BLUEPRINTS = {"console"}  # the staff console enforces access itself (cookie session, CSRF)


def public(view: View) -> View:
    """Mark a view as reachable without logging in."""
    view.public = True  # type: ignore[attr-defined]
    return view


def miniprogram_user(view: View) -> View:
    """Mark a view as the mini-program's: it needs a mini-program session token, not a staff one."""
    view.mp_user = True  # type: ignore[attr-defined]
    return view


def current_mp_account() -> MiniProgramAccount:
    account: MiniProgramAccount = g.mp_account
    return account


def requires(action: Action) -> Callable[[View], View]:
    """Mark a view with the one action it performs; the permission table decides who may."""

    def mark(view: View) -> View:
        view.permission = action  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    app.before_request(_enforce_access)


def current_session() -> StaffSession:
    staff_session: StaffSession = g.staff_session
    return staff_session


def current_user() -> StaffUser:
    return current_session().user


def current_actor() -> Actor:
    user = current_user()
    return Actor(id=user.id, name=user.username, ip_address=request.remote_addr)


def _enforce_access() -> Response | None:
    if request.endpoint is None or request.endpoint == "static":
        return None
    if request.blueprint in PUBLIC_BLUEPRINTS or request.blueprint in OWN_ACCESS_BLUEPRINTS:
        return None
    view = current_app.view_functions[request.endpoint]
    if getattr(view, "public", False):
        return None
    token = _bearer_token()
    if token is None:
        return error_response(401, "unauthorized", "请先登录")
    now = utcnow()
    if getattr(view, "mp_user", False):
        try:
            g.mp_account = authenticate_mp(db.session, token, now)
        except AuthenticationFailed as error:
            return domain_error_response(error)
        return None
    try:
        g.staff_session = authenticate(db.session, token, policy=login_policy(), now=now)
    except AuthenticationFailed as error:
        return domain_error_response(error)
    action: Action | None = getattr(view, "permission", None)
    user = current_user()
    if action != Action.VIEW_OWN_ACCOUNT and not second_factor.is_satisfied(g.staff_session):
        return error_response(
            403, "second_factor_required", "请先完成动态口令验证（POST /api/v1/session/second-factor）"
        )
    if action is not None and is_allowed(user.role, action):
        return None
    record_denial(user, action, now)
    return error_response(403, "forbidden", "您的角色无权执行此操作")


def record_denial(user: StaffUser, action: Action | None, now: datetime, **details: object) -> None:
    """Audit a refused request (API or console): who, what they tried, the permission it needed."""
    audit.record(
        db.session,
        "auth.permission_denied",
        actor_id=user.id,
        actor_name=user.username,
        ip_address=request.remote_addr,
        target=f"{request.method} {request.path}"[:200],
        details={"action": str(action) if action else None, "role": user.role, **details},
        now=now,
    )


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
