"""The working-day calendar: status, a year's schedule, entering a year, and counting a period."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from complaints import calendar_schedule
from complaints.database import db, utcnow
from complaints.errors import InvalidInput
from complaints.permissions import Action
from complaints.workdays import YearSchedule

from ..auth import current_actor, requires
from ..schemas import (
    CalendarStatusSchema,
    PeriodArgs,
    PeriodSchema,
    YearEnteredSchema,
    YearScheduleArgs,
    YearScheduleSchema,
)

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历")


@blp.route("/status", methods=["GET"])
@blp.response(200, CalendarStatusSchema)
@requires(Action.VIEW_CALENDAR)
def status() -> Any:
    return calendar_schedule.calendar_status(db.session, now=utcnow())


@blp.route("/years/<int:year>", methods=["GET"])
@blp.response(200, YearScheduleSchema)
@requires(Action.VIEW_CALENDAR)
def get_year(year: int) -> Any:
    schedule, source = calendar_schedule.year_schedule(db.session, year)
    return _dump_schedule(year, schedule, source)


@blp.route("/years/<int:year>", methods=["PUT"])
@blp.arguments(YearScheduleArgs())
@blp.response(200, YearEnteredSchema)
@requires(Action.EDIT_CALENDAR)
def put_year(args: dict[str, Any], year: int) -> Any:
    firmed = calendar_schedule.enter_year_schedule(
        db.session,
        year=year,
        holidays={entry["date"]: entry["name"] for entry in args["holidays"]},
        workdays=set(args["workdays"]),
        actor=current_actor(),
        now=utcnow(),
    )
    schedule, source = calendar_schedule.year_schedule(db.session, year)
    return {**_dump_schedule(year, schedule, source), "deadlines_firmed": firmed}


@blp.route("/periods", methods=["POST"])
@blp.arguments(PeriodArgs())
@blp.response(200, PeriodSchema)
@requires(Action.VIEW_CALENDAR)
def count_period(args: dict[str, Any]) -> Any:
    calendar = calendar_schedule.load_calendar(db.session)
    try:
        return calendar.count(args["start"], args["length"], args["unit"])
    except OverflowError:
        raise InvalidInput("期限超出可计算范围", code="period_out_of_range") from None


def _dump_schedule(year: int, schedule: YearSchedule | None, source: str) -> dict[str, Any]:
    holidays = sorted(schedule.holidays.items()) if schedule else []
    return {
        "year": year,
        "source": source,
        "holidays": [{"date": day, "name": name} for day, name in holidays],
        "workdays": sorted(schedule.workdays) if schedule else [],
    }
