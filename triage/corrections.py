"""Staff set a case's domain, category and urgency; each label they give is kept as a training example (the
latest per case and head), marked as a correction when it differs from what triage suggested."""

from __future__ import annotations

from sqlalchemy import select

from complaints.cases import URGENCIES, CaseStatus, Complaint
from complaints.errors import InvalidInput
from complaints.machine import FINAL_STATUSES, CaseContext, InvalidTransition, record_event
from complaints.taxonomy import category_by_code, domain_by_code

from .records import TrainingExample, TriageSuggestion


def classify_case(
    ctx: CaseContext,
    complaint: Complaint,
    *,
    category_code: str | None,
    domain_code: str | None,
    urgency: str | None,
) -> None:
    if CaseStatus(complaint.status) in FINAL_STATUSES:
        raise InvalidTransition("案件已结束，不能再修改分类")
    if not (category_code or domain_code or urgency):
        raise InvalidInput("请至少指定问题类型、领域或紧急程度之一", code="nothing_to_classify")
    if urgency is not None and urgency not in URGENCIES:
        raise InvalidInput("紧急程度无效", code="invalid_urgency")
    suggestion = ctx.session.scalar(select(TriageSuggestion).where(TriageSuggestion.complaint_id == complaint.id))
    changes = []
    if category_code:
        category = category_by_code(ctx.session, category_code)
        complaint.category_id = category.id
        _keep_example(ctx, complaint, "category", category.code, suggestion.category_label if suggestion else None)
        changes.append(f"问题类型：{category.name}")
    if domain_code:
        domain = domain_by_code(ctx.session, domain_code)
        complaint.domain_id = domain.id
        _keep_example(ctx, complaint, "domain", domain.code, suggestion.domain_label if suggestion else None)
        changes.append(f"领域：{domain.name}")
    if urgency:
        complaint.urgency = urgency
        changes.append(f"紧急程度：{urgency}")
    record_event(ctx, complaint, "classified", note="；".join(changes), public=False)


def _keep_example(ctx: CaseContext, complaint: Complaint, head: str, label: str, suggested: str | None) -> None:
    example = ctx.session.scalar(
        select(TrainingExample).where(TrainingExample.complaint_id == complaint.id, TrainingExample.head == head)
    )
    if example is None:
        example = TrainingExample(complaint_id=complaint.id, head=head)
        ctx.session.add(example)
    example.label = label
    example.suggested_label = suggested
    example.corrected = suggested is not None and suggested != label
    example.created_by_id = ctx.actor.id
    example.created_at = ctx.now
