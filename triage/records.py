"""Triage's own tables: the stored suggestion per case, routing rules, staff-confirmed training examples and the
risk alerts raised for clusters of similar cases (类案)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from complaints.database import UTCDateTime, db

DECISIONS = ("auto_routed", "manual")
HEADS = ("domain", "category")


class TriageSuggestion(db.Model):  # type: ignore[name-defined]
    """What triage suggested for one case and why; the decision says whether it routed the case itself."""

    __tablename__ = "triage_suggestion"
    __table_args__ = (CheckConstraint("decision IN ('auto_routed', 'manual')", name="known_decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), unique=True)
    model_version: Mapped[str | None] = mapped_column(String(40))
    domain_label: Mapped[str | None] = mapped_column(String(80))
    domain_probability: Mapped[float | None] = mapped_column(Float)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id", ondelete="SET NULL"))
    category_label: Mapped[str | None] = mapped_column(String(80))
    category_probability: Mapped[float | None] = mapped_column(Float)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    urgency: Mapped[str] = mapped_column(String(10))
    out_of_scope: Mapped[str | None] = mapped_column(String(20))
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="SET NULL"))
    risk_alert_id: Mapped[int | None] = mapped_column(ForeignKey("risk_alert.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(12))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoutingRule(db.Model):  # type: ignore[name-defined]
    """领域 × 问题类型 × 地区或被投诉单位 → 承办单位. Empty conditions match anything; the most specific rule wins."""

    __tablename__ = "routing_rule"
    __table_args__ = (
        CheckConstraint(
            "domain_id IS NOT NULL OR category_id IS NOT NULL OR place_contains IS NOT NULL "
            "OR respondent_contains IS NOT NULL",
            name="has_condition",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    place_contains: Mapped[str | None] = mapped_column(String(60))
    respondent_contains: Mapped[str | None] = mapped_column(String(120))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TrainingExample(db.Model):  # type: ignore[name-defined]
    """A label staff gave a case (the latest per case and head), kept to teach the model."""

    __tablename__ = "training_example"
    __table_args__ = (
        CheckConstraint("head IN ('domain', 'category')", name="known_head"),
        Index("uq_training_example_case_head", "complaint_id", "head", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    head: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80))
    suggested_label: Mapped[str | None] = mapped_column(String(80))
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RiskAlert(db.Model):  # type: ignore[name-defined]
    """风险提示 raised by triage: several recent cases against the same respondent (类案). One open per respondent."""

    __tablename__ = "risk_alert"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="known_status"),
        Index(
            "uq_risk_alert_open_respondent",
            "respondent_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_key: Mapped[str] = mapped_column(String(200))
    respondent: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="open")
    case_count: Mapped[int] = mapped_column(Integer)
    complaint_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
