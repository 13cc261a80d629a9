"""Turn a new case into a suggestion (domain, category, lead department, urgency, scope, repeats, cluster), store
it with its explanation, and route the case itself when policy allows and every part is confident."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from complaints import handling, triage_decisions
from complaints.cases import CaseStatus, Complaint
from complaints.departments import Department
from complaints.machine import CaseContext, record_event
from complaints.taxonomy import Category, Domain

from . import rules
from .classifier import Prediction
from .history import cluster_members, complainant_keys, find_repeats, raise_cluster_alert, recent_related, window_start
from .records import TriageSuggestion
from .routing import CaseFacts, Route, route
from .store import TriageModel
from .text import join_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriagePolicy:
    auto_route: bool = True
    repeat_window_days: int = 90
    cluster_size: int = 3


def pending_case_ids(ctx: CaseContext, limit: int, model_made_at: datetime | None = None) -> list[int]:
    """Cases waiting in triage that have no suggestion yet, oldest first; given when the current model was made,
    also those whose suggestion was made before it without a model (none was usable then), so retraining
    reaches them. A case whose suggestion failed under this model is not picked again until the next one."""
    unsuggested: ColumnElement[bool] = TriageSuggestion.id.is_(None)
    if model_made_at is not None:
        unsuggested = or_(
            unsuggested,
            and_(TriageSuggestion.model_version.is_(None), TriageSuggestion.created_at < model_made_at),
        )
    return list(
        ctx.session.scalars(
            select(Complaint.id)
            .outerjoin(TriageSuggestion, TriageSuggestion.complaint_id == Complaint.id)
            .where(Complaint.status == CaseStatus.SUBMITTED.value, unsuggested)
            .order_by(Complaint.id)
            .limit(limit)
        )
    )


def suggestion_for(ctx: CaseContext, complaint_id: int) -> TriageSuggestion | None:
    return ctx.session.scalar(select(TriageSuggestion).where(TriageSuggestion.complaint_id == complaint_id))


def suggest(
    ctx: CaseContext,
    complaint: Complaint,
    model: TriageModel | None,
    policy: TriagePolicy,
    model_problem: str | None = None,
) -> TriageSuggestion:
    """Idempotent: a case has at most one suggestion (unique per case), and an existing one is returned as is,
    unless it was made without a model (none was usable, or the analysis failed), the case still waits in triage
    and a model is usable now: then it is replaced by one with the model's prediction."""
    existing = suggestion_for(ctx, complaint.id)
    if existing is not None:
        if not _made_without_model(existing, complaint, model):
            return existing
        ctx.session.delete(existing)
        ctx.session.flush()  # before the new row is inserted: the suggestion is unique per case
    text = join_title(complaint.title, complaint.content)
    domain = _predict(model, "domain", text)
    category = _predict(model, "category", text)
    domain_row = _resolve(ctx, Domain, domain)
    category_row = _resolve(ctx, Category, category)
    facts = CaseFacts(
        domain_id=complaint.domain_id or (domain_row.id if domain_row else None),
        category_id=complaint.category_id or (category_row.id if category_row else None),
        place=complaint.place or "",
        respondent=complaint.respondent,
    )
    lead = route(ctx.session, facts)
    signals = rules.urgency_signals(
        text, parties=len(complaint.parties), external_due_at=complaint.external_due_at, now=ctx.now
    )
    scope = rules.out_of_scope(text)
    related = recent_related(ctx.session, complaint, window_start(ctx.now, policy.repeat_window_days))
    keys = complainant_keys(ctx.session, [complaint.id, *(c.id for c in related)])
    repeats = find_repeats(complaint, related, keys)
    members = cluster_members(complaint, related, keys)
    alert = None
    if len(members) >= policy.cluster_size:
        alert = raise_cluster_alert(ctx.session, complaint, members, policy.repeat_window_days, ctx.now)
    final_category = ctx.session.get(Category, facts.category_id) if facts.category_id else None
    reasons = _manual_reasons(complaint, policy, category, final_category, lead, scope, bool(repeats), model_problem)
    suggestion = TriageSuggestion(
        complaint_id=complaint.id,
        model_version=model.version if model else None,
        domain_label=domain.label if domain else None,
        domain_probability=domain.probability if domain else None,
        domain_id=domain_row.id if domain_row else None,
        category_label=category.label if category else None,
        category_probability=category.probability if category else None,
        category_id=category_row.id if category_row else None,
        lead_department_id=lead.department_id if lead else None,
        urgency=rules.urgency_from(signals, complaint.urgency),
        out_of_scope=scope[0].code if scope else None,
        repeat_of_id=repeats[0].complaint_id if repeats else None,
        risk_alert_id=alert.id if alert else None,
        decision="manual" if reasons else "auto_routed",
        details={
            "domain": domain.as_dict() if domain else None,
            "category": category.as_dict() if category else None,
            "route": lead.reason if lead else None,
            "signals": [{"code": s.code, "label": s.label, "evidence": s.evidence} for s in signals],
            "scope": _scope_details(scope),
            "repeats": [r.as_dict() for r in repeats[:5]],
            "cluster": [m.reference for m in members] if alert else [],
            "manual_reasons": reasons,
        },
        created_at=ctx.now,
    )
    ctx.session.add(suggestion)
    ctx.session.flush()
    if reasons:
        record_event(ctx, complaint, "triage_suggested", note="；".join(reasons), public=False)
    else:
        _route_automatically(ctx, complaint, suggestion, facts, lead)
    return suggestion


def _made_without_model(existing: TriageSuggestion, complaint: Complaint, model: TriageModel | None) -> bool:
    return model is not None and existing.model_version is None and complaint.status == CaseStatus.SUBMITTED.value


def _predict(model: TriageModel | None, head: str, text: str) -> Prediction | None:
    if model is None or head not in model.heads:
        return None
    return model.heads[head].predict(text)


def _resolve(ctx: CaseContext, kind: type[Category] | type[Domain], prediction: Prediction | None) -> Any:
    """The taxonomy row a label names (by code, else by name); None when the center has no such entry."""
    if prediction is None:
        return None
    return ctx.session.scalar(select(kind).where(or_(kind.code == prediction.label, kind.name == prediction.label)))


def _manual_reasons(
    complaint: Complaint,
    policy: TriagePolicy,
    category: Prediction | None,
    final_category: Category | None,
    lead: Route | None,
    scope: tuple[rules.ScopeRule, str] | None,
    repeated: bool,
    model_problem: str | None,
) -> list[str]:
    """Why the case waits for a person; empty when it may route itself."""
    reasons = []
    if model_problem:
        reasons.append(f"分流模型不可用：{model_problem}")
    if not policy.auto_route:
        reasons.append("本中心未启用自动分办")
    if complaint.status != CaseStatus.SUBMITTED.value:
        reasons.append("案件已不在待分办状态")
    if complaint.content_flag:
        reasons.append("内容需人工审核")
    if scope:
        reasons.append(f"可能不属于受理范围（{scope[0].label}：“{scope[1]}”）")
    if repeated:
        reasons.append("疑似重复投诉，建议并案")
    if final_category is None:
        reasons.append("未能确定问题类型")
    elif final_category.auto_route_threshold is None:
        reasons.append(f"问题类型「{final_category.name}」未设置自动分办阈值")
    elif complaint.category_id is None and (
        category is None or category.probability < final_category.auto_route_threshold
    ):
        probability = category.probability if category else 0.0
        reasons.append(f"问题类型置信度 {probability:.0%} 低于阈值 {final_category.auto_route_threshold:.0%}")
    if lead is None:
        reasons.append("没有匹配的分办规则或承办单位")
    return reasons


def _scope_details(scope: tuple[rules.ScopeRule, str] | None) -> dict[str, str] | None:
    if scope is None:
        return None
    rule, evidence = scope
    return {"code": rule.code, "label": rule.label, "lawful_channel": rule.lawful_channel, "evidence": evidence}


def _route_automatically(
    ctx: CaseContext, complaint: Complaint, suggestion: TriageSuggestion, facts: CaseFacts, lead: Route | None
) -> None:
    """受理 and 交办 by policy: take the suggested labels and urgency, accept, assign to the lead department."""
    assert lead is not None
    complaint.category_id = facts.category_id
    complaint.domain_id = facts.domain_id
    complaint.urgency = suggestion.urgency
    department = ctx.session.get(Department, lead.department_id)
    assert department is not None
    note = f"系统按分办策略自动受理（问题类型置信度 {suggestion.category_probability or 1:.0%}，{lead.reason}）"
    triage_decisions.accept(ctx, complaint, note=note)
    handling.assign(ctx, complaint, lead_code=department.code, assisting_codes=[], instructions=None)


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    routed: bool
    reason: str | None = None


def route_as_suggested(ctx: CaseContext, complaint_ids: list[int]) -> list[BulkOutcome]:
    """The triage desk's bulk action: accept and assign each waiting case as its suggestion says. Cases without a
    suggested department, or no longer waiting, are left alone and reported."""
    outcomes = []
    for complaint_id in complaint_ids:
        complaint = ctx.session.get(Complaint, complaint_id)
        suggestion = suggestion_for(ctx, complaint_id)
        if complaint is None:
            continue
        if complaint.status != CaseStatus.SUBMITTED.value:
            outcomes.append(BulkOutcome(complaint.reference, False, "已不在待分办状态"))
        elif suggestion is None or suggestion.lead_department_id is None:
            outcomes.append(BulkOutcome(complaint.reference, False, "没有建议的承办单位"))
        else:
            department = ctx.session.get(Department, suggestion.lead_department_id)
            assert department is not None
            complaint.category_id = complaint.category_id or suggestion.category_id
            complaint.domain_id = complaint.domain_id or suggestion.domain_id
            triage_decisions.accept(ctx, complaint, note="按分流建议受理")
            handling.assign(ctx, complaint, lead_code=department.code, assisting_codes=[], instructions=None)
            outcomes.append(BulkOutcome(complaint.reference, True))
    return outcomes
