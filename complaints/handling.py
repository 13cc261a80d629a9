"""交办 to departments and what follows: sign, object, extension, reply, center review, close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from . import deadlines, outbox
from .cases import CaseStatus, Complaint
from .deadlines import Clock, Deadline
from .departments import Department, department_by_code
from .errors import InvalidInput
from .intake import notify_complainant
from .legs import DepartmentLeg, Extension, LegStatus
from .machine import CaseContext, InvalidTransition, move_case, move_leg, record_event
from .policies import limit_for
from .row_locks import hold
from .workdays import PeriodUnit


def assign(
    ctx: CaseContext, complaint: Complaint, *, lead_code: str, assisting_codes: list[str], instructions: str | None
) -> list[DepartmentLeg]:
    """交办: one lead department and any assisting departments, each with a signing window and a handling clock."""
    lead = department_by_code(ctx.session, lead_code)
    assisting = [department_by_code(ctx.session, code) for code in dict.fromkeys(assisting_codes)]
    if any(department.id == lead.id for department in assisting):
        raise InvalidInput("主办单位不能同时作为协办单位", code="lead_also_assisting")
    names = "、".join(d.name for d in [lead, *assisting])
    complaint.lead_department_id = lead.id
    move_case(ctx, complaint, "assign", note=f"交办：{names}")
    assignment = deadlines.open_clock(ctx.session, complaint.id, Clock.ASSIGNMENT)
    if assignment is not None:
        deadlines.stop(assignment, ctx.now)
    legs = [open_leg(ctx, complaint, lead, "lead", instructions)]
    legs += [open_leg(ctx, complaint, department, "assisting", instructions) for department in assisting]
    return legs


def start_assignment_clock(ctx: CaseContext, complaint: Complaint) -> Deadline:
    """The center's 交办 clock, from acceptance (or a lead department's objection) until the case is assigned: an
    accepted case waiting for a department is never without a clock. Its default (5 working days, a center rule)
    is a deadline policy like the others."""
    limit = limit_for(ctx.session, Clock.ASSIGNMENT, category_id=complaint.category_id, urgency=complaint.urgency)
    return _clock(ctx, complaint, None, Clock.ASSIGNMENT, limit.length, limit.unit, ctx.now)


def open_leg(
    ctx: CaseContext, complaint: Complaint, department: Department, role: str, instructions: str | None
) -> DepartmentLeg:
    leg = DepartmentLeg(
        complaint=complaint,
        department_id=department.id,
        role=role,
        status=LegStatus.ASSIGNED.value,
        round=complaint.redo_count + 1,
        assigned_at=ctx.now,
        instructions=instructions,
    )
    ctx.session.add(leg)
    ctx.session.flush()
    sign = limit_for(ctx.session, Clock.SIGN, category_id=complaint.category_id, urgency=complaint.urgency)
    handle = limit_for(ctx.session, Clock.HANDLING, category_id=complaint.category_id, urgency=complaint.urgency)
    handling_start = complaint.accepted_at if complaint.redo_count == 0 and complaint.accepted_at else ctx.now
    _clock(ctx, complaint, leg, Clock.SIGN, sign.length, sign.unit, ctx.now)
    _clock(ctx, complaint, leg, Clock.HANDLING, handle.length, handle.unit, handling_start)
    outbox.enqueue(
        ctx.session,
        "case.assigned",
        "department",
        now=ctx.now,
        complaint_id=complaint.id,
        department_id=department.id,
        payload={"reference": complaint.reference, "role": role},
    )
    return leg


def sign(ctx: CaseContext, leg: DepartmentLeg) -> None:
    hold(ctx.session, leg, DepartmentLeg.status)
    leg.signed_at = ctx.now
    move_leg(ctx, leg, "sign", public=leg.role == "lead")
    _stop(ctx, leg, Clock.SIGN)
    complaint = leg.complaint
    if leg.role == "lead" and complaint.status == CaseStatus.ASSIGNED:
        move_case(ctx, complaint, "lead_signed", public=False)
        notify_complainant(ctx, complaint, "complaint.signed")


def object_to(ctx: CaseContext, leg: DepartmentLeg, reason: str) -> None:
    """退回: within the signing window only, with reasons; a lead objection returns the case to triage."""
    if not reason.strip():
        raise InvalidInput("提出异议须写明理由", code="objection_reason_required")
    hold(ctx.session, leg, DepartmentLeg.status)
    window = deadlines.open_clock(ctx.session, leg.complaint_id, Clock.SIGN, leg.id)
    if window is None or ctx.now >= window.ends_at:
        raise InvalidTransition("异议期（交办之日起5个工作日）已过，不能再提出异议")
    leg.objection_reason = reason.strip()
    move_leg(ctx, leg, "object", note=reason.strip())
    _stop_all(ctx, leg)
    complaint = leg.complaint
    outbox.enqueue(
        ctx.session,
        "leg.objected",
        "center",
        now=ctx.now,
        complaint_id=complaint.id,
        payload={"reference": complaint.reference, "role": leg.role},
    )
    if leg.role != "lead":
        return
    for other in complaint.legs:
        if other.id != leg.id and other.active:
            move_leg(ctx, other, "cancel", note="主办单位提出异议，交办撤销")
            _stop_all(ctx, other)
    complaint.lead_department_id = None
    move_case(ctx, complaint, "lead_objected", public=False, note=reason.strip())
    start_assignment_clock(ctx, complaint)


def request_extension(ctx: CaseContext, leg: DepartmentLeg, *, days: int, reason: str) -> Extension:
    hold(ctx.session, leg, DepartmentLeg.status)
    if leg.role != "lead" or leg.status != LegStatus.SIGNED:
        raise InvalidTransition("只有已签收、正在办理的主办单位可以申请延期")
    if not 1 <= days <= 30 or not reason.strip():
        raise InvalidInput("延期不超过30日，且须写明理由", code="invalid_extension")
    existing = ctx.session.scalar(
        select(Extension).where(Extension.complaint_id == leg.complaint_id, Extension.status != "rejected")
    )
    if existing is not None:
        raise InvalidTransition("本案已申请或已批准过延期，每案只能延期一次")
    extension = Extension(
        complaint_id=leg.complaint_id,
        leg=leg,
        days=days,
        reason=reason.strip(),
        status="requested",
        requested_at=ctx.now,
        requested_by_id=ctx.actor.id,
    )
    ctx.session.add(extension)
    record_event(ctx, leg.complaint, "extension_requested", note=f"申请延期{days}日：{reason.strip()}")
    outbox.enqueue(
        ctx.session,
        "extension.requested",
        "center",
        now=ctx.now,
        complaint_id=leg.complaint_id,
        payload={"reference": leg.complaint.reference, "days": days},
    )
    return extension


def decide_extension(ctx: CaseContext, extension: Extension, *, approve: bool, note: str | None) -> None:
    """One decision per request: a second supervisor deciding at the same moment is refused (409), so the clock
    is never extended on a request that ends up rejected."""
    hold(ctx.session, extension, Extension.status)
    if extension.status != "requested":
        raise InvalidTransition("该延期申请已处理")
    extension.status = "approved" if approve else "rejected"
    extension.decided_at, extension.decided_by_id, extension.decision_note = ctx.now, ctx.actor.id, note
    complaint = extension.leg.complaint
    if not approve:
        record_event(ctx, complaint, "extension_rejected", note=note)
        outbox.enqueue(
            ctx.session,
            "extension.rejected",
            "department",
            now=ctx.now,
            complaint_id=complaint.id,
            department_id=extension.leg.department_id,
            payload={"reference": complaint.reference},
        )
        return
    clock = deadlines.open_clock(ctx.session, complaint.id, Clock.HANDLING, extension.leg_id)
    if clock is None:
        raise InvalidTransition("办理时限已停止，无需延期")
    deadlines.extend(clock, extension.days, ctx.calendar, ctx.now)
    record_event(
        ctx, complaint, "extension_granted", public=True, note=f"经批准延期{extension.days}日，理由：{extension.reason}"
    )
    notify_complainant(
        ctx, complaint, "complaint.extended", days=str(extension.days), reason=reason_for_complainant(extension.reason)
    )
    outbox.enqueue(
        ctx.session,
        "extension.approved",
        "department",
        now=ctx.now,
        complaint_id=complaint.id,
        department_id=extension.leg.department_id,
        payload={"reference": complaint.reference},
    )


EXTENSION_REASON_CATEGORIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("检测", "检验", "鉴定", "评估", "测量", "化验"), "需检验检测或鉴定"),
    (("请示", "上级", "批复"), "需请示上级机关"),
    (("协调", "会商", "会同", "联合", "多部门", "跨部门", "其他部门", "协办"), "需多部门协调办理"),
    (("调取", "取证", "证据", "视频", "录像", "档案", "材料", "资料", "记录"), "需调取核实证据材料"),
    (("调查", "核实", "核查", "走访", "询问", "现场", "勘查", "排查"), "需进一步调查核实"),
    (("回函", "函询", "等待", "联系"), "需等待有关方面答复"),
)
GENERAL_EXTENSION_REASON = "因办理工作需要"


def reason_for_complainant(reason: str) -> str:
    """Why the deadline was extended, as the complainant's message says it: a fixed short category read from the
    department's reason, never the reason's own words. Those can name people or repeat the case (a message goes
    through SMS and WeChat providers and shows on a locked screen); the full approved reason is on the case's
    public timeline and in the 延期告知书. Each category fits WeChat's ``thing`` value (≤ 20 characters)."""
    for keywords, category in EXTENSION_REASON_CATEGORIES:
        if any(keyword in reason for keyword in keywords):
            return category
    return GENERAL_EXTENSION_REASON


def reply(ctx: CaseContext, leg: DepartmentLeg, text: str) -> None:
    """答复. The lead's reply combines the assisting departments' input, so it waits for all of them."""
    if not text.strip():
        raise InvalidInput("答复内容不能为空", code="reply_required")
    hold(ctx.session, leg, DepartmentLeg.status)
    complaint = leg.complaint
    if leg.role == "lead":
        pending = [
            other for other in complaint.legs if other.role == "assisting" and other.status in ("assigned", "signed")
        ]
        if pending:
            raise InvalidTransition("协办单位尚未全部反馈，主办单位暂不能答复")
    leg.reply, leg.replied_at = text.strip(), ctx.now
    move_leg(ctx, leg, "reply", note=text.strip() if leg.role == "assisting" else None)
    _stop(ctx, leg, Clock.HANDLING)
    if leg.role != "lead":
        if complaint.lead_department_id is not None:
            outbox.enqueue(
                ctx.session,
                "assist.replied",
                "department",
                now=ctx.now,
                complaint_id=complaint.id,
                department_id=complaint.lead_department_id,
                payload={"reference": complaint.reference},
            )
        return
    move_case(ctx, complaint, "lead_replied")
    review = limit_for(ctx.session, Clock.REVIEW, category_id=complaint.category_id, urgency=complaint.urgency)
    _clock(ctx, complaint, None, Clock.REVIEW, review.length, review.unit, ctx.now)
    outbox.enqueue(
        ctx.session,
        "case.replied",
        "center",
        now=ctx.now,
        complaint_id=complaint.id,
        payload={"reference": complaint.reference},
    )


def begin_review(ctx: CaseContext, complaint: Complaint) -> None:
    move_case(ctx, complaint, "begin_review", public=False)


def send_back(ctx: CaseContext, complaint: Complaint, reason: str) -> None:
    """The center is not satisfied with the lead's reply: back to the lead department, its clock running again with
    the time it had left when it replied. The days the reply waited on the center's review are the center's, not the
    department's (:func:`complaints.deadlines.restart`)."""
    if not reason.strip():
        raise InvalidInput("退回须写明理由", code="reason_required")
    move_case(ctx, complaint, "send_back", public=False, note=reason.strip())
    lead = lead_leg(complaint)
    move_leg(ctx, lead, "send_back", note=reason.strip())
    handling = _latest(ctx, lead, Clock.HANDLING)
    if handling is not None:
        deadlines.restart(handling, ctx.calendar, ctx.now)
    review = deadlines.open_clock(ctx.session, complaint.id, Clock.REVIEW)
    if review is not None:
        deadlines.stop(review, ctx.now)
    outbox.enqueue(
        ctx.session,
        "case.sent_back",
        "department",
        now=ctx.now,
        complaint_id=complaint.id,
        department_id=lead.department_id,
        payload={"reference": complaint.reference},
    )


def close(ctx: CaseContext, complaint: Complaint, conclusion: str) -> None:
    """办结 with the 答复意见书 text the complainant receives; follow-up starts."""
    if not conclusion.strip():
        raise InvalidInput("办结须填写答复意见", code="conclusion_required")
    complaint.conclusion, complaint.closed_at = conclusion.strip(), ctx.now
    move_case(ctx, complaint, "close", note=conclusion.strip())
    for leg in complaint.legs:
        if leg.status == LegStatus.REPLIED:
            move_leg(ctx, leg, "complete")
    review = deadlines.open_clock(ctx.session, complaint.id, Clock.REVIEW)
    if review is not None:
        deadlines.stop(review, ctx.now)
    notify_complainant(ctx, complaint, "complaint.closed")


def lead_leg(complaint: Complaint) -> DepartmentLeg:
    for leg in complaint.legs:
        if leg.role == "lead" and leg.active:
            return leg
    raise InvalidTransition("案件没有在办的主办单位")


def _clock(
    ctx: CaseContext,
    complaint: Complaint,
    leg: DepartmentLeg | None,
    clock: Clock,
    length: int,
    unit: PeriodUnit,
    start: datetime,
) -> Deadline:
    cap = complaint.external_due_at if clock == Clock.HANDLING and (leg is None or leg.role == "lead") else None
    if cap is not None and cap <= start:
        cap = start + timedelta(seconds=1)  # the work order's own deadline has passed: overdue from the start
    return deadlines.start_deadline(
        ctx.session,
        ctx.calendar,
        start=start,
        length=length,
        unit=unit,
        now=ctx.now,
        clock=clock,
        complaint_id=complaint.id,
        leg_id=leg.id if leg else None,
        cap_at=cap,
    )


def _stop(ctx: CaseContext, leg: DepartmentLeg, clock: Clock) -> None:
    open_clock = deadlines.open_clock(ctx.session, leg.complaint_id, clock, leg.id)
    if open_clock is not None:
        deadlines.stop(open_clock, ctx.now)


def _stop_all(ctx: CaseContext, leg: DepartmentLeg) -> None:
    _stop(ctx, leg, Clock.SIGN)
    _stop(ctx, leg, Clock.HANDLING)


def _latest(ctx: CaseContext, leg: DepartmentLeg, clock: Clock) -> Deadline | None:
    return ctx.session.scalars(
        select(Deadline).where(Deadline.leg_id == leg.id, Deadline.clock == clock.value).order_by(Deadline.id.desc())
    ).first()


def accept_and_assign(
    ctx: CaseContext, complaint: Complaint, *, lead_code: str, assisting_codes: list[str], instructions: str | None
) -> list[DepartmentLeg]:
    """受理并交办 in one step (the triage desk's one click): accept a case still waiting, then assign it."""
    from .triage_decisions import accept

    if complaint.status == CaseStatus.SUBMITTED.value:
        accept(ctx, complaint)
    return assign(ctx, complaint, lead_code=lead_code, assisting_codes=assisting_codes, instructions=instructions)


def assign_handler(ctx: CaseContext, leg: DepartmentLeg, username: str) -> None:
    """Hand the department's part of a case to one of its own handlers (承办人); the center is not involved."""
    from .accounts import find_user

    user = find_user(ctx.session, username)
    if user is None or not user.is_active or user.department_id != leg.department_id:
        raise InvalidInput("只能交给本单位在岗的工作人员", code="handler_not_in_department")
    if not leg.active:
        raise InvalidTransition("该承办事项已结束，不能再转交")
    leg.handler_id = user.id
    record_event(
        ctx,
        leg.complaint,
        "handler_assigned",
        note=f"本单位承办人：{user.display_name}",
        department_id=leg.department_id,
    )
