"""投诉件: one case from intake to follow-up, and the vocabularies of its separate tracks.

Four tracks are kept apart: the case ``status`` (the state machine in machine.py), the ``supervision_level``,
the deadline clocks (deadlines.py, one per leg), and the follow-up outcome. Check constraints keep the states
that the rules forbid out of the database, whatever code writes to it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .complainants import ComplaintParty
from .database import UTCDateTime, db

if TYPE_CHECKING:
    from .departments import Department
    from .legs import DepartmentLeg
    from .taxonomy import Category, Domain


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"
    TRANSFERRED = "transferred"
    WITHDRAWN = "withdrawn"
    ASSIGNED = "assigned"
    IN_HANDLING = "in_handling"
    REPLIED = "replied"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"


STATUS_LABELS = {
    CaseStatus.SUBMITTED: "待受理",
    CaseStatus.ACCEPTED: "已受理待交办",
    CaseStatus.REJECTED: "不予受理",
    CaseStatus.MERGED: "已并案",
    CaseStatus.TRANSFERRED: "已转送",
    CaseStatus.WITHDRAWN: "已撤回",
    CaseStatus.ASSIGNED: "已交办待签收",
    CaseStatus.IN_HANDLING: "办理中",
    CaseStatus.REPLIED: "已答复待审核",
    CaseStatus.UNDER_REVIEW: "审核中",
    CaseStatus.CLOSED: "已办结",
}


class SupervisionLevel(StrEnum):
    NONE = "none"
    NORMAL = "normal"
    YELLOW = "yellow"
    RED = "red"


SUPERVISION_ORDER = [SupervisionLevel.NONE, SupervisionLevel.NORMAL, SupervisionLevel.YELLOW, SupervisionLevel.RED]
SUPERVISION_LABELS = {
    SupervisionLevel.NONE: "未督办",
    SupervisionLevel.NORMAL: "一般督办",
    SupervisionLevel.YELLOW: "黄牌督办",
    SupervisionLevel.RED: "红牌督办",
}

CHANNELS = ("miniprogram", "hotline", "walkin", "web", "letter", "forum", "contact_point")
CHANNEL_LABELS = {
    "miniprogram": "小程序",
    "hotline": "12345热线",
    "walkin": "来访",
    "web": "网站",
    "letter": "来信",
    "forum": "座谈会",
    "contact_point": "企业联系点",
}
URGENCIES = ("normal", "urgent", "critical")
CONFIDENTIALITY = ("confidential", "anonymous")
HANDLING_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.IN_HANDLING, CaseStatus.REPLIED, CaseStatus.UNDER_REVIEW)


def _in(values: tuple[str, ...] | list[str] | type[StrEnum]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Complaint(db.Model):  # type: ignore[name-defined]
    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(CaseStatus)})", name="known_status"),
        CheckConstraint(f"supervision_level IN ({_in(SupervisionLevel)})", name="known_supervision_level"),
        CheckConstraint(f"channel IN ({_in(CHANNELS)})", name="known_channel"),
        CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="known_urgency"),
        CheckConstraint(f"confidentiality IN ({_in(CONFIDENTIALITY)})", name="known_confidentiality"),
        CheckConstraint(
            "status <> 'rejected' OR (rejection_reason IS NOT NULL AND lawful_channel IS NOT NULL)",
            name="rejected_names_reason_and_channel",
        ),
        CheckConstraint("status <> 'merged' OR merged_into_id IS NOT NULL", name="merged_names_target"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        CheckConstraint("status <> 'transferred' OR transferred_to IS NOT NULL", name="transferred_names_body"),
        CheckConstraint(
            f"status NOT IN ({_in([*HANDLING_STATUSES, CaseStatus.CLOSED])}) OR lead_department_id IS NOT NULL",
            name="handling_has_lead_department",
        ),
        CheckConstraint(
            "status <> 'closed' OR (closed_at IS NOT NULL AND conclusion IS NOT NULL)", name="closed_has_conclusion"
        ),
        CheckConstraint(
            "follow_up_outcome IS NULL OR (status = 'closed' AND follow_up_outcome IN ('satisfied', 'dissatisfied'))",
            name="follow_up_only_when_closed",
        ),
        CheckConstraint(
            "recheck_status IS NULL OR recheck_status IN ('requested', 'concluded')", name="known_recheck_status"
        ),
        CheckConstraint("redo_count >= 0", name="redo_count_not_negative"),
        Index(
            "uq_complaint_channel_external_ref",
            "channel",
            "external_ref",
            unique=True,
            sqlite_where=text("external_ref IS NOT NULL"),
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    supervision_level: Mapped[str] = mapped_column(String(8), default=SupervisionLevel.NONE.value, index=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    confidentiality: Mapped[str] = mapped_column(String(12), default="confidential")
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    respondent: Mapped[str] = mapped_column(String(200), index=True)
    respondent_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), index=True)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(64))
    external_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    lawful_channel: Mapped[str | None] = mapped_column(String(200))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    transferred_to: Mapped[str | None] = mapped_column(String(200))
    conclusion: Mapped[str | None] = mapped_column(Text)
    redo_count: Mapped[int] = mapped_column(Integer, default=0)
    follow_up_outcome: Mapped[str | None] = mapped_column(String(12))
    follow_up_comment: Mapped[str | None] = mapped_column(Text)
    recheck_status: Mapped[str | None] = mapped_column(String(10))
    recheck_reason: Mapped[str | None] = mapped_column(Text)
    recheck_conclusion: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    owner_account_id: Mapped[int | None] = mapped_column(ForeignKey("mp_account.id"), index=True)
    content_flag: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (a concurrent change is a 409, not a lost update)

    parties: Mapped[list[ComplaintParty]] = relationship(
        cascade="all, delete-orphan", order_by="ComplaintParty.role.desc()"
    )
    legs: Mapped[list[DepartmentLeg]] = relationship(
        back_populates="complaint", order_by="DepartmentLeg.id", cascade="all, delete-orphan"
    )
    category: Mapped[Category | None] = relationship()
    domain: Mapped[Domain | None] = relationship()
    lead_department: Mapped[Department | None] = relationship(foreign_keys=[lead_department_id])
    merged_into: Mapped[Complaint | None] = relationship(remote_side=[id])

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[CaseStatus(self.status)]

    @property
    def is_anonymous(self) -> bool:
        return self.confidentiality == "anonymous"
