"""The overdue and supervision board: what is due soon, overdue and at each supervision level, by department."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from .cases import CaseStatus, Complaint, SupervisionLevel
from .database import DbSession
from .deadlines import OPEN_STATES, Deadline
from .departments import Department
from .legs import DepartmentLeg, LegStatus

OPEN_CASES = (CaseStatus.ASSIGNED, CaseStatus.IN_HANDLING, CaseStatus.REPLIED, CaseStatus.UNDER_REVIEW)
ACTIVE_LEGS = (LegStatus.ASSIGNED, LegStatus.SIGNED, LegStatus.REPLIED)


@dataclass(frozen=True)
class BoardCase:
    complaint: Complaint
    clock: str
    ends_at: datetime
    overdue: bool


@dataclass
class DepartmentRow:
    department: Department
    open_cases: int = 0
    due_soon: int = 0
    overdue: int = 0
    levels: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Board:
    overdue: list[BoardCase]
    due_soon: list[BoardCase]
    by_level: dict[str, list[Complaint]]
    departments: list[DepartmentRow]


def supervision_board(session: DbSession, now: datetime, soon: datetime) -> Board:
    """Open clocks of open cases ending before ``soon`` (overdue first), cases by supervision level, and per lead
    department the counts."""
    clocks = session.execute(
        select(Deadline, Complaint)
        .join(Complaint, Complaint.id == Deadline.complaint_id)
        .where(
            Deadline.state.in_([s.value for s in OPEN_STATES]),
            Deadline.ends_at < soon,
            Complaint.status.in_([s.value for s in OPEN_CASES]),
        )
        .order_by(Deadline.ends_at)
    ).all()
    pressing = [BoardCase(c, d.clock, d.ends_at, d.ends_at <= now) for d, c in clocks]
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
    return Board(
        overdue=[c for c in pressing if c.overdue],
        due_soon=[c for c in pressing if not c.overdue],
        by_level=by_level,
        departments=_by_department(session, pressing, supervised),
    )


def _by_department(session: DbSession, pressing: list[BoardCase], supervised: list[Complaint]) -> list[DepartmentRow]:
    legs = session.execute(
        select(DepartmentLeg.department_id, DepartmentLeg.complaint_id).where(
            DepartmentLeg.role == "lead", DepartmentLeg.status.in_([s.value for s in ACTIVE_LEGS])
        )
    ).all()
    rows: dict[int, DepartmentRow] = {}
    for department in session.scalars(select(Department).where(Department.id.in_({d for d, _ in legs}))):
        rows[department.id] = DepartmentRow(department)
    for department_id, _ in legs:
        rows[department_id].open_cases += 1
    lead_of = {complaint_id: department_id for department_id, complaint_id in legs}
    for case in pressing:
        row = rows.get(lead_of.get(case.complaint.id, -1))
        if row is not None:
            row.overdue += case.overdue
            row.due_soon += not case.overdue
    for complaint in supervised:
        row = rows.get(lead_of.get(complaint.id, -1))
        if row is not None:
            row.levels[complaint.supervision_level] = row.levels.get(complaint.supervision_level, 0) + 1
    return sorted(rows.values(), key=lambda r: (-r.overdue, -r.due_soon, r.department.code))
