"""督办: the supervision level, the three notices, revealing identity, pausing the handling clock."""

from __future__ import annotations

from datetime import date

from . import audit, deadlines, outbox
from .cases import SUPERVISION_LABELS, SUPERVISION_ORDER, CaseStatus, Complaint, SupervisionLevel
from .deadlines import Clock
from .departments import Department
from .disclosures import IdentityDisclosure, is_disclosed
from .errors import InvalidInput
from .handling import lead_leg
from .machine import FINAL_STATUSES, CaseContext, InvalidTransition, record_event
from .notice_lists import CLUE_TRANSFER_RECEIVERS
from .notices import NOTICE_LABELS, Notice, NoticeKind, notice_number
from .numbering import next_number
from .policies import limit_for
from .respondents import names_department
from .row_locks import hold
from .workdays import china_day


def raise_supervision(ctx: CaseContext, complaint: Complaint, level: str, note: str | None) -> None:
    """Pressure only rises (一般 → 黄牌 → 红牌), and only on a case still open. The lead department (its head on
    WeCom) and the center (the supervisors' desk) are told of each raise, whether the sweep or staff made it."""
    try:
        target = SupervisionLevel(level)
    except ValueError:
        raise InvalidInput("督办级别不正确", code="invalid_level") from None
    if CaseStatus(complaint.status) in FINAL_STATUSES or complaint.status == CaseStatus.CLOSED:
        raise InvalidTransition("已结束的案件不能督办")
    current = SupervisionLevel(complaint.supervision_level)
    if SUPERVISION_ORDER.index(target) <= SUPERVISION_ORDER.index(current):
        raise InvalidTransition(f"督办级别只能提高（当前为{SUPERVISION_LABELS[current]}）")
    complaint.supervision_level = target.value
    record_event(
        ctx, complaint, "supervision_raised", note=f"{SUPERVISION_LABELS[target]}" + (f"：{note}" if note else "")
    )
    payload = {"reference": complaint.reference, "level": target.value}
    if complaint.lead_department_id is not None:
        outbox.enqueue(
            ctx.session,
            "case.supervised",
            "department",
            now=ctx.now,
            complaint_id=complaint.id,
            department_id=complaint.lead_department_id,
            payload=payload,
        )
    outbox.enqueue(ctx.session, "case.supervised", "center", now=ctx.now, complaint_id=complaint.id, payload=payload)


def reveal_identity(ctx: CaseContext, complaint: Complaint, department: Department, reason: str) -> IdentityDisclosure:
    """披露: only to a department handling the case now (an active leg, not one that objected or was cancelled),
    and never to the unit complained about, even when it handles the case: that is whom the complainant is
    protected from."""
    if complaint.is_anonymous:
        raise InvalidTransition("匿名案件没有可披露的身份信息")
    if not reason.strip():
        raise InvalidInput("披露身份须写明理由", code="reason_required")
    if department.id == complaint.respondent_department_id or names_department(complaint.respondent, department.name):
        raise InvalidInput("不能向被投诉单位披露诉求人身份", code="department_is_respondent")
    if not any(leg.department_id == department.id and leg.active for leg in complaint.legs):
        raise InvalidInput("只能向正在承办本案的单位披露", code="department_not_on_case")
    if is_disclosed(ctx.session, complaint.id, department.id):
        raise InvalidTransition("已向该单位披露过诉求人身份")
    disclosure = IdentityDisclosure(
        complaint_id=complaint.id,
        department_id=department.id,
        reason=reason.strip(),
        decided_by_id=ctx.actor.id,
        decided_at=ctx.now,
    )
    ctx.session.add(disclosure)
    audit.record(
        ctx.session,
        "identity.revealed",
        actor_id=ctx.actor.id,
        actor_name=ctx.actor.name,
        ip_address=ctx.actor.ip_address,
        target=f"complaint:{complaint.id}",
        details={"department": department.code, "reason": reason.strip()},
        now=ctx.now,
    )
    record_event(ctx, complaint, "identity_revealed", note=f"向{department.name}披露诉求人身份：{reason.strip()}")
    return disclosure


def issue_notice(
    ctx: CaseContext,
    complaint: Complaint | None,
    *,
    kind: str,
    department: Department,
    subject: str,
    body: str,
    rectify_by: date | None = None,
) -> Notice:
    """Number it per kind and year, start its reply clock, tell the department; ``rectify_by`` is the date by
    which the department must have put things right (整改期限), tracked beside the reply. A 线索移交单 goes only to
    an external body (the discipline commission): it carries the case's facts and timeline to whoever receives it."""
    try:
        notice_kind = NoticeKind(kind)
    except ValueError:
        raise InvalidInput("通知单类型不正确", code="invalid_notice_kind") from None
    if notice_kind == NoticeKind.CLUE_TRANSFER and department.level != CLUE_TRANSFER_RECEIVERS:
        raise InvalidInput("线索移交单只能发往纪检监察机关等外部机关", code="clue_transfer_not_external")
    if not subject.strip() or not body.strip():
        raise InvalidInput("请填写通知单事由和正文", code="missing_fields")
    if rectify_by is not None and rectify_by < china_day(ctx.now):
        raise InvalidInput("整改期限不能早于今天", code="rectify_by_in_past")
    year = china_day(ctx.now).year
    sequence = next_number(ctx.session, f"notice:{notice_kind.value}", year)
    notice = Notice(
        kind=notice_kind.value,
        year=year,
        sequence=sequence,
        number=notice_number(notice_kind, year, sequence),
        complaint_id=complaint.id if complaint else None,
        department_id=department.id,
        subject=subject.strip(),
        body=body.strip(),
        status="issued",
        issued_at=ctx.now,
        issued_by_id=ctx.actor.id,
        rectify_by=rectify_by,
    )
    limit = limit_for(
        ctx.session,
        Clock.NOTICE_REPLY,
        category_id=complaint.category_id if complaint else None,
        urgency=complaint.urgency if complaint else None,
    )
    clock = deadlines.start_deadline(
        ctx.session,
        ctx.calendar,
        start=ctx.now,
        length=limit.length,
        unit=limit.unit,
        now=ctx.now,
        clock=Clock.NOTICE_REPLY,
        complaint_id=complaint.id if complaint else None,
    )
    ctx.session.add(notice)
    ctx.session.flush()
    notice.reply_deadline_id = clock.id
    if complaint is not None:
        record_event(ctx, complaint, "notice_issued", note=f"签发{NOTICE_LABELS[notice_kind]} {notice.number}")
    outbox.enqueue(
        ctx.session,
        "notice.issued",
        "department",
        now=ctx.now,
        complaint_id=complaint.id if complaint else None,
        department_id=department.id,
        payload={"number": notice.number, "kind": notice_kind.value},
    )
    return notice


def reply_to_notice(ctx: CaseContext, notice: Notice, text: str) -> None:
    """The department's written reply, once: a second reply sent at the same moment is refused (409)."""
    hold(ctx.session, notice, Notice.status)
    if notice.status != "issued":
        raise InvalidTransition("该通知单已回复")
    if not text.strip():
        raise InvalidInput("回复内容不能为空", code="reply_required")
    notice.status, notice.reply, notice.replied_at = "replied", text.strip(), ctx.now
    if notice.reply_deadline_id is not None:
        clock = ctx.session.get(deadlines.Deadline, notice.reply_deadline_id)
        if clock is not None:
            deadlines.stop(clock, ctx.now)
    if notice.complaint_id is not None:
        complaint = ctx.session.get(Complaint, notice.complaint_id)
        if complaint is not None:
            record_event(ctx, complaint, "notice_replied", note=f"{notice.number} 已书面回复")


def pause_handling(ctx: CaseContext, complaint: Complaint, reason: str) -> None:
    """Stop the lead department's clock while the case waits on something outside its control."""
    clock = _lead_handling_clock(ctx, complaint)
    hold(ctx.session, clock, deadlines.Deadline.state)
    if not clock.is_open:
        raise InvalidTransition("没有进行中的办理时限")
    if clock.state == deadlines.ClockState.PAUSED:
        raise InvalidTransition("办理时限已暂停")
    deadlines.pause(clock, ctx.now)
    record_event(ctx, complaint, "clock_paused", note=reason, public=True)


def resume_handling(ctx: CaseContext, complaint: Complaint) -> None:
    clock = _lead_handling_clock(ctx, complaint)
    hold(ctx.session, clock, deadlines.Deadline.state)
    if clock.state != deadlines.ClockState.PAUSED:
        raise InvalidTransition("办理时限未暂停")
    deadlines.resume(clock, ctx.calendar, ctx.now)
    record_event(ctx, complaint, "clock_resumed", public=True)


def _lead_handling_clock(ctx: CaseContext, complaint: Complaint) -> deadlines.Deadline:
    if complaint.status not in (CaseStatus.ASSIGNED, CaseStatus.IN_HANDLING):
        raise InvalidTransition("只有办理中的案件可以暂停或恢复办理时限")
    clock = deadlines.open_clock(ctx.session, complaint.id, Clock.HANDLING, lead_leg(complaint).id)
    if clock is None:
        raise InvalidTransition("没有进行中的办理时限")
    return clock
