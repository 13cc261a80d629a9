"""Staff account administration (system administrator) and unlocking (security administrator)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from complaints import accounts
from complaints.database import db, utcnow
from complaints.permissions import Action

from ..auth import current_actor, requires
from ..schemas import CreateUserArgs, PasswordArgs, StaffUserSchema

blp = Blueprint("staff_users", __name__, url_prefix="/api/v1/users", description="工作人员账户")


@blp.route("", methods=["GET"])
@blp.response(200, StaffUserSchema(many=True))
@requires(Action.MANAGE_USERS)
def list_users() -> Any:
    return accounts.list_users(db.session)


@blp.route("", methods=["POST"])
@blp.arguments(CreateUserArgs())
@blp.response(201, StaffUserSchema)
@requires(Action.MANAGE_USERS)
def create_user(args: dict[str, Any]) -> Any:
    return accounts.create_staff_user(db.session, **args, actor=current_actor(), now=utcnow())


@blp.route("/<int:user_id>/password", methods=["POST"])
@blp.arguments(PasswordArgs())
@blp.response(200, StaffUserSchema)
@requires(Action.MANAGE_USERS)
def reset_password(args: dict[str, str], user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    accounts.reset_password(db.session, user, args["password"], actor=current_actor(), now=utcnow())
    return user


@blp.route("/<int:user_id>/unlock", methods=["POST"])
@blp.response(200, StaffUserSchema)
@requires(Action.UNLOCK_USERS)
def unlock_user(user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    accounts.unlock(db.session, user, actor=current_actor(), now=utcnow())
    return user
