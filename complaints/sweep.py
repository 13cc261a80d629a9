"""The deadline sweep: warn before a clock runs out, mark it overdue, and raise the supervision level.

Set-based and idempotent: each step is one conditional UPDATE ... RETURNING on the stored due instants
(indexed), which marks the clocks it picks up, so a step fires once per clock however often the sweep runs
and even when two sweeps overlap. Escalation of a department's handling clock, by policy:
overdue → 一般督办; overdue for ``yellow_after`` → 黄牌; for ``red_after`` → 红牌 and a 问题督办单 to the lead
department. The sweep never lowers a level staff raised by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Row, and_, update

from . import outbox
from .cases import SUPERVISION_ORDER, CaseStatus, Complaint, SupervisionLevel
from .deadlines import CLOCK_LABELS, Clock, ClockState, Deadline
from .departments import Department
from .legs import DepartmentLeg
from .machine import CaseContext
from .supervision import issue_notice, raise_supervision

OPEN = (ClockState.RUNNING.value, ClockState.EXTENDED.value)
STEPS = {1: SupervisionLevel.NORMAL, 2: SupervisionLevel.YELLOW, 3: SupervisionLevel.RED}


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
    for row in _mark(
        ctx, Deadline.warned_at.is_(None) & (Deadline.warn_at <= now) & (Deadline.ends_at > now), warned_at=now
    ):
        report.warned.append(row.id)
        _notify(ctx, row, "deadline.warning")
    for row in _mark(ctx, Deadline.overdue_at.is_(None) & (Deadline.ends_at <= now), overdue_at=now):
        report.overdue.append(row.id)
        _notify(ctx, row, "deadline.overdue")
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
    statement = (
        update(Deadline)
        .where(Deadline.state.in_(OPEN), Deadline.complaint_id.is_not(None), condition)  # type: ignore[arg-type]
        .values(**values)
        .returning(Deadline.id, Deadline.complaint_id, Deadline.leg_id, Deadline.clock)
        .execution_options(synchronize_session=False)
    )
    return list(ctx.session.execute(statement).all())


def _notify(ctx: CaseContext, row: Row, event: str) -> None:  # type: ignore[type-arg]
    complaint = ctx.session.get(Complaint, row.complaint_id)
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
