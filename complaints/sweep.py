"""The deadline sweep: warn before a clock runs out, mark it overdue, and raise the supervision level.

Set-based and idempotent: each step is one conditional UPDATE ... RETURNING on the stored due instants
(indexed), which marks the clocks it picks up, so a step fires once per clock however often the sweep runs
and even when two sweeps overlap. Escalation of a department's handling clock, by policy:
overdue → 一般督办; overdue for ``yellow_after`` → 黄牌; for ``red_after`` → 红牌 and a 问题督办单 to the lead
department. The sweep never lowers a level staff raised by hand.

Who is told: a department's own clocks (signing, handling) warn that department; a notice's reply clock warns the
department the notice was sent to, with or without a case; the center's clocks (triage, review, 复查) concern the
center. Overdue goes to the department (its head on WeCom) and to the center; each escalation likewise (see
:func:`raise_supervision`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Row, and_, select, update

from . import outbox
from .cases import SUPERVISION_ORDER, CaseStatus, Complaint, SupervisionLevel
from .deadlines import CLOCK_LABELS, Clock, ClockState, Deadline
from .departments import Department
from .legs import DepartmentLeg
from .machine import CaseContext
from .notices import Notice
from .supervision import issue_notice, raise_supervision

OPEN = (ClockState.RUNNING.value, ClockState.EXTENDED.value)
STEPS = {1: SupervisionLevel.NORMAL, 2: SupervisionLevel.YELLOW, 3: SupervisionLevel.RED}
NOTICE_REPLY_WARNING = "notice.reply_warning"
NOTICE_REPLY_OVERDUE = "notice.reply_overdue"


@dataclass(frozen=True)
class EscalationPolicy:
    yellow_after: timedelta = timedelta(days=5)
    red_after: timedelta = timedelta(days=10)


@dataclass
class SweepReport:
    warned: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    escalated: list[tuple[int, str]] = field(default_factory=list)


def sweep(ctx: CaseContext, policy: EscalationPolicy) -> SweepReport:
    report = SweepReport()
    now = ctx.now
    warned = _mark(
        ctx, Deadline.warned_at.is_(None) & (Deadline.warn_at <= now) & (Deadline.ends_at > now), warned_at=now
    )
    _tell(ctx, warned, overdue=False)
    report.warned.extend(row.id for row in warned)
    overdue = _mark(ctx, Deadline.overdue_at.is_(None) & (Deadline.ends_at <= now), overdue_at=now)
    _tell(ctx, overdue, overdue=True)
    report.overdue.extend(row.id for row in overdue)
    thresholds = {1: timedelta(0), 2: policy.yellow_after, 3: policy.red_after}
    for step, after in thresholds.items():
        rows = _mark(
            ctx,
            and_(
                Deadline.clock == Clock.HANDLING.value, Deadline.escalation_step < step, Deadline.ends_at <= now - after
            ),
            escalation_step=step,
        )
        for row in rows:
            if _escalate(ctx, row, STEPS[step]):
                report.escalated.append((row.complaint_id, STEPS[step].value))
    return report


def _mark(ctx: CaseContext, condition: object, **values: object) -> list[Row]:  # type: ignore[type-arg]
    """Every open clock, with a case or without one (a notice issued outside any case has only its reply clock)."""
    statement = (
        update(Deadline)
        .where(Deadline.state.in_(OPEN), condition)  # type: ignore[arg-type]
        .values(**values)
        .returning(Deadline.id, Deadline.complaint_id, Deadline.leg_id, Deadline.clock)
        .execution_options(synchronize_session=False)
    )
    return list(ctx.session.execute(statement).all())


def _tell(ctx: CaseContext, rows: list[Row], *, overdue: bool) -> None:  # type: ignore[type-arg]
    notice_clocks = [row.id for row in rows if row.clock == Clock.NOTICE_REPLY.value]
    notices = _notices_replying_on(ctx, notice_clocks) if notice_clocks else {}
    for row in rows:
        if row.clock == Clock.NOTICE_REPLY.value:
            notice = notices.get(row.id)
            if notice is not None:
                _notify_notice(ctx, row, notice, overdue=overdue)
        else:
            _notify_case(ctx, row, "deadline.overdue" if overdue else "deadline.warning")


def _notices_replying_on(ctx: CaseContext, clock_ids: list[int]) -> dict[int, Notice]:
    rows = ctx.session.execute(
        select(Deadline.id, Notice)
        .join(Notice, Notice.reply_deadline_id == Deadline.id)
        .where(Deadline.id.in_(clock_ids))
    )
    return dict(rows.tuples().all())


def _notify_notice(ctx: CaseContext, row: Row, notice: Notice, *, overdue: bool) -> None:  # type: ignore[type-arg]
    """A notice's reply clock concerns the department it was sent to: warned before, told when overdue; the center
    is told of overdue too. With or without a case (the case's reference goes along when there is one)."""
    complaint = ctx.session.get(Complaint, notice.complaint_id) if notice.complaint_id else None
    payload = {"number": notice.number, "clock": row.clock, "clock_label": CLOCK_LABELS[Clock.NOTICE_REPLY]}
    if complaint is not None:
        payload["reference"] = complaint.reference
    event = NOTICE_REPLY_OVERDUE if overdue else NOTICE_REPLY_WARNING
    complaint_id = complaint.id if complaint else None
    outbox.enqueue(
        ctx.session,
        event,
        "department",
        now=ctx.now,
        complaint_id=complaint_id,
        department_id=notice.department_id,
        payload=payload,
    )
    if overdue:
        outbox.enqueue(ctx.session, event, "center", now=ctx.now, complaint_id=complaint_id, payload=payload)


def _notify_case(ctx: CaseContext, row: Row, event: str) -> None:  # type: ignore[type-arg]
    """A department's clock (signing, handling) warns that department and, overdue, the center too; the center's
    own clocks (triage, review, 复查) concern the center."""
    complaint = ctx.session.get(Complaint, row.complaint_id) if row.complaint_id else None
    if complaint is None:
        return
    leg = ctx.session.get(DepartmentLeg, row.leg_id) if row.leg_id else None
    payload = {"reference": complaint.reference, "clock": row.clock, "clock_label": CLOCK_LABELS[Clock(row.clock)]}
    if leg is not None:
        outbox.enqueue(
            ctx.session,
            event,
            "department",
            now=ctx.now,
            complaint_id=complaint.id,
            department_id=leg.department_id,
            payload=payload,
        )
    if leg is None or event == "deadline.overdue":
        outbox.enqueue(ctx.session, event, "center", now=ctx.now, complaint_id=complaint.id, payload=payload)


def _escalate(ctx: CaseContext, row: Row, level: SupervisionLevel) -> bool:  # type: ignore[type-arg]
    complaint = ctx.session.get(Complaint, row.complaint_id)
    if complaint is None or complaint.status not in (CaseStatus.ASSIGNED, CaseStatus.IN_HANDLING):
        return False
    current = SupervisionLevel(complaint.supervision_level)
    if SUPERVISION_ORDER.index(current) >= SUPERVISION_ORDER.index(level):
        return False
    raise_supervision(ctx, complaint, level.value, "办理超期，系统自动督办")
    if level == SupervisionLevel.RED and complaint.lead_department_id is not None:
        department = ctx.session.get(Department, complaint.lead_department_id)
        assert department is not None
        issue_notice(
            ctx,
            complaint,
            kind="supervision_notice",
            department=department,
            subject=f"{complaint.reference} 办理严重超期督办",
            body="该案件办理已严重超期，现予红牌督办。请单位负责人督促办理，并于规定期限内书面报告办理情况。",
        )
    return True
