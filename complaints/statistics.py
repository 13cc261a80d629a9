"""The figures leadership reads: the funnel, the three rates per department with their formulas, counts by
category, domain and channel, the monthly trend, average handling time and what is overdue.

A period is a range of China days, both ends included; cases count in the period they were submitted in,
department figures in the period their lead leg was assigned in.

回访 are counted from the follow-up rows, one per visit, never from the case's current outcome (a reopen clears
it): each visit belongs to the lead leg that brought its round to closure (a visit's round is the lead leg's round,
and that leg is the one done), so a dissatisfied visit stays counted against the department that handled the case
at the time, and the redo is a new leg with a visit of its own. The overdue figure is the supervision board's
overdue list, counted (:func:`complaints.board.overdue_clock_count`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, select

from .board import overdue_clock_count
from .cases import CaseStatus, Complaint
from .database import DbSession
from .deadlines import Clock, Deadline
from .departments import Department
from .follow_ups import FollowUp
from .legs import DepartmentLeg, LegStatus
from .workdays import CHINA_TZ, china_day

COUNTS = {
    "assigned": "交办数",
    "signed": "签收数",
    "signed_on_time": "按时签收数",
    "replied": "答复数",
    "closed": "办结数",
    "visited": "回访数",
    "satisfied": "满意数",
}
METRICS = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率"}
DEFAULT_FORMULAS = {
    "response": ("signed_on_time", "assigned"),
    "resolution": ("closed", "assigned"),
    "satisfaction": ("satisfied", "visited"),
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def instants(self) -> tuple[datetime, datetime]:
        first = datetime.combine(self.start, time.min, CHINA_TZ)
        return first, datetime.combine(self.end + timedelta(days=1), time.min, CHINA_TZ)


@dataclass
class DepartmentFigures:
    department: Department
    counts: Counter[str] = field(default_factory=Counter)
    rates: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    period: Period
    funnel: dict[str, int]
    by_category: list[tuple[str, int]]
    by_domain: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    trend: list[tuple[str, int, int]]
    average_handling_days: float | None
    overdue_clocks: int
    departments: list[DepartmentFigures]
    formulas: dict[str, str]
    case_ids: list[int]


def formula_text(formulas: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {m: f"{METRICS[m]} = {COUNTS[n]} ÷ {COUNTS[d]}" for m, (n, d) in formulas.items()}


def dashboard(session: DbSession, period: Period, formulas: dict[str, tuple[str, str]], now: datetime) -> Dashboard:
    start, end = period.instants()
    cases = list(
        session.scalars(select(Complaint).where(Complaint.submitted_at >= start, Complaint.submitted_at < end))
    )
    closed = [c for c in cases if c.status == CaseStatus.CLOSED.value]
    handled = [(c.closed_at - c.accepted_at).total_seconds() / 86400 for c in closed if c.closed_at and c.accepted_at]
    return Dashboard(
        period=period,
        funnel={
            "collected": len(cases),
            "accepted": sum(c.accepted_at is not None for c in cases),
            "closed": len(closed),
        },
        by_category=_counted(c.category.name if c.category else "未分类" for c in cases),
        by_domain=_counted(c.domain.name if c.domain else "未分类" for c in cases),
        by_channel=_counted(c.channel for c in cases),
        trend=_trend(cases),
        average_handling_days=sum(handled) / len(handled) if handled else None,
        overdue_clocks=overdue_clock_count(session, now),
        departments=_departments(session, start, end, formulas),
        formulas=formula_text(formulas),
        case_ids=[c.id for c in cases],
    )


def _counted(values: Iterable[str]) -> list[tuple[str, int]]:
    return Counter(values).most_common()


def _trend(cases: list[Complaint]) -> list[tuple[str, int, int]]:
    collected = Counter(china_day(c.submitted_at).strftime("%Y-%m") for c in cases)
    closed = Counter(china_day(c.closed_at).strftime("%Y-%m") for c in cases if c.closed_at)
    return [(month, collected[month], closed[month]) for month in sorted(set(collected) | set(closed))]


def _departments(
    session: DbSession, start: datetime, end: datetime, formulas: dict[str, tuple[str, str]]
) -> list[DepartmentFigures]:
    in_period = (DepartmentLeg.role == "lead", DepartmentLeg.assigned_at >= start, DepartmentLeg.assigned_at < end)
    legs = session.execute(
        select(DepartmentLeg, Complaint).join(Complaint, Complaint.id == DepartmentLeg.complaint_id).where(*in_period)
    ).all()
    visits = _visits_of_lead_legs(session, in_period)
    sign_ends: dict[int | None, datetime] = {
        row.leg_id: row.ends_at
        for row in session.execute(
            select(Deadline.leg_id, Deadline.ends_at).where(
                Deadline.clock == Clock.SIGN.value, Deadline.leg_id.in_([leg.id for leg, _ in legs])
            )
        )
    }
    figures: dict[int, DepartmentFigures] = {}
    for leg, complaint in legs:
        row = figures.setdefault(leg.department_id, DepartmentFigures(leg.department))
        row.counts["assigned"] += 1
        row.counts["signed"] += leg.signed_at is not None
        due = sign_ends.get(leg.id)
        row.counts["signed_on_time"] += leg.signed_at is not None and (due is None or leg.signed_at <= due)
        row.counts["replied"] += leg.replied_at is not None
        row.counts["closed"] += complaint.status == CaseStatus.CLOSED.value
        row.counts["visited"] += leg.id in visits
        row.counts["satisfied"] += visits.get(leg.id) == "satisfied"
    for row in figures.values():
        row.rates = {
            metric: row.counts[n] / row.counts[d] if row.counts[d] else None for metric, (n, d) in formulas.items()
        }
    return sorted(figures.values(), key=lambda r: r.department.code)


def _visits_of_lead_legs(session: DbSession, legs: tuple[ColumnElement[bool], ...]) -> dict[int, str]:
    """Lead leg id → the verdict of the visit of its round, for the legs that brought a round to closure."""
    rows = session.execute(
        select(DepartmentLeg.id, FollowUp.outcome)
        .join(
            FollowUp,
            and_(FollowUp.complaint_id == DepartmentLeg.complaint_id, FollowUp.round == DepartmentLeg.round),
        )
        .where(*legs, DepartmentLeg.status == LegStatus.DONE.value)
    )
    return {row.id: row.outcome for row in rows}
