"""Staff accounts and their login sessions (tables only; the rules live in accounts.py and sessions.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, db, utcnow
from .departments import Department
from .permissions import DEPARTMENT_ROLES, Role

_ROLE_LIST = ", ".join(f"'{role.value}'" for role in Role)
_DEPARTMENT_ROLE_LIST = ", ".join(f"'{role.value}'" for role in sorted(DEPARTMENT_ROLES))


class StaffUser(db.Model):  # type: ignore[name-defined]
    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST})", name="known_role"),
        CheckConstraint(
            f"(role IN ({_DEPARTMENT_ROLE_LIST})) = (department_id IS NOT NULL)",
            name="department_roles_have_department",
        ),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    wecom_userid: Mapped[str | None] = mapped_column(String(64))
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(400))
    totp_pending_encrypted: Mapped[str | None] = mapped_column(String(400))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    department: Mapped[Department | None] = relationship()

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class StaffSession(db.Model):  # type: ignore[name-defined]
    """One login. The bearer token itself is never stored: only its SHA-256 digest."""

    __tablename__ = "staff_session"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_creation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(64))
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[StaffUser] = relationship()
