"""Managing staff accounts: create, reset a password, unlock, deactivate and reactivate, change the role or the
department. Every change is audited.

Two guards keep the center administrable: an administrator never deactivates, demotes or moves themselves (another
administrator must do it, so a slip cannot lock the only one out), and no change may leave an administrator role
that has an active holder without one (三员分立: with no security administrator nobody could unlock an account or
reset a lost authenticator, with no system administrator nobody could manage accounts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from . import audit
from .database import DbSession
from .departments import Department
from .errors import Conflict, InvalidInput, NotFound
from .passwords import check_strength, hash_password
from .permissions import DEPARTMENT_ROLES, ROLE_LABELS, Role
from .staff import StaffSession, StaffUser

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
ADMINISTRATOR_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who performs an administrative action: a staff member, or the command line (id None)."""

    id: int | None
    name: str
    ip_address: str | None = None


CLI_ACTOR = Actor(id=None, name="cli")


def normalize_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: DbSession, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == normalize_username(username)))


def get_user(session: DbSession, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("该工作人员账户不存在", code="user_not_found")
    return user


def create_staff_user(
    session: DbSession,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    department_code: str | None,
    actor: Actor,
    now: datetime,
    wecom_userid: str | None = None,
    password_hash: str | None = None,
) -> StaffUser:
    """``password_hash``, when given, is ``password`` hashed earlier: the demo accounts share one password, and one
    Argon2 hash of it (a tenth of a second each) serves them all."""
    username = normalize_username(username)
    if not _USERNAME.match(username):
        raise InvalidInput("用户名须为3-40位小写字母、数字或 . _ -", code="invalid_username")
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput("未知的角色", code="unknown_role") from None
    department = _department_for_role(session, role_value, department_code)
    check_strength(password)
    if session.scalar(select(func.count()).where(StaffUser.username == username)):
        raise Conflict("用户名已存在", code="username_taken")
    user = StaffUser(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=password_hash or hash_password(password),
        role=role_value.value,
        department_id=department.id if department else None,
        password_changed_at=now,
        created_at=now,
        wecom_userid=wecom_userid,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.created",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=f"staff_user:{user.id}",
        details={"username": username, "role": role_value.value},
        now=now,
    )
    return user


def reset_password(session: DbSession, user: StaffUser, new_password: str, *, actor: Actor, now: datetime) -> None:
    """Set a new password, clear any lock, and end every open session of the account."""
    check_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.failed_login_count = 0
    user.locked_until = None
    revoke_all_sessions(session, user, now=now)
    audit.record(
        session,
        "user.password_reset",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=f"staff_user:{user.id}",
        now=now,
    )


def unlock(session: DbSession, user: StaffUser, *, actor: Actor, now: datetime) -> None:
    user.failed_login_count = 0
    user.locked_until = None
    audit.record(
        session,
        "user.unlocked",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=f"staff_user:{user.id}",
        now=now,
    )


def deactivate(session: DbSession, user: StaffUser, *, actor: Actor, now: datetime) -> None:
    """Stop an account: it can no longer log in and every open session ends at once (tokens stay unusable even
    if reactivated later). Deactivating an inactive account changes nothing."""
    _refuse_own_account(user, actor, "不能停用自己的账户，请由另一位系统管理员操作")
    if not user.is_active:
        return
    _keep_an_administrator(session, user, new_role=None)
    user.is_active = False
    revoke_all_sessions(session, user, now=now)
    _record(session, "user.deactivated", user, actor, now, {"username": user.username})


def reactivate(session: DbSession, user: StaffUser, *, actor: Actor, now: datetime) -> None:
    """Let a stopped account log in again (with its password; any lock is cleared)."""
    if user.is_active:
        return
    user.is_active = True
    user.failed_login_count = 0
    user.locked_until = None
    _record(session, "user.reactivated", user, actor, now, {"username": user.username})


def change_role(
    session: DbSession,
    user: StaffUser,
    *,
    role: str,
    department_code: str | None,
    actor: Actor,
    now: datetime,
) -> None:
    """Give an account another role and/or department. Its sessions end, so the next login works with the new
    permissions from the start (and, for an administrator role, asks for the second factor)."""
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput("未知的角色", code="unknown_role") from None
    department = _department_for_role(session, role_value, department_code)
    if user.role == role_value.value and user.department_id == (department.id if department else None):
        return
    _refuse_own_account(user, actor, "不能更改自己的角色或所属单位，请由另一位系统管理员操作")
    if user.is_active:
        _keep_an_administrator(session, user, new_role=role_value)
    before = {"role": user.role, "department": user.department.code if user.department else None}
    user.role = role_value.value
    user.department = department
    revoke_all_sessions(session, user, now=now)
    _record(
        session,
        "user.role_changed",
        user,
        actor,
        now,
        {
            "username": user.username,
            "from": before,
            "to": {"role": role_value.value, "department": department.code if department else None},
        },
    )


def _refuse_own_account(user: StaffUser, actor: Actor, message: str) -> None:
    if actor.id is not None and actor.id == user.id:
        raise Conflict(message, code="own_account")


def _keep_an_administrator(session: DbSession, user: StaffUser, *, new_role: Role | None) -> None:
    """Refuse a change that takes away the last active holder of an administrator role."""
    role = Role(user.role)
    if role not in ADMINISTRATOR_ROLES or role == new_role:
        return
    others = session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == role.value, StaffUser.is_active.is_(True), StaffUser.id != user.id)
    )
    if not others:
        raise Conflict(
            f"{user.username} 是唯一在用的{ROLE_LABELS[role]}，请先为该角色设置另一个账户",
            code="last_administrator",
            details={"role": role.value},
        )


def _record(
    session: DbSession, action: str, user: StaffUser, actor: Actor, now: datetime, details: dict[str, object]
) -> None:
    audit.record(
        session,
        action,
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=f"staff_user:{user.id}",
        details=details,
        now=now,
    )


def revoke_all_sessions(session: DbSession, user: StaffUser, *, now: datetime) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def list_users(session: DbSession) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def _department_for_role(session: DbSession, role: Role, department_code: str | None) -> Department | None:
    if role not in DEPARTMENT_ROLES:
        if department_code:
            raise InvalidInput("只有承办单位角色可以关联承办单位", code="department_not_allowed")
        return None
    if not department_code:
        raise InvalidInput("承办单位角色必须关联一个承办单位", code="department_required")
    department = session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise InvalidInput("承办单位不存在", code="unknown_department")
    return department


def department_staff(session: DbSession, department_id: int) -> list[StaffUser]:
    """The active handlers and heads of one department (to hand a case to within it)."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.department_id == department_id, StaffUser.is_active.is_(True))
            .order_by(StaffUser.username)
        )
    )
