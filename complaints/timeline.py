"""The case timeline: one event per step, public (the complainant sees it) or internal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .database import DbSession, UTCDateTime, db

ACTION_LABELS = {
    "submitted": "已提交",
    "handler_assigned": "指定承办人",
    "accept": "已受理",
    "reject": "不予受理",
    "merge": "已并案处理",
    "transfer": "已转送",
    "withdraw": "已撤回",
    "assign": "已交办承办单位",
    "leg_sign": "承办单位已签收",
    "extension_granted": "办理期限延长",
    "lead_replied": "承办单位已答复",
    "close": "已办结",
    "follow_up": "回访",
    "reopen": "重新办理",
    "recheck_requested": "已申请复查",
    "recheck_concluded": "复查已完成",
    "clock_paused": "办理时限暂停",
    "clock_resumed": "办理时限恢复",
    "query_code_reissued": "查询码已重置",
    "material_added": "已补充材料",
    "content_flagged": "内容待人工审核",
    "lead_signed": "主办单位已签收",
    "lead_objected": "主办单位提出异议",
    "leg_object": "承办单位提出异议",
    "leg_reply": "承办单位答复",
    "leg_send_back": "退回承办单位重办",
    "leg_cancel": "撤销交办",
    "leg_complete": "承办事项办结",
    "begin_review": "中心开始审核",
    "send_back": "退回重办",
    "extension_requested": "申请延期",
    "extension_rejected": "延期申请未获批准",
    "identity_revealed": "向承办单位披露身份",
    "merged_in": "他案并入",
    "notice_issued": "签发通知单",
    "notice_replied": "通知单已回复",
    "classified": "修改分类",
    "triage_suggested": "分流建议",
    "supervision_raised": "提高督办级别",
}
# Public events whose note is written for the complainant; other notes stay internal even on public events.
NOTES_FOR_COMPLAINANT = frozenset(
    {
        "reject",
        "merge",
        "transfer",
        "assign",
        "extension_granted",
        "close",
        "follow_up",
        "reopen",
        "recheck_requested",
        "recheck_concluded",
        "query_code_reissued",
        "material_added",
    }
)


class TimelineEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "timeline_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def public_note(self) -> str | None:
        return self.note if self.action in NOTES_FOR_COMPLAINANT else None


def events_for(session: DbSession, complaint_id: int, *, public_only: bool = False) -> list[TimelineEvent]:
    query = select(TimelineEvent).where(TimelineEvent.complaint_id == complaint_id).order_by(TimelineEvent.id)
    if public_only:
        query = query.where(TimelineEvent.public.is_(True))
    return list(session.scalars(query))
