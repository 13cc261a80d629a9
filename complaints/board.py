"""The overdue and supervision board: what is due soon, overdue and at each supervision level, by department.

Whose clock is it: a leg's clocks (签收/异议, 承办单位办理) belong to the leg's department, lead or assisting; a
notice's reply clock to the department the notice was sent to; the center's own clocks (中心受理, 中心交办,
中心审核, 复查) to the center, counted apart. The definitions here are shared by the case lists (a department's desk
shows its own clocks) and the dashboard (its overdue figure is the board's overdue list, counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from .cases import CaseStatus, Complaint, SupervisionLevel
from .database import DbSession
from .deadlines import Clock, ClockState, Deadline
from .departments import Department
from .legs import DepartmentLeg, LegStatus
from .notices import Notice

OPEN_CASES = (CaseStatus.ASSIGNED, CaseStatus.IN_HANDLING, CaseStatus.REPLIED, CaseStatus.UNDER_REVIEW)
ACTIVE_LEGS = (LegStatus.ASSIGNED, LegStatus.SIGNED, LegStatus.REPLIED)
CENTER_CLOCKS = (Clock.TRIAGE, Clock.ASSIGNMENT, Clock.REVIEW, Clock.RECHECK)


def running_out() -> ColumnElement[bool]:
    """A clock that can run out: running or extended, or paused after its end had already passed. A pause stops
    the count (the days come back on resume), so a clock paused in time is not overdue however long it waits.

    A clock is open exactly while someone owes its step (triage while the case waits, a notice's reply even after
    the case closed, 复查 after closure), so the case's status is not consulted."""
    return or_(
        Deadline.state.in_([ClockState.RUNNING.value, ClockState.EXTENDED.value]),
        and_(Deadline.state == ClockState.PAUSED.value, Deadline.ends_at <= Deadline.paused_at),
    )


def overdue_by(now: datetime) -> ColumnElement[bool]:
    """The one definition of an overdue clock, for the board, the dashboard and the case lists."""
    return and_(running_out(), Deadline.ends_at <= now)


def center_clocks() -> ColumnElement[bool]:
    return Deadline.clock.in_([c.value for c in CENTER_CLOCKS])


def clocks_of_department(department_id: int | None) -> ColumnElement[bool]:
    """The clocks a department answers for: those of its legs (lead or assisting) and the reply clocks of the
    notices sent to it."""
    legs = select(DepartmentLeg.id).where(DepartmentLeg.department_id == department_id)
    notices = select(Notice.reply_deadline_id).where(
        Notice.department_id == department_id, Notice.reply_deadline_id.is_not(None)
    )
    return or_(Deadline.leg_id.in_(legs), Deadline.id.in_(notices))


def overdue_clock_count(session: DbSession, now: datetime) -> int:
    """How many clocks of cases are overdue now: the length of the board's overdue list."""
    return (
        session.scalar(select(func.count(Deadline.id)).where(Deadline.complaint_id.is_not(None), overdue_by(now))) or 0
    )


@dataclass(frozen=True)
class BoardCase:
    complaint: Complaint
    clock: str
    ends_at: datetime
    overdue: bool
    department: Department | None = None  # whose clock it is; None for the center's own


@dataclass
class ClockCounts:
    due_soon: int = 0
    overdue: int = 0


@dataclass
class DepartmentRow:
    """A department's open cases (an active leg, lead or assisting), its own clocks due soon and overdue, and the
    supervision levels of the cases it leads."""

    department: Department
    open_cases: int = 0
    assisting_cases: int = 0
    due_soon: int = 0
    overdue: int = 0
    levels: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Board:
    overdue: list[BoardCase]
    due_soon: list[BoardCase]
    by_level: dict[str, list[Complaint]]
    departments: list[DepartmentRow]
    center: ClockCounts


def supervision_board(session: DbSession, now: datetime, soon: datetime) -> Board:
    """Clocks of cases that can run out and end before ``soon`` (overdue first), each with whose it is; cases of
    open status by supervision level; per department the counts of its own clocks, the center's apart."""
    owner = func.coalesce(DepartmentLeg.department_id, Notice.department_id)
    clocks = session.execute(
        select(Deadline, Complaint, owner)
        .join(Complaint, Complaint.id == Deadline.complaint_id)
        .outerjoin(DepartmentLeg, DepartmentLeg.id == Deadline.leg_id)
        .outerjoin(Notice, Notice.reply_deadline_id == Deadline.id)
        .where(running_out(), Deadline.ends_at < soon)
        .order_by(Deadline.ends_at, Deadline.id)
    ).all()
    departments = _departments(session, {department_id for _, _, department_id in clocks})
    pressing = [
        BoardCase(c, d.clock, d.ends_at, d.ends_at <= now, departments.get(department_id) if department_id else None)
        for d, c, department_id in clocks
    ]
    supervised = list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.supervision_level != SupervisionLevel.NONE.value,
                Complaint.status.in_([s.value for s in OPEN_CASES]),
            )
            .order_by(Complaint.id)
        )
    )
    by_level: dict[str, list[Complaint]] = {}
    for complaint in supervised:
        by_level.setdefault(complaint.supervision_level, []).append(complaint)
    center = ClockCounts()
    for case in pressing:
        if case.department is None:
            center.overdue += case.overdue
            center.due_soon += not case.overdue
    return Board(
        overdue=[c for c in pressing if c.overdue],
        due_soon=[c for c in pressing if not c.overdue],
        by_level=by_level,
        departments=_by_department(session, departments, pressing, supervised),
        center=center,
    )


def _departments(session: DbSession, ids: set[Any]) -> dict[int, Department]:
    ids.discard(None)
    if not ids:
        return {}
    return {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(ids)))}


def _by_department(
    session: DbSession, known: dict[int, Department], pressing: list[BoardCase], supervised: list[Complaint]
) -> list[DepartmentRow]:
    legs = session.execute(
        select(DepartmentLeg.department_id, DepartmentLeg.complaint_id, DepartmentLeg.role).where(
            DepartmentLeg.status.in_([s.value for s in ACTIVE_LEGS])
        )
    ).all()
    known = {**known, **_departments(session, {d for d, _, _ in legs} - set(known))}
    rows: dict[int, DepartmentRow] = {}

    def row_of(department: Department) -> DepartmentRow:
        return rows.setdefault(department.id, DepartmentRow(department))

    lead_of: dict[int, Department] = {}
    for department_id, complaint_id, role in legs:
        row = row_of(known[department_id])
        row.open_cases += 1
        row.assisting_cases += role == "assisting"
        if role == "lead":
            lead_of[complaint_id] = known[department_id]
    for case in pressing:
        if case.department is not None:
            row = row_of(case.department)
            row.overdue += case.overdue
            row.due_soon += not case.overdue
    for complaint in supervised:
        lead = lead_of.get(complaint.id)
        if lead is not None:
            row = row_of(lead)
            row.levels[complaint.supervision_level] = row.levels.get(complaint.supervision_level, 0) + 1
    return sorted(rows.values(), key=lambda r: (-r.overdue, -r.due_soon, r.department.code))
