"""After closure: the follow-up verdict (回访, which may reopen the case for redo) and 复查."""

from __future__ import annotations

from . import deadlines, outbox
from .cases import CaseStatus, Complaint
from .deadlines import Clock
from .errors import InvalidInput
from .follow_ups import FollowUp
from .handling import open_leg
from .intake import notify_complainant
from .machine import CaseContext, InvalidTransition, move_case, record_event
from .policies import RECHECK_REQUEST_WINDOW_DAYS, limit_for
from .workdays import PeriodUnit


def record_follow_up(ctx: CaseContext, complaint: Complaint, *, outcome: str, comment: str | None, source: str) -> None:
    """满意 ends the case; 不满意 reopens it for redo with the same lead department, and the redo is counted."""
    if outcome not in ("satisfied", "dissatisfied"):
        raise InvalidInput("回访结果须为满意或不满意", code="invalid_outcome")
    if complaint.status != CaseStatus.CLOSED or complaint.follow_up_outcome is not None:
        raise InvalidTransition("只有已办结且尚未回访的案件可以记录回访结果")
    ctx.session.add(
        FollowUp(
            complaint_id=complaint.id,
            round=complaint.redo_count + 1,
            outcome=outcome,
            comment=comment,
            source=source,
            recorded_by_id=ctx.actor.id,
            recorded_at=ctx.now,
        )
    )
    label = "满意" if outcome == "satisfied" else "不满意"
    record_event(
        ctx, complaint, "follow_up", note=f"回访结果：{label}" + (f"（{comment}）" if comment else ""), public=True
    )
    if outcome == "satisfied":
        complaint.follow_up_outcome, complaint.follow_up_comment = outcome, comment
        return
    reopen(ctx, complaint, comment)


def reopen(ctx: CaseContext, complaint: Complaint, reason: str | None) -> None:
    if complaint.lead_department is None:
        raise InvalidTransition("案件没有主办单位，无法重办")
    complaint.redo_count += 1
    move_case(
        ctx,
        complaint,
        "reopen",
        note=f"诉求人不满意，第{complaint.redo_count}次重办" + (f"：{reason}" if reason else ""),
    )
    complaint.conclusion = None
    complaint.closed_at = None
    complaint.follow_up_comment = reason
    open_leg(ctx, complaint, complaint.lead_department, "lead", f"重办：{reason}" if reason else "重办")
    notify_complainant(ctx, complaint, "complaint.reopened")


def request_recheck(ctx: CaseContext, complaint: Complaint, reason: str) -> None:
    """复查 may be requested within 30 days of the reply (the closure)."""
    if complaint.status != CaseStatus.CLOSED or complaint.closed_at is None or complaint.recheck_status is not None:
        raise InvalidTransition("只有已办结且未申请过复查的案件可以申请复查")
    window = ctx.calendar.count(complaint.closed_at, RECHECK_REQUEST_WINDOW_DAYS, PeriodUnit.CALENDAR_DAYS)
    if ctx.now >= window.ends_at:
        raise InvalidTransition("已超过复查申请期限（答复之日起30日）")
    if not reason.strip():
        raise InvalidInput("请写明申请复查的理由", code="reason_required")
    complaint.recheck_status, complaint.recheck_reason = "requested", reason.strip()
    limit = limit_for(ctx.session, Clock.RECHECK, category_id=complaint.category_id, urgency=complaint.urgency)
    deadlines.start_deadline(
        ctx.session,
        ctx.calendar,
        start=ctx.now,
        length=limit.length,
        unit=limit.unit,
        now=ctx.now,
        clock=Clock.RECHECK,
        complaint_id=complaint.id,
    )
    record_event(ctx, complaint, "recheck_requested", note=reason.strip(), public=True)
    outbox.enqueue(
        ctx.session,
        "recheck.requested",
        "center",
        now=ctx.now,
        complaint_id=complaint.id,
        payload={"reference": complaint.reference},
    )


def conclude_recheck(ctx: CaseContext, complaint: Complaint, conclusion: str) -> None:
    if complaint.recheck_status != "requested":
        raise InvalidTransition("该案件没有待办的复查申请")
    if not conclusion.strip():
        raise InvalidInput("请填写复查意见", code="conclusion_required")
    complaint.recheck_status, complaint.recheck_conclusion = "concluded", conclusion.strip()
    clock = deadlines.open_clock(ctx.session, complaint.id, Clock.RECHECK)
    if clock is not None:
        deadlines.stop(clock, ctx.now)
    record_event(ctx, complaint, "recheck_concluded", note=conclusion.strip(), public=True)
    notify_complainant(ctx, complaint, "recheck.concluded")
