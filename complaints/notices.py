"""The three notices (三书): 风险提示单, 问题督办单, 线索移交单, numbered per kind and year, each with a reply
deadline.

A 线索移交单 to the discipline commission runs beside handling and does not end the case. Notices never carry
the complainant's identity unless it was revealed to the receiving department.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, db


class NoticeKind(StrEnum):
    RISK_ALERT = "risk_alert"
    SUPERVISION_NOTICE = "supervision_notice"
    CLUE_TRANSFER = "clue_transfer"


NOTICE_LABELS = {
    NoticeKind.RISK_ALERT: "风险提示单",
    NoticeKind.SUPERVISION_NOTICE: "问题督办单",
    NoticeKind.CLUE_TRANSFER: "线索移交单",
}
NUMBER_PREFIXES = {
    NoticeKind.RISK_ALERT: "法督风提",
    NoticeKind.SUPERVISION_NOTICE: "法督督办",
    NoticeKind.CLUE_TRANSFER: "法督移交",
}


def notice_number(kind: NoticeKind, year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIXES[kind]}〔{year}〕{sequence}号"


class Notice(db.Model):  # type: ignore[name-defined]
    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint("kind IN ('risk_alert', 'supervision_notice', 'clue_transfer')", name="known_kind"),
        CheckConstraint("status IN ('issued', 'replied')", name="known_status"),
        CheckConstraint("status <> 'replied' OR (reply IS NOT NULL AND replied_at IS NOT NULL)", name="reply_kept"),
        CheckConstraint("sequence > 0", name="positive_sequence"),
        UniqueConstraint("kind", "year", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="issued")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reply_deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rectify_by: Mapped[date | None] = mapped_column(Date)

    @property
    def label(self) -> str:
        return NOTICE_LABELS[NoticeKind(self.kind)]
