"""The two state machines, as tables: the case's and each department leg's.

Every transition goes through :func:`move_case` or :func:`move_leg`, which refuse a transition the current
state does not allow with :class:`InvalidTransition` (HTTP 409) and write the timeline event. The database
check constraints (cases.py, legs.py) are the second line: they refuse states no transition should produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .accounts import Actor
from .calendar_schedule import load_calendar
from .cases import STATUS_LABELS, CaseStatus, Complaint
from .crypto import PersonalDataCipher
from .database import DbSession
from .errors import Conflict
from .legs import DepartmentLeg, LegStatus
from .timeline import TimelineEvent
from .workdays import WorkingCalendar

S = CaseStatus
CASE_TRANSITIONS: dict[str, tuple[frozenset[CaseStatus], CaseStatus, str]] = {
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED, "受理"),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED, "不予受理"),
    "merge": (frozenset({S.SUBMITTED}), S.MERGED, "并案"),
    "transfer": (frozenset({S.SUBMITTED}), S.TRANSFERRED, "转送"),
    "withdraw": (frozenset({S.SUBMITTED}), S.WITHDRAWN, "撤回"),
    "assign": (frozenset({S.ACCEPTED}), S.ASSIGNED, "交办"),
    "lead_signed": (frozenset({S.ASSIGNED}), S.IN_HANDLING, "签收"),
    "lead_objected": (frozenset({S.ASSIGNED}), S.ACCEPTED, "异议退回"),
    "lead_replied": (frozenset({S.IN_HANDLING}), S.REPLIED, "答复"),
    "begin_review": (frozenset({S.REPLIED}), S.UNDER_REVIEW, "审核"),
    "send_back": (frozenset({S.UNDER_REVIEW}), S.IN_HANDLING, "退回重办"),
    "close": (frozenset({S.UNDER_REVIEW}), S.CLOSED, "办结"),
    "reopen": (frozenset({S.CLOSED}), S.ASSIGNED, "重办"),
}

L = LegStatus
LEG_TRANSITIONS: dict[str, tuple[frozenset[LegStatus], LegStatus, str]] = {
    "sign": (frozenset({L.ASSIGNED}), L.SIGNED, "签收"),
    "object": (frozenset({L.ASSIGNED}), L.OBJECTED, "提出异议"),
    "reply": (frozenset({L.SIGNED}), L.REPLIED, "答复"),
    "send_back": (frozenset({L.REPLIED}), L.SIGNED, "退回重办"),
    "cancel": (frozenset({L.ASSIGNED, L.SIGNED, L.REPLIED}), L.CANCELLED, "撤销交办"),
    "complete": (frozenset({L.REPLIED}), L.DONE, "办结"),
}
LEG_LABELS = {
    L.DONE: "已办结",
    L.ASSIGNED: "待签收",
    L.SIGNED: "办理中",
    L.REPLIED: "已答复",
    L.OBJECTED: "已提出异议",
    L.CANCELLED: "已撤销",
}
FINAL_STATUSES = frozenset({S.REJECTED, S.MERGED, S.TRANSFERRED, S.WITHDRAWN})


class InvalidTransition(Conflict):
    code = "invalid_transition"


@dataclass(frozen=True)
class StaffActor(Actor):
    """The acting staff member, with what the rules need to know about them."""

    role: str = ""
    department_id: int | None = None
    label: str = "法治监督中心"


SYSTEM_ACTOR = StaffActor(id=None, name="system", label="法治监督中心（系统）")


@dataclass
class CaseContext:
    """What every case operation needs, passed explicitly: the session, the actor, the instant, the calendar."""

    session: DbSession
    actor: StaffActor
    now: datetime
    cipher: PersonalDataCipher
    calendar: WorkingCalendar

    @classmethod
    def build(cls, session: DbSession, actor: StaffActor, now: datetime, cipher: PersonalDataCipher) -> CaseContext:
        return cls(session, actor, now, cipher, load_calendar(session))


def move_case(
    ctx: CaseContext, complaint: Complaint, action: str, *, note: str | None = None, public: bool = True
) -> TimelineEvent:
    allowed, target, label = CASE_TRANSITIONS[action]
    current = CaseStatus(complaint.status)
    if current not in allowed:
        raise InvalidTransition(f"案件当前状态为「{STATUS_LABELS[current]}」，不能{label}")
    complaint.status = target.value
    return record_event(ctx, complaint, action, note=note, public=public, from_status=current, to_status=target)


def move_leg(
    ctx: CaseContext, leg: DepartmentLeg, action: str, *, note: str | None = None, public: bool = False
) -> None:
    allowed, target, label = LEG_TRANSITIONS[action]
    current = LegStatus(leg.status)
    if current not in allowed:
        raise InvalidTransition(f"该承办任务当前为「{LEG_LABELS[current]}」，不能{label}")
    leg.status = target.value
    record_event(ctx, leg.complaint, f"leg_{action}", note=note, public=public, department_id=leg.department_id)


def record_event(
    ctx: CaseContext,
    complaint: Complaint,
    action: str,
    *,
    note: str | None = None,
    public: bool = False,
    from_status: str | None = None,
    to_status: str | None = None,
    department_id: int | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        complaint_id=complaint.id,
        occurred_at=ctx.now,
        actor_id=ctx.actor.id,
        actor_label=ctx.actor.label,
        action=action,
        from_status=from_status,
        to_status=to_status,
        department_id=department_id if department_id is not None else ctx.actor.department_id,
        note=note,
        public=public,
    )
    ctx.session.add(event)
    return event
