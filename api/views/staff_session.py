"""Staff login, logout and the current account."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from complaints import second_factor, sessions
from complaints.database import db, utcnow
from complaints.errors import DomainError
from complaints.permissions import Action

from ..auth import current_session, current_user, public, requires
from ..errors import domain_error_response
from ..schemas import LoginArgs, LoginResultSchema, SecondFactorArgs, StaffUserSchema
from ..settings import login_policy, personal_data_cipher

blp = Blueprint("staff_session", __name__, url_prefix="/api/v1", description="工作人员登录")


@blp.route("/session", methods=["POST"])
@blp.arguments(LoginArgs())
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
        "second_factor_required": not second_factor.is_satisfied(outcome.staff_session),
        "user": outcome.staff_session.user,
    }


@blp.route("/session/second-factor", methods=["POST"])
@blp.arguments(SecondFactorArgs())
@blp.response(204)
@requires(Action.VIEW_OWN_ACCOUNT)
def verify_second_factor(args: dict[str, str]) -> Response:
    """Verify a TOTP code for this session (accounts enrol in the console). A wrong code is answered, not raised,
    so that the failure count and its audit event are committed."""
    try:
        second_factor.verify(
            db.session, personal_data_cipher(), current_session(), args["code"], login_policy(), utcnow()
        )
    except DomainError as error:
        return domain_error_response(error)
    return Response(status=204)


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
