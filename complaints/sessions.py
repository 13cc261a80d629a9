"""Staff login and bearer tokens.

A token is 256 random bits (``secrets.token_urlsafe(32)``), shown once at login; the database keeps only its
SHA-256 digest, so a copy of the database cannot be replayed. A session ends at the first of: logout or
revocation, the absolute lifetime, or the idle timeout. Repeated wrong passwords lock the account for a while;
a burst of failures from one address is refused with 429 before any password is checked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from . import audit
from .accounts import find_user
from .database import DbSession, rows_affected
from .errors import AuthenticationFailed, PermissionDenied, TooManyAttempts
from .masking import mask_name
from .passwords import burn_verification_time, verify_password
from .staff import StaffSession, StaffUser

LAST_SEEN_RESOLUTION = timedelta(seconds=30)
ENDED_SESSIONS_KEPT_FOR = timedelta(days=30)


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=30)
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=12)
    failures_per_ip: int = 30
    ip_window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class LoginSuccess:
    token: str
    staff_session: StaffSession


@dataclass(frozen=True)
class LoginRefused:
    """A refused login. It is returned, not raised, so the failure count and the audit event are committed."""

    error: AuthenticationFailed | PermissionDenied | TooManyAttempts


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(
    session: DbSession, *, username: str, password: str, ip_address: str | None, policy: LoginPolicy, now: datetime
) -> LoginSuccess | LoginRefused:
    if _ip_failures(session, ip_address, policy, now) >= policy.failures_per_ip:
        return LoginRefused(TooManyAttempts("登录失败次数过多，请稍后再试", code="too_many_login_attempts"))
    user = find_user(session, username)
    if user is None or not user.is_active:
        burn_verification_time(password)
        typed = user.username if user else mask_name(username[:80])  # a password typed as a name is not kept
        _failed(session, None, typed, ip_address, now, "unknown_or_inactive")
        return LoginRefused(AuthenticationFailed("用户名或密码错误", code="invalid_credentials"))
    if user.is_locked(now):
        _failed(session, user, user.username, ip_address, now, "locked")
        return LoginRefused(_locked_error(user))
    if not verify_password(user.password_hash, password):
        return LoginRefused(_wrong_password(session, user, ip_address, policy, now))
    return LoginSuccess(*_open_session(session, user, ip_address, policy, now))


def authenticate(session: DbSession, token: str, *, policy: LoginPolicy, now: datetime) -> StaffSession:
    """The live session behind a bearer token, or AuthenticationFailed saying why not."""
    staff_session = session.scalar(select(StaffSession).where(StaffSession.token_digest == token_digest(token)))
    if staff_session is None or staff_session.revoked_at is not None:
        raise AuthenticationFailed("登录凭证无效，请重新登录", code="invalid_token")
    if now >= staff_session.expires_at or now - staff_session.last_seen_at >= policy.idle_timeout:
        raise AuthenticationFailed("登录已超时，请重新登录", code="session_expired")
    if not staff_session.user.is_active:
        raise AuthenticationFailed("账户已停用", code="account_inactive")
    if now - staff_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        staff_session.last_seen_at = now
    return staff_session


def log_out(session: DbSession, staff_session: StaffSession, *, now: datetime) -> None:
    staff_session.revoked_at = now
    user = staff_session.user
    audit.record(session, "auth.logout", actor_id=user.id, actor_name=user.username, now=now)


def _open_session(
    session: DbSession, user: StaffUser, ip_address: str | None, policy: LoginPolicy, now: datetime
) -> tuple[str, StaffSession]:
    token = secrets.token_urlsafe(32)
    staff_session = StaffSession(
        user=user,
        token_digest=token_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute_lifetime,
        ip_address=ip_address,
    )
    session.add(staff_session)
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(
        session, "auth.login_succeeded", actor_id=user.id, actor_name=user.username, ip_address=ip_address, now=now
    )
    return token, staff_session


def _wrong_password(
    session: DbSession, user: StaffUser, ip_address: str | None, policy: LoginPolicy, now: datetime
) -> AuthenticationFailed | PermissionDenied:
    failures = count_failure(session, user)
    _failed(session, user, user.username, ip_address, now, "wrong_password")
    if failures < policy.max_failures:
        return AuthenticationFailed("用户名或密码错误", code="invalid_credentials")
    user.locked_until = now + policy.lockout
    user.failed_login_count = 0
    audit.record(
        session,
        "auth.account_locked",
        actor_id=user.id,
        actor_name=user.username,
        ip_address=ip_address,
        details={"until": user.locked_until.isoformat()},
        now=now,
    )
    return _locked_error(user)


def count_failure(session: DbSession, user: StaffUser) -> int:
    """One more wrong password or code for the account, counted by the database, and the count now.

    Guesses sent in parallel each add one: a read-add-write in Python would let them overwrite each other's counts
    and the account would never lock. On PostgreSQL the UPDATE holds the account's row until the request commits, so
    concurrent guesses count one after another; SQLite has one writer at a time anyway."""
    count = session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_login_count=StaffUser.failed_login_count + 1)
        .returning(StaffUser.failed_login_count),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    set_committed_value(user, "failed_login_count", count)
    return int(count)


def _locked_error(user: StaffUser) -> PermissionDenied:
    return PermissionDenied(
        "多次登录失败，账户已被临时锁定，请稍后再试或联系安全管理员解锁",
        code="account_locked",
        details={"locked_until": user.locked_until.isoformat() if user.locked_until else None},
    )


def _failed(
    session: DbSession, user: StaffUser | None, username: str, ip_address: str | None, now: datetime, reason: str
) -> None:
    audit.record(
        session,
        "auth.login_failed",
        actor_id=user.id if user else None,
        actor_name=username,
        ip_address=ip_address,
        details={"reason": reason},
        now=now,
    )


def _ip_failures(session: DbSession, ip_address: str | None, policy: LoginPolicy, now: datetime) -> int:
    if ip_address is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(audit.AuditEvent)
            .where(
                audit.AuditEvent.action == "auth.login_failed",
                audit.AuditEvent.ip_address == ip_address,
                audit.AuditEvent.occurred_at >= now - policy.ip_window,
            )
        )
        or 0
    )


def forget_ended_sessions(session: DbSession, now: datetime) -> int:
    """Delete logins that ended (expired or revoked) more than a month ago: logins and logouts stay in the audit log,
    and until then a stale token is still told apart (登录已超时) from one that never existed."""
    cutoff = now - ENDED_SESSIONS_KEPT_FOR
    ended = or_(StaffSession.expires_at < cutoff, StaffSession.revoked_at < cutoff)
    return rows_affected(session.execute(delete(StaffSession).where(ended)))
