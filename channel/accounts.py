"""Mini-program users (小程序用户), their own expiring sessions, consents and subscribe-message grants.

A user is known by the openid WeChat gives for our app. The WeChat ``session_key`` is never stored nor
returned: our own bearer token (256 random bits, stored as its SHA-256) is what the mini-program holds.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column

from complaints.database import DbSession, UTCDateTime, db, rows_affected
from complaints.errors import AuthenticationFailed, InvalidInput
from complaints.sessions import token_digest

SESSION_LIFETIME = timedelta(days=7)
PRIVACY_NOTICE_VERSION = "2026-11"


class MiniProgramAccount(db.Model):  # type: ignore[name-defined]
    __tablename__ = "mp_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64))
    phone_encrypted: Mapped[str | None] = mapped_column(String(400))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    privacy_version: Mapped[str | None] = mapped_column(String(20))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    id_number_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def privacy_accepted(self) -> bool:
        return self.privacy_version == PRIVACY_NOTICE_VERSION


class MiniProgramSession(db.Model):  # type: ignore[name-defined]
    __tablename__ = "mp_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mp_account.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubscriptionGrant(db.Model):  # type: ignore[name-defined]
    """One tap on 订阅 buys one message of one template; a grant is spent by the first message sent with it."""

    __tablename__ = "subscription_grant"
    __table_args__ = (
        Index(
            "ix_subscription_grant_unspent",
            "account_id",
            "template_id",
            sqlite_where=text("spent_at IS NULL"),
            postgresql_where=text("spent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mp_account.id", ondelete="CASCADE"))
    template_id: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def open_session(session: DbSession, account: MiniProgramAccount, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        MiniProgramSession(
            account_id=account.id, token_digest=token_digest(token), created_at=now, expires_at=now + SESSION_LIFETIME
        )
    )
    return token


def authenticate(session: DbSession, token: str, now: datetime) -> MiniProgramAccount:
    account = session.scalar(
        select(MiniProgramAccount)
        .join(MiniProgramSession, MiniProgramSession.account_id == MiniProgramAccount.id)
        .where(MiniProgramSession.token_digest == token_digest(token), MiniProgramSession.expires_at > now)
    )
    if account is None:
        raise AuthenticationFailed("登录已失效，请重新进入小程序", code="mp_session_invalid")
    return account


def record_grants(
    session: DbSession, account: MiniProgramAccount, template_ids: list[str], in_use: Collection[str], now: datetime
) -> int:
    """Grants for the templates the user accepted; only templates in use can be granted (a grant for any other
    would never be spent, and would let a client fill the table with made-up ids)."""
    unknown = sorted(set(template_ids) - set(in_use))
    if unknown:
        raise InvalidInput(
            "订阅的消息模板不存在或未启用，请更新小程序后重试",
            code="unknown_template",
            details={"template_ids": unknown},
        )
    session.add_all(
        SubscriptionGrant(account_id=account.id, template_id=template_id, granted_at=now)
        for template_id in template_ids
    )
    return len(template_ids)


def unspent_grants(session: DbSession, account_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    query = select(SubscriptionGrant.template_id).where(
        SubscriptionGrant.account_id == account_id, SubscriptionGrant.spent_at.is_(None)
    )
    for template_id in session.scalars(query):
        counts[template_id] = counts.get(template_id, 0) + 1
    return counts


def forget_expired_sessions(session: DbSession, now: datetime) -> int:
    """Delete mini-program sessions that expired: an expired token is refused whether its row is there or not."""
    return rows_affected(session.execute(delete(MiniProgramSession).where(MiniProgramSession.expires_at < now)))
