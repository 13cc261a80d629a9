"""Our own message wording (WeCom and in-app texts), with defaults in code that administrators may reword.

Provider templates (SMS, subscribe messages) are pre-approved by the providers and are configured, not
reworded here. A text may use ``{reference}``, ``{number}``, ``{clock_label}`` and ``{level}``; unknown
placeholders render empty.
"""

from __future__ import annotations

import string
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from complaints.database import DbSession, UTCDateTime, db
from complaints.errors import InvalidInput

CHANNELS = ("wecom", "in_app")
PLACEHOLDERS = frozenset({"reference", "number", "clock_label", "level", "status", "days", "respondent", "count"})
DEFAULTS: dict[str, str] = {
    "case.assigned": "新交办案件 {reference}，请在5个工作日内签收或提出异议。",
    "case.sent_back": "案件 {reference} 的答复被中心退回，请补充办理。",
    "case.reopened": "案件 {reference} 诉求人不满意，已重新交办贵单位。",
    "case.supervised": "案件 {reference} 已被督办，请加快办理。",
    "extension.approved": "案件 {reference} 的延期申请已批准。",
    "extension.rejected": "案件 {reference} 的延期申请未获批准。",
    "assist.replied": "协办单位已就案件 {reference} 反馈意见。",
    "notice.issued": "收到法治监督中心通知单 {number}，请按期书面回复。",
    "deadline.warning": "案件 {reference} 的{clock_label}期限即将届满。",
    "deadline.overdue": "案件 {reference} 的{clock_label}已超期，请立即办理。",
    "notice.reply_warning": "通知单 {number} 的书面回复期限即将届满。",
    "notice.reply_overdue": "通知单 {number} 的书面回复已超期，请立即回复。",
    "leg.objected": "案件 {reference} 的承办单位提出异议，请重新分办。",
    "extension.requested": "案件 {reference} 的承办单位申请延期，请审批。",
    "case.replied": "案件 {reference} 的承办单位已答复，请审核。",
    "recheck.requested": "案件 {reference} 的诉求人申请复查。",
    "material.added": "案件 {reference} 的诉求人补充了材料。",
    "risk.alert": "类案风险提示：近期针对{respondent}的投诉已达 {count} 件（最新 {reference}），请研判。",
}
FALLBACK = "您有新的案件消息：{reference}"


class MessageText(db.Model):  # type: ignore[name-defined]
    __tablename__ = "message_text"

    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(session: DbSession, channel: str, event: str, values: dict[str, str]) -> str:
    """The administrators' wording if they set one, else ours. A stored text that cannot be filled in (saved
    before ``reword`` checked placeholders as strictly as it does now) falls back to ours: the message still goes."""
    default = DEFAULTS.get(event, FALLBACK)
    row = session.get(MessageText, (channel, event))
    if row is not None and _placeholders_are_plain(row.text):
        return row.text.format_map(_Blank(values))
    return default.format_map(_Blank(values))


def all_texts(session: DbSession) -> list[dict[str, str]]:
    overrides = {(row.channel, row.event): row.text for row in session.scalars(select(MessageText))}
    return [
        {
            "channel": channel,
            "event": event,
            "text": overrides.get((channel, event), default),
            "default": default,
            "customized": str((channel, event) in overrides).lower(),
        }
        for channel in CHANNELS
        for event, default in DEFAULTS.items()
    ]


def reword(session: DbSession, *, channel: str, event: str, text: str, actor: str, now: datetime) -> MessageText:
    if channel not in CHANNELS or event not in DEFAULTS:
        raise InvalidInput("没有这条消息", code="unknown_message")
    if not text.strip() or not _placeholders_are_plain(text):
        raise InvalidInput(
            f"只能使用这些占位符，写作 {{reference}} 这样：{', '.join(sorted(PLACEHOLDERS))}；花括号本身请写作 {{{{ 或 }}}}",
            code="invalid_placeholder",
        )
    row = session.get(MessageText, (channel, event)) or MessageText(channel=channel, event=event)
    row.text, row.updated_by, row.updated_at = text.strip(), actor, now
    session.add(row)
    return row


def _placeholders_are_plain(text: str) -> bool:
    """Only known names in plain braces: a stray brace, a positional ``{}``, a conversion (``!r``) or a format
    spec (``:d``, ``:>999999999``) would fail, or blow up, when the message is sent, not when it is saved."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return False
    return all(
        name in PLACEHOLDERS and not spec and conversion is None
        for _, name, spec, conversion in parts
        if name is not None
    )
