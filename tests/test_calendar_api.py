"""The calendar over the API: entering next year's schedule firms provisional deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from complaints.calendar_schedule import load_calendar
from complaints.database import db, utcnow
from complaints.deadlines import Deadline, start_deadline
from complaints.permissions import Role
from complaints.workdays import CHINA_TZ, PeriodUnit, last_published_year

Login = Callable[..., dict[str, str]]


def test_period_preview_across_national_day(client: FlaskClient, make_user: Callable[..., int], login: Login) -> None:
    make_user("clerk", Role.INTAKE_CLERK)
    response = client.post(
        "/api/v1/calendar/periods",
        json={"start": "2025-09-30T10:00:00+08:00", "length": 5, "unit": "working_days"},
        headers=login("clerk"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["last_day"] == "2025-10-14" and body["provisional"] is False
    naive = client.post(
        "/api/v1/calendar/periods",
        json={"start": "2025-09-30T10:00:00", "length": 5, "unit": "working_days"},
        headers=login("clerk"),
    )
    assert naive.status_code == 400 and "start" in naive.get_json()["details"]["json"]
    missing = client.post("/api/v1/calendar/periods", json={"length": 5, "extra": 1}, headers=login("clerk"))
    assert missing.get_json()["details"]["json"] == {
        "start": ["请填写开始时间"],
        "unit": ["请填写单位"],
        "extra": ["“extra”不是可提交的项目"],
    }
    for fraction in (5.5, "5"):
        loose = client.post(
            "/api/v1/calendar/periods",
            json={"start": "2025-09-30T10:00:00+08:00", "length": fraction, "unit": "working_days"},
            headers=login("clerk"),
        )
        assert loose.status_code == 400 and loose.get_json()["details"]["json"] == {"length": ["时长须为整数"]}


def test_entering_the_unknown_year_firms_provisional_deadlines(
    app: Flask, client: FlaskClient, make_user: Callable[..., int], login: Login
) -> None:
    unknown = last_published_year() + 1
    start = datetime(unknown - 1, 12, 24, 9, tzinfo=CHINA_TZ)
    with app.app_context():
        provisional = start_deadline(
            db.session, load_calendar(db.session), start=start, length=20, unit=PeriodUnit.WORKING_DAYS, now=utcnow()
        )
        db.session.commit()
        deadline_id, provisional_day = provisional.id, provisional.last_day
        assert provisional.provisional
    make_user("sys", Role.SYSTEM_ADMIN)
    make_user("handler", Role.DEPARTMENT_HANDLER, _department(app))
    headers = login("sys")

    year_url = f"/api/v1/calendar/years/{unknown}"
    assert client.get(year_url, headers=headers).get_json()["source"] == "unknown"
    status = client.get("/api/v1/calendar/status", headers=headers).get_json()
    assert status["provisional_deadlines"] == 1 and status["warning"]

    weekdays = [d for d in (date(unknown, 1, 1) + timedelta(days=i) for i in range(10)) if d.weekday() < 5][:3]
    schedule = {"holidays": [{"date": d.isoformat(), "name": "元旦"} for d in weekdays], "workdays": []}
    assert client.put(year_url, json=schedule, headers=login("handler")).status_code == 403

    response = client.put(year_url, json=schedule, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["deadlines_firmed"] == 1
    assert client.get(year_url, headers=headers).get_json()["source"] == "entered"
    with app.app_context():
        firm = db.session.get(Deadline, deadline_id)
        assert firm is not None and not firm.provisional
        assert firm.last_day > provisional_day


def test_a_schedule_with_dates_outside_its_year_is_refused(
    client: FlaskClient, make_user: Callable[..., int], login: Login
) -> None:
    make_user("sys", Role.SYSTEM_ADMIN)
    response = client.put(
        "/api/v1/calendar/years/2030",
        json={"holidays": [{"date": "2031-01-01", "name": "元旦"}], "workdays": []},
        headers=login("sys"),
    )
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_schedule"
    far = client.put("/api/v1/calendar/years/9999", json={"holidays": []}, headers=login("sys"))
    assert far.status_code == 400 and far.get_json()["code"] == "invalid_year"


def test_published_years_are_served(client: FlaskClient, make_user: Callable[..., int], login: Login) -> None:
    make_user("clerk", Role.INTAKE_CLERK)
    body = client.get("/api/v1/calendar/years/2025", headers=login("clerk")).get_json()
    assert body["source"] == "published"
    assert {"date": "2025-10-01", "name": "国庆节"} in body["holidays"]
    assert "2025-10-11" in body["workdays"]


def _department(app: Flask) -> str:
    from complaints.departments import Department

    with app.app_context():
        if db.session.scalar(select(Department).where(Department.code == "d1")) is None:
            db.session.add(Department(code="d1", name="测试局", created_at=utcnow()))
            db.session.commit()
    return "d1"


def test_correcting_an_entered_year_recounts_the_open_deadlines_that_run_into_it(
    app: Flask, client: FlaskClient, make_user: Callable[..., int], login: Login
) -> None:
    year = last_published_year() + 1
    make_user("sys", Role.SYSTEM_ADMIN)
    headers = login("sys")
    year_url = f"/api/v1/calendar/years/{year}"
    new_year = {"date": f"{year}-01-01", "name": "元旦"}
    assert client.put(year_url, json={"holidays": [new_year]}, headers=headers).status_code == 200
    with app.app_context():
        start = datetime(year, 1, 5, 9, tzinfo=CHINA_TZ)
        clock = start_deadline(
            db.session, load_calendar(db.session), start=start, length=10, unit=PeriodUnit.WORKING_DAYS, now=utcnow()
        )
        db.session.commit()
        clock_id, first_count = clock.id, clock.last_day
        assert not clock.provisional
    missed = [d for d in (start.date() + timedelta(days=i) for i in range(1, 8)) if d.weekday() < 5][:2]
    corrected = {"holidays": [new_year, *({"date": d.isoformat(), "name": "补录假日"} for d in missed)]}
    assert client.put(year_url, json=corrected, headers=headers).status_code == 200
    with app.app_context():
        recounted = db.session.get(Deadline, clock_id)
        assert recounted is not None
        assert recounted.last_day > first_count  # two more days off inside the period: it ends two working days later
        assert load_calendar(db.session).workdays_before(recounted.last_day, 2) == first_count


def test_an_empty_year_or_a_weekday_make_up_day_is_refused(
    client: FlaskClient, make_user: Callable[..., int], login: Login
) -> None:
    make_user("sys", Role.SYSTEM_ADMIN)
    empty = client.put("/api/v1/calendar/years/2031", json={"holidays": []}, headers=login("sys"))
    assert empty.status_code == 400 and "至少应有一天法定节假日" in empty.get_json()["message"]
    tuesday = client.put(
        "/api/v1/calendar/years/2030",
        json={"holidays": [{"date": "2030-01-01", "name": "元旦"}], "workdays": ["2030-01-08"]},
        headers=login("sys"),
    )
    assert tuesday.status_code == 400 and "2030-01-08 本来就是工作日" in tuesday.get_json()["message"]
    outside = client.put(
        "/api/v1/calendar/years/2030", json={"holidays": [{"date": "2031-01-01", "name": "元旦"}]}, headers=login("sys")
    )
    assert outside.get_json()["message"] == "节假日安排有误：2031-01-01 不在 2030 年内"


def test_next_years_schedule_is_asked_for_only_once_it_can_have_been_published() -> None:
    from complaints.calendar_schedule import CalendarStatus

    def status(today: date) -> CalendarStatus:
        return CalendarStatus(today=today, current_year_known=True, next_year_known=False, provisional_deadlines=0)

    assert status(date(2026, 3, 2)).warning is None
    assert "2027年" in (status(date(2026, 11, 2)).warning or "")
    with_deadline = CalendarStatus(date(2026, 3, 2), True, False, provisional_deadlines=1)
    assert "2027年" in (with_deadline.warning or "")
