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
