"""Staff account administration (system administrator: create, reset a password, change the role or department,
deactivate and reactivate) and access recovery (security administrator: unlock, reset a lost authenticator)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from complaints import accounts, second_factor
from complaints.database import db, utcnow
from complaints.permissions import Action, Role

from ..auth import current_actor, requires
from ..schemas import CreateUserArgs, PasswordArgs, StaffUserSchema

blp = Blueprint("staff_users", __name__, url_prefix="/api/v1/users", description="工作人员账户")


class AccountSchema(StaffUserSchema):
    second_factor_enrolled = fields.Function(lambda user: user.totp_secret_encrypted is not None)


class RoleArgs(Schema):
    role = fields.String(required=True, validate=validate.OneOf([role.value for role in Role]))
    department_code = fields.String(load_default=None, validate=validate.Length(1, 40))


@blp.route("", methods=["GET"])
@blp.response(200, AccountSchema(many=True))
@requires(Action.MANAGE_USERS)
def list_users() -> Any:
    return accounts.list_users(db.session)


@blp.route("", methods=["POST"])
@blp.arguments(CreateUserArgs())
@blp.response(201, AccountSchema)
@requires(Action.MANAGE_USERS)
def create_user(args: dict[str, Any]) -> Any:
    return accounts.create_staff_user(db.session, **args, actor=current_actor(), now=utcnow())


@blp.route("/<int:user_id>/password", methods=["POST"])
@blp.arguments(PasswordArgs())
@blp.response(200, AccountSchema)
@requires(Action.MANAGE_USERS)
def reset_password(args: dict[str, str], user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    accounts.reset_password(db.session, user, args["password"], actor=current_actor(), now=utcnow())
    return user


@blp.route("/<int:user_id>/role", methods=["PUT"])
@blp.arguments(RoleArgs())
@blp.response(200, AccountSchema)
@requires(Action.MANAGE_USERS)
def change_role(args: dict[str, Any], user_id: int) -> Any:
    """Another role and/or department; the account's sessions end. Refused for one's own account (409
    ``own_account``) and for the last active holder of an administrator role (409 ``last_administrator``)."""
    user = accounts.get_user(db.session, user_id)
    accounts.change_role(db.session, user, **args, actor=current_actor(), now=utcnow())
    return user


@blp.route("/<int:user_id>/deactivate", methods=["POST"])
@blp.response(200, AccountSchema)
@requires(Action.MANAGE_USERS)
def deactivate_user(user_id: int) -> Any:
    """The account can no longer log in and its sessions end at once (same refusals as a role change)."""
    user = accounts.get_user(db.session, user_id)
    accounts.deactivate(db.session, user, actor=current_actor(), now=utcnow())
    return user


@blp.route("/<int:user_id>/activate", methods=["POST"])
@blp.response(200, AccountSchema)
@requires(Action.MANAGE_USERS)
def activate_user(user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    accounts.reactivate(db.session, user, actor=current_actor(), now=utcnow())
    return user


@blp.route("/<int:user_id>/unlock", methods=["POST"])
@blp.response(200, AccountSchema)
@requires(Action.UNLOCK_USERS)
def unlock_user(user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    accounts.unlock(db.session, user, actor=current_actor(), now=utcnow())
    return user


@blp.route("/<int:user_id>/second-factor", methods=["DELETE"])
@blp.response(200, AccountSchema)
@requires(Action.UNLOCK_USERS)
def reset_second_factor(user_id: int) -> Any:
    """Forget a lost authenticator: the account's sessions end and its next login sets up a new one."""
    user = accounts.get_user(db.session, user_id)
    second_factor.reset(db.session, user, actor=current_actor(), now=utcnow())
    return user
