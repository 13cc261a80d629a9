"""Whose clock is it, and figures that agree: a department's desk and the board count each department's own clocks
(an assisting leg's against the assisting department, the center's review apart), the dashboard's overdue figure
is the board's overdue list, and 回访 are counted per visit, a reopen notwithstanding."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from api.settings import personal_data_cipher
from complaints import after_closure, handling, supervision, triage_decisions
from complaints.board import Board, DepartmentRow, supervision_board
from complaints.case_views import CaseFilters, CaseRow, search_cases
from complaints.cases import Complaint
from complaints.database import db, utcnow
from complaints.deadlines import Deadline
from complaints.demo import DemoCases
from complaints.follow_ups import follow_up_counts
from complaints.legs import DepartmentLeg
from complaints.statistics import DEFAULT_FORMULAS, Dashboard, Period, dashboard
from complaints.workdays import china_day

from .desk import Desk

SOON = timedelta(days=3)


@contextmanager
def center(app: Flask) -> Iterator[DemoCases]:
    """Builds cases in the past through the domain functions (the demo seed's builder), committed at the end."""
    with app.app_context():
        yield DemoCases(db.session, personal_data_cipher(), utcnow())
        db.session.commit()


def file_case(cases: DemoCases, days_ago: float, title: str = "查封设备超过法定期限未解封") -> Complaint:
    return cases.file(
        days_ago,
        title,
        "设备被查封已两个多月，未作处理决定。",
        "市市场监督管理局",
        "irregular-procedure",
        "market",
        None,
    )


def assign(cases: DemoCases, complaint: Complaint, days_ago: float, assisting: list[str] | None = None) -> None:
    cases.step("triage", days_ago, lambda c: triage_decisions.accept(c, complaint))
    cases.step(
        "triage",
        days_ago - 0.1,
        lambda c: handling.assign(
            c, complaint, lead_code="city-samr", assisting_codes=assisting or [], instructions="请核查"
        ),
    )
    cases.step("samr.handler", days_ago - 0.2, lambda c: handling.sign(c, handling.lead_leg(complaint)))


def to_review(cases: DemoCases, complaint: Complaint, days_ago: float) -> None:
    assign(cases, complaint, days_ago)
    cases.step("samr.handler", days_ago - 1, lambda c: handling.reply(c, handling.lead_leg(complaint), "已核查整改"))
    cases.step("triage", days_ago - 1.5, lambda c: handling.begin_review(c, complaint))


def to_closed(cases: DemoCases, complaint: Complaint, days_ago: float) -> None:
    to_review(cases, complaint, days_ago)
    cases.step("supervisor", days_ago - 2, lambda c: handling.close(c, complaint, "经核实，已纠正并退还罚款。"))


def clock_end(case_id: int, clock: str, department: str | None = None) -> datetime:
    """The end of the case's clock of that kind, of that department's leg when one is named."""
    for deadline in db.session.scalars(
        select(Deadline).where(Deadline.complaint_id == case_id, Deadline.clock == clock)
    ):
        leg = db.session.get(DepartmentLeg, deadline.leg_id) if deadline.leg_id else None
        if department is None or (leg is not None and leg.department.code == department):
            return deadline.ends_at
    raise AssertionError(f"no {clock} clock for {department} on case {case_id}")


def api_rows(desk: Desk, username: str, query: str = "") -> dict[int, dict[str, Any]]:
    response = desk.get(username, f"/api/v1/complaints?per_page=100{query}")
    assert response.status_code == 200, response.get_json()
    return {item["id"]: item for item in response.get_json()["items"]}


def desk_rows(username: str, now: datetime) -> dict[int, CaseRow]:
    """The department's desk (the console's query): its cases by its own deadlines."""
    actor = DemoCases(db.session, personal_data_cipher(), now).ctx(username, 0).actor
    page = search_cases(db.session, actor, CaseFilters(sort="due", per_page=100), now)
    return {row.complaint.id: row for row in page.items}


def board_and_dashboard(now: datetime, period: Period | None = None) -> tuple[Board, Dashboard]:
    today = china_day(now)
    period = period or Period(today - timedelta(days=90), today)
    return supervision_board(db.session, now, now + SOON), dashboard(db.session, period, DEFAULT_FORMULAS, now)


def department_row(board: Board, code: str) -> DepartmentRow:
    return next(row for row in board.departments if row.department.code == code)


def test_an_overdue_assisting_leg_counts_against_the_assisting_department_not_the_lead(app: Flask, desk: Desk) -> None:
    with center(app) as cases:
        complaint = file_case(cases, 25)
        assign(cases, complaint, 24.5, assisting=["city-eco"])
        case_id = complaint.id
    now = utcnow()
    with app.app_context():
        eco_sign = clock_end(case_id, "sign", "city-eco")
        samr_handling = clock_end(case_id, "handling", "city-samr")
    assert eco_sign <= now < samr_handling - SOON  # only the assisting department's signing window has passed

    samr, eco, staff = api_rows(desk, "samr.handler"), api_rows(desk, "eco.handler"), api_rows(desk, "supervisor")
    assert samr[case_id]["overdue"] is False
    assert datetime.fromisoformat(samr[case_id]["next_due_at"]) == samr_handling
    assert eco[case_id]["overdue"] is True
    assert datetime.fromisoformat(eco[case_id]["next_due_at"]) == eco_sign
    assert staff[case_id]["overdue"] is True  # the center sees the case's earliest clock
    assert datetime.fromisoformat(staff[case_id]["next_due_at"]) == eco_sign
    assert case_id not in api_rows(desk, "samr.handler", "&overdue=true")
    assert case_id in api_rows(desk, "samr.handler", "&overdue=false")
    assert case_id in api_rows(desk, "eco.handler", "&overdue=true")

    with app.app_context():
        board, figures = board_and_dashboard(now)
        overdue = [(item.complaint.id, item.clock, item.department and item.department.code) for item in board.overdue]
        assert overdue == [(case_id, "sign", "city-eco")]
        samr_row, eco_row = department_row(board, "city-samr"), department_row(board, "city-eco")
        assert (samr_row.open_cases, samr_row.assisting_cases, samr_row.overdue) == (1, 0, 0)
        assert (eco_row.open_cases, eco_row.assisting_cases, eco_row.overdue) == (1, 1, 1)
        assert (board.center.overdue, board.center.due_soon) == (0, 0)
        assert figures.overdue_clocks == len(board.overdue) == 1


def test_the_center_s_overdue_review_is_shown_apart_from_the_department_s_clocks(app: Flask, desk: Desk) -> None:
    with center(app) as cases:
        reviewed = file_case(cases, 30)
        to_review(cases, reviewed, 29.5)
        handled = file_case(cases, 10, "执法人员未出示证件")
        assign(cases, handled, 9.5)
        reviewed_id, handled_id = reviewed.id, handled.id
    now = utcnow()
    with app.app_context():
        review_end = clock_end(reviewed_id, "review")
        handling_end = clock_end(handled_id, "handling", "city-samr")
        assert review_end <= now
        rows = desk_rows("samr.handler", now)
        assert rows[reviewed_id].complaint.status == "under_review"
        assert (rows[reviewed_id].next_due_at, rows[reviewed_id].overdue) == (None, False)  # nothing owed by SAMR
        assert (rows[reviewed_id].center_due_at, rows[reviewed_id].center_overdue) == (review_end, True)
        assert (rows[handled_id].next_due_at, rows[handled_id].center_due_at) == (handling_end, None)
        assert list(rows) == [handled_id, reviewed_id]  # by the department's own deadlines, owing nothing last

        board, figures = board_and_dashboard(now)
        assert [(item.complaint.id, item.clock, item.department) for item in board.overdue] == [
            (reviewed_id, "review", None)
        ]
        assert board.center.overdue == 1 and department_row(board, "city-samr").overdue == 0
        assert figures.overdue_clocks == len(board.overdue) == 1  # a case under review counts on both
    samr_api = api_rows(desk, "samr.handler")[reviewed_id]
    assert samr_api["overdue"] is False and samr_api["next_due_at"] is None
    staff = api_rows(desk, "triage")[reviewed_id]
    assert staff["overdue"] is True and datetime.fromisoformat(staff["next_due_at"]) == review_end


def test_a_paused_clock_is_not_overdue_while_it_stands_still(app: Flask, desk: Desk) -> None:
    with center(app) as cases:
        complaint = file_case(cases, 5)
        assign(cases, complaint, 4.5)
        cases.step("supervisor", 4, lambda c: supervision.pause_handling(c, complaint, "等待司法鉴定结论"))
        case_id = complaint.id
    with app.app_context():
        later = clock_end(case_id, "handling", "city-samr") + timedelta(days=10)
        row = desk_rows("samr.handler", later)[case_id]
        assert row.next_due_at is None and not row.overdue
        board, figures = board_and_dashboard(later)
        assert board.overdue == [] and figures.overdue_clocks == 0
        assert department_row(board, "city-samr").overdue == 0


def test_a_dissatisfied_visit_stays_counted_after_the_reopen(app: Flask, desk: Desk) -> None:
    with center(app) as cases:
        reopened = file_case(cases, 60)
        to_closed(cases, reopened, 59.5)
        cases.step(
            "triage",
            20,
            lambda c: after_closure.record_follow_up(
                c, reopened, outcome="dissatisfied", comment="款项仍未退还", source="staff"
            ),
        )
        satisfied = file_case(cases, 50, "罚款未出具文书")
        to_closed(cases, satisfied, 49.5)
        cases.step(
            "triage",
            30,
            lambda c: after_closure.record_follow_up(c, satisfied, outcome="satisfied", comment=None, source="staff"),
        )
        assert reopened.status == "assigned" and reopened.follow_up_outcome is None and reopened.redo_count == 1
    now = utcnow()
    today = china_day(now)
    with app.app_context():
        _, figures = board_and_dashboard(now)
        samr = next(row for row in figures.departments if row.department.code == "city-samr")
        assert samr.counts["assigned"] == 3  # two first rounds and the redo
        assert (samr.counts["visited"], samr.counts["satisfied"]) == (2, 1)
        assert samr.rates["satisfaction"] == 0.5
        visits = next(row for row in follow_up_counts(db.session) if row.department.code == "city-samr")
        assert (visits.visited, visits.satisfied, visits.dissatisfied) == (2, 1, 1)  # the 回访 page agrees

        _, redo_only = board_and_dashboard(now, Period(today - timedelta(days=25), today))
        redo = next(row for row in redo_only.departments if row.department.code == "city-samr")
        assert (redo.counts["assigned"], redo.counts["visited"]) == (1, 0)  # the visit belongs to the round it judged
