"""The seeded demo center through the API: cases in every state, filters, search, sorting, pagination."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from complaints.board import supervision_board
from complaints.cases import CaseStatus
from complaints.database import db, utcnow
from complaints.statistics import DEFAULT_FORMULAS, Period, dashboard
from complaints.workdays import china_day

from .desk import Desk


def seed_cases(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output


def test_seeded_center_shows_every_state(app: Flask, desk: Desk) -> None:
    seed_cases(app)
    page = desk.get("supervisor", "/api/v1/complaints?per_page=100").get_json()
    assert {item["status"] for item in page["items"]} == {status.value for status in CaseStatus}
    assert page["total"] == len(page["items"]) >= len(CaseStatus)
    assert any(item["overdue"] for item in page["items"])
    assert {item["supervision_level"] for item in page["items"]} >= {"none", "yellow"}
    detail_ids = [item["id"] for item in page["items"]]
    for case_id in detail_ids:
        assert desk.get("supervisor", f"/api/v1/complaints/{case_id}").status_code == 200
    notices = desk.get("supervisor", "/api/v1/notices").get_json()
    assert {notice["kind"] for notice in notices} == {"supervision_notice", "clue_transfer"}


def test_filters_search_sort_and_pages(app: Flask, desk: Desk) -> None:
    seed_cases(app)

    def get(query: str) -> dict[str, Any]:
        result: dict[str, Any] = desk.get("triage", f"/api/v1/complaints?{query}").get_json()
        return result

    closed = get("status=closed")
    assert closed["total"] >= 2 and all(item["status"] == "closed" for item in closed["items"])
    both = get("status=closed&status=rejected")
    assert {item["status"] for item in both["items"]} == {"closed", "rejected"}
    assert all(item["overdue"] for item in get("overdue=true")["items"])
    assert get("q=查封设备")["items"][0]["title"].startswith("查封设备")
    assert get("q=示例食品有限公司")["total"] >= 3
    assert get("q=%25")["total"] == get("q=_")["total"] == 0  # typed literally, not as wildcards
    reference = get("per_page=1")["items"][0]["reference"]
    assert get(f"q={reference}")["items"][0]["reference"] == reference
    assert all(item["lead_department"]["code"] == "city-samr" for item in get("lead_department=city-samr")["items"])
    assert all(item["category"]["code"] == "arbitrary-fines" for item in get("category=arbitrary-fines")["items"])
    due = [item["next_due_at"] for item in get("sort=due&per_page=100")["items"] if item["next_due_at"]]
    assert due == sorted(due)
    first, second = get("per_page=5&page=1"), get("per_page=5&page=2")
    assert first["total"] == second["total"] and not {i["id"] for i in first["items"]} & {
        i["id"] for i in second["items"]
    }
    bad = desk.get("triage", "/api/v1/complaints?status=nonsense")
    assert bad.status_code == 400 and bad.get_json()["code"] == "validation_error"


def test_seeded_desks_and_board_blame_the_department_whose_clock_ran_out(app: Flask, desk: Desk) -> None:
    """The demo's overdue case has an assisting 市生态环境局 that never signed, and two cases wait on the center's
    review: the lead 市场监管局 is not blamed for either, and the dashboard counts what the board lists."""
    seed_cases(app)
    samr = desk.get("samr.handler", "/api/v1/complaints?per_page=100").get_json()["items"]
    waiting_on_center = [item for item in samr if item["status"] in ("replied", "under_review")]
    assert len(waiting_on_center) == 2
    assert all(not item["overdue"] and item["next_due_at"] is None for item in waiting_on_center)
    staff = {item["id"]: item for item in desk.get("supervisor", "/api/v1/complaints?per_page=100").get_json()["items"]}
    assert all(staff[item["id"]]["next_due_at"] for item in waiting_on_center)  # the center's review clock
    eco = desk.get("eco.handler", "/api/v1/complaints?overdue=true").get_json()["items"]
    assert [item["title"] for item in eco] == ["查封设备超过法定期限未解封"]

    now = utcnow()
    with app.app_context():
        board = supervision_board(db.session, now, now + timedelta(days=3))
        overdue_by = {row.department.code: row.overdue for row in board.departments}
        assert overdue_by["city-eco"] == 2  # its signing and handling clocks on the overdue case
        pressing = board.overdue + board.due_soon
        assert all(item.department is None for item in pressing if item.clock == "review")  # the center's own
        assert sum(overdue_by.values()) + board.center.overdue == len(board.overdue)
        today = china_day(now)
        figures = dashboard(db.session, Period(today - timedelta(days=400), today), DEFAULT_FORMULAS, now)
        assert figures.overdue_clocks == len(board.overdue)
        samr_figures = next(row for row in figures.departments if row.department.code == "city-samr")
        assert (samr_figures.counts["visited"], samr_figures.counts["satisfied"]) == (2, 1)  # one visit reopened


def test_reference_data_and_policies(desk: Desk) -> None:
    departments = desk.get("clerk", "/api/v1/departments").get_json()
    samr = next(d for d in departments if d["code"] == "city-samr")
    assert {c["code"] for c in samr["categories"]} >= {"arbitrary-fines"}
    assert len(desk.get("clerk", "/api/v1/categories").get_json()) >= 8
    body = {
        "clock": "handling",
        "category": "arbitrary-fines",
        "urgency": "urgent",
        "length": 10,
        "unit": "working_days",
        "basis": "中心规定：紧急乱罚款类10个工作日",
    }
    response = desk.client.put("/api/v1/deadline-policies", json=body, headers=desk.headers("sysadmin"))
    assert response.status_code == 200
    assert (
        desk.client.put("/api/v1/deadline-policies", json=body, headers=desk.headers("supervisor")).status_code == 403
    )
    case = desk.register(urgency="urgent")["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": "city-samr"})
    handling = next(c for c in desk.detail("supervisor", case["id"])["clocks"] if c["clock"] == "handling")
    assert handling["length"] == 10 and handling["unit"] == "working_days"
