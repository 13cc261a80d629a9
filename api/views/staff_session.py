"""Staff login, logout and the current account."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from complaints import sessions
from complaints.database import db, utcnow
from complaints.permissions import Action

from ..auth import current_session, current_user, public, requires
from ..errors import domain_error_response
from ..schemas import LoginArgs, LoginResultSchema, StaffUserSchema
from ..settings import login_policy

blp = Blueprint("staff_session", __name__, url_prefix="/api/v1", description="工作人员登录")


@blp.route("/session", methods=["POST"])
@blp.arguments(LoginArgs)
@blp.response(201, LoginResultSchema)
@public
def log_in(args: dict[str, str]) -> Any:
    policy = login_policy()
    outcome = sessions.log_in(
        db.session,
        username=args["username"],
        password=args["password"],
        ip_address=request.remote_addr,
        policy=policy,
        now=utcnow(),
    )
    if isinstance(outcome, sessions.LoginRefused):
        return domain_error_response(outcome.error)
    return {
        "token": outcome.token,
        "expires_at": outcome.staff_session.expires_at,
        "idle_timeout_seconds": int(policy.idle_timeout.total_seconds()),
        "user": outcome.staff_session.user,
    }


@blp.route("/session", methods=["DELETE"])
@blp.response(204)
@requires(Action.VIEW_OWN_ACCOUNT)
def log_out() -> Response:
    sessions.log_out(db.session, current_session(), now=utcnow())
    return Response(status=204)


@blp.route("/me", methods=["GET"])
@blp.response(200, StaffUserSchema)
@requires(Action.VIEW_OWN_ACCOUNT)
def me() -> Any:
    return current_user()
