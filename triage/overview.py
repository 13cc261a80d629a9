"""What staff read: a case's suggestion with names instead of ids, the triage queue, the risk alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from complaints import audit
from complaints.cases import CaseStatus, Complaint
from complaints.database import DbSession
from complaints.departments import Department
from complaints.errors import InvalidInput, NotFound
from complaints.legs import DepartmentLeg, LegStatus
from complaints.machine import StaffActor
from complaints.taxonomy import Category, Domain

from .records import RiskAlert, TriageSuggestion
from .store import ModelStore, ModelUnavailable


def suggestion_of(session: DbSession, complaint_id: int) -> dict[str, Any] | None:
    found = session.scalar(select(TriageSuggestion).where(TriageSuggestion.complaint_id == complaint_id))
    return describe(session, found) if found else None


def model_info(store: ModelStore) -> dict[str, Any]:
    """The current and previous versions, the current one's metadata, and what is wrong with it if it is unreadable
    (staff then see why triage waits instead of an error page)."""
    current = store.current_version()
    meta, problem = None, None
    if current:
        try:
            meta = store.metadata(current)
        except ModelUnavailable as error:
            problem = str(error)
    return {"current": current, "previous": store.previous_version(), "meta": meta, "problem": problem}


def describe(session: DbSession, suggestion: TriageSuggestion) -> dict[str, Any]:
    details = suggestion.details or {}
    return {
        "complaint_id": suggestion.complaint_id,
        "decision": suggestion.decision,
        "model_version": suggestion.model_version,
        "domain": _head(details.get("domain"), _name(session, Domain, suggestion.domain_id)),
        "category": _head(details.get("category"), _name(session, Category, suggestion.category_id)),
        "lead_department": _department(session, suggestion.lead_department_id),
        "route_reason": details.get("route"),
        "urgency": suggestion.urgency,
        "signals": details.get("signals", []),
        "out_of_scope": details.get("scope"),
        "repeats": details.get("repeats", []),
        "cluster": details.get("cluster", []),
        "risk_alert_id": suggestion.risk_alert_id,
        "manual_reasons": details.get("manual_reasons", []),
        "created_at": suggestion.created_at,
    }


WAITING = (CaseStatus.SUBMITTED.value, CaseStatus.ACCEPTED.value)


def queue(session: DbSession, limit: int = 200) -> list[dict[str, Any]]:
    """Cases waiting in triage, oldest first, each with its suggestion (None while it is being computed): those
    still to accept (``submitted``), and those accepted but not assigned (``accepted``: after 仅受理, or after
    the lead department objected, whose objection is given so the next choice can take it into account)."""
    rows = session.execute(
        select(Complaint, TriageSuggestion)
        .outerjoin(TriageSuggestion, TriageSuggestion.complaint_id == Complaint.id)
        .where(Complaint.status.in_(WAITING))
        .order_by(Complaint.submitted_at, Complaint.id)
        .limit(limit)
    ).all()
    objections = _lead_objections(session, [c.id for c, _ in rows if c.status == CaseStatus.ACCEPTED.value])
    return [
        {
            "id": complaint.id,
            "reference": complaint.reference,
            "title": complaint.title,
            "respondent": complaint.respondent,
            "channel": complaint.channel,
            "submitted_at": complaint.submitted_at,
            "status": complaint.status,
            "objection": objections.get(complaint.id),
            "suggestion": describe(session, suggestion) if suggestion else None,
        }
        for complaint, suggestion in rows
    ]


def _lead_objections(session: DbSession, complaint_ids: list[int]) -> dict[int, dict[str, str]]:
    """The latest lead objection of each case (the department and its reasons)."""
    if not complaint_ids:
        return {}
    legs = session.execute(
        select(DepartmentLeg.complaint_id, Department.name, DepartmentLeg.objection_reason)
        .join(Department, Department.id == DepartmentLeg.department_id)
        .where(
            DepartmentLeg.complaint_id.in_(complaint_ids),
            DepartmentLeg.role == "lead",
            DepartmentLeg.status == LegStatus.OBJECTED.value,
        )
        .order_by(DepartmentLeg.id)
    ).all()
    return {complaint_id: {"department": name, "reason": reason or ""} for complaint_id, name, reason in legs}


def open_alerts(session: DbSession) -> list[RiskAlert]:
    return list(
        session.scalars(select(RiskAlert).where(RiskAlert.status == "open").order_by(RiskAlert.raised_at.desc()))
    )


def close_alert(session: DbSession, actor: StaffActor, alert_id: int, now: datetime) -> RiskAlert:
    alert = session.get(RiskAlert, alert_id)
    if alert is None:
        raise NotFound("风险提示不存在", code="unknown_risk_alert")
    if alert.status != "open":
        raise InvalidInput("该风险提示已关闭", code="risk_alert_closed")
    alert.status, alert.closed_at, alert.closed_by_id = "closed", now, actor.id
    audit.record(
        session, "risk_alert.close", actor_id=actor.id, actor_name=actor.name, target=f"risk_alert:{alert.id}", now=now
    )
    return alert


def _head(prediction: dict[str, Any] | None, name: str | None) -> dict[str, Any] | None:
    if prediction is None:
        return None
    return {**prediction, "name": name}


def _name(session: DbSession, kind: type[Category] | type[Domain], row_id: int | None) -> str | None:
    if row_id is None:
        return None
    name: str | None = session.scalar(select(kind.name).where(kind.id == row_id))
    return name


def _department(session: DbSession, department_id: int | None) -> dict[str, Any] | None:
    department = session.get(Department, department_id) if department_id else None
    return {"code": department.code, "name": department.name} if department else None


def repeat_and_cluster_figures(session: DbSession, complaint_ids: list[int]) -> dict[str, int]:
    """For the dashboard: how many of these cases were flagged as repeats or belong to a 类案 alert, and how many
    risk alerts are open."""
    suggestions = list(
        session.scalars(select(TriageSuggestion).where(TriageSuggestion.complaint_id.in_(complaint_ids)))
    )
    return {
        "repeats": sum(s.repeat_of_id is not None for s in suggestions),
        "in_clusters": sum(s.risk_alert_id is not None for s in suggestions),
        "open_alerts": len(open_alerts(session)),
    }
