"""The second factor: TOTP (RFC 6238, 30-second steps, six digits) per staff account.

Optional for everyone, required for the three administrator roles: a session of a user who has a second factor,
or who must have one, reaches nothing but the second-factor pages until a code is verified. Secrets are
encrypted at rest like personal data; a code is accepted once (its time step is remembered), one step of clock
drift either way is tolerated, and wrong codes count towards the same lockout as wrong passwords. A lost
authenticator is reset by the security administrator (or, for the last one, from the command line); the account
then enrols a new one at its next login.
"""

from __future__ import annotations

from datetime import datetime

import pyotp

from . import audit
from .accounts import Actor, revoke_all_sessions
from .crypto import PersonalDataCipher
from .database import DbSession
from .errors import AuthenticationFailed, InvalidInput, PermissionDenied
from .permissions import Role
from .sessions import LoginPolicy, count_failure
from .staff import StaffSession, StaffUser

ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN.value, Role.SECURITY_ADMIN.value, Role.AUDIT_ADMIN.value})
ISSUER = "法治监督中心"


def is_enrolled(user: StaffUser) -> bool:
    return user.totp_secret_encrypted is not None


def is_required(user: StaffUser) -> bool:
    return user.role in ADMIN_ROLES or is_enrolled(user)


def is_satisfied(staff_session: StaffSession) -> bool:
    return staff_session.second_factor_at is not None or not is_required(staff_session.user)


def refuse_replacement_before_verification(staff_session: StaffSession) -> None:
    """An enrolled user replaces their authenticator only in a session that has passed it: otherwise a stolen
    password alone would enrol the thief's phone in place of the owner's."""
    if is_enrolled(staff_session.user) and staff_session.second_factor_at is None:
        raise PermissionDenied("请先输入当前动态口令，再更换绑定的手机", code="second_factor_required")


def start_enrollment(cipher: PersonalDataCipher, user: StaffUser) -> str:
    """A new secret, kept pending until a code from it is confirmed; returns the otpauth:// URI for the app."""
    secret = pyotp.random_base32()
    user.totp_pending_encrypted = cipher.encrypt(secret)
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def pending_uri(cipher: PersonalDataCipher, user: StaffUser) -> str | None:
    if user.totp_pending_encrypted is None:
        return None
    secret = cipher.decrypt(user.totp_pending_encrypted)
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def confirm_enrollment(
    session: DbSession, cipher: PersonalDataCipher, staff_session: StaffSession, code: str, now: datetime
) -> None:
    user = staff_session.user
    refuse_replacement_before_verification(staff_session)
    if user.totp_pending_encrypted is None:
        raise InvalidInput("请先生成动态口令密钥", code="no_pending_second_factor")
    step = _matching_step(cipher.decrypt(user.totp_pending_encrypted), code, now, after=None)
    if step is None:
        raise InvalidInput("动态口令不正确，请核对手机时间后重试", code="invalid_second_factor")
    user.totp_secret_encrypted, user.totp_pending_encrypted, user.totp_last_step = (
        user.totp_pending_encrypted,
        None,
        step,
    )
    staff_session.second_factor_at = now
    audit.record(session, "auth.second_factor_enrolled", actor_id=user.id, actor_name=user.username, now=now)


def verify(
    session: DbSession,
    cipher: PersonalDataCipher,
    staff_session: StaffSession,
    code: str,
    policy: LoginPolicy,
    now: datetime,
) -> None:
    """Mark the session as past its second factor, or count a failure (locking the account like passwords do)."""
    user = staff_session.user
    if user.totp_secret_encrypted is None:
        raise InvalidInput("该账户尚未设置动态口令", code="second_factor_not_enrolled")
    step = _matching_step(cipher.decrypt(user.totp_secret_encrypted), code, now, after=user.totp_last_step)
    if step is None:
        failures = count_failure(session, user)
        audit.record(session, "auth.second_factor_failed", actor_id=user.id, actor_name=user.username, now=now)
        if failures >= policy.max_failures:
            user.failed_login_count, user.locked_until = 0, now + policy.lockout
            staff_session.revoked_at = now
            audit.record(session, "auth.account_locked", actor_id=user.id, actor_name=user.username, now=now)
        raise AuthenticationFailed("动态口令不正确", code="invalid_second_factor")
    user.totp_last_step, user.failed_login_count = step, 0
    staff_session.second_factor_at = now
    audit.record(session, "auth.second_factor_passed", actor_id=user.id, actor_name=user.username, now=now)


def _matching_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """The time step (now, or one either side) whose code this is, unless it was already used."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // 30
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and pyotp.utils.strings_equal(totp.at(step * 30), code):
            return step
    return None


def reset(session: DbSession, user: StaffUser, *, actor: Actor, now: datetime) -> None:
    """Forget the account's authenticator (a lost or replaced phone) and end its sessions: the next login asks
    for a new one to be set up (administrators cannot go further before it is). Resetting an account without
    one changes nothing."""
    if user.totp_secret_encrypted is None and user.totp_pending_encrypted is None:
        return
    user.totp_secret_encrypted = user.totp_pending_encrypted = None
    user.totp_last_step = None
    revoke_all_sessions(session, user, now=now)
    audit.record(
        session,
        "user.second_factor_reset",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=f"staff_user:{user.id}",
        details={"username": user.username},
        now=now,
    )
