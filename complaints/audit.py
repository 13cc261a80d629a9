"""The audit trail: logins, logouts, permission denials and administrative changes.

Rows are append-only. No API edits them and the database refuses it too: the migration that creates the table
installs triggers that abort any UPDATE, and any DELETE of a row younger than the retention period (180 days,
等级保护 2.0), on SQLite and PostgreSQL alike. Personal data of complainants never goes into ``details``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db, utcnow

RETENTION_DAYS = 180

ACTION_LABELS = {
    "auth.login_succeeded": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "auth.account_locked": "账户被锁定",
    "auth.permission_denied": "越权访问被拒绝",
    "auth.second_factor_enrolled": "启用动态口令",
    "auth.second_factor_passed": "动态口令验证通过",
    "auth.second_factor_failed": "动态口令错误",
    "user.created": "创建账户",
    "user.password_reset": "重置密码",
    "user.unlocked": "解锁账户",
    "user.deactivated": "停用账户",
    "user.reactivated": "重新启用账户",
    "user.role_changed": "变更角色或单位",
    "user.second_factor_reset": "重置动态口令",
    "personal_data.read": "查看个人信息",
    "identity.revealed": "向承办单位披露诉求人身份",
    "notice.clue_transfer_read": "查阅线索移交单",
    "export.cases": "导出案件清单",
    "export.statistics": "导出统计数据",
    "calendar.year_entered": "录入节假日安排",
    "category.added": "添加问题类型",
    "domain.added": "添加领域",
    "department.added": "添加承办单位",
    "category.auto_route_threshold": "设置自动分办阈值",
    "routing_rule.add": "添加分办规则",
    "routing_rule.delete": "删除分办规则",
    "risk_alert.close": "关闭类案风险提示",
}


def action_label(action: str) -> str:
    """The Chinese name of an audited action (the code itself for one not named here)."""
    return ACTION_LABELS.get(action, action)


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: DbSession,
    action: str,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    target: str | None = None,
    ip_address: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's transaction."""
    event = AuditEvent(
        occurred_at=now or utcnow(),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target=target,
        ip_address=ip_address,
        details=details or {},
    )
    session.add(event)
    return event


def recent_events(
    session: DbSession,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEvent]:
    """Newest first, for the audit administrator; ``before_id`` pages backwards."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))
