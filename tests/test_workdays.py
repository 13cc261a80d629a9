"""The working-day calendar and the legal counting rule (pure; no database)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from complaints.workdays import (
    CHINA_TZ,
    PeriodUnit,
    WorkingCalendar,
    YearSchedule,
    china_day,
    last_published_year,
    published_schedule,
)

CAL = WorkingCalendar()


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


@pytest.fixture(autouse=True)
def _server_not_in_china(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Counting must use China Standard Time whatever the server's zone."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("start", "length", "last_day"),
    [
        # 2025 National Day + Mid-autumn: Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are make-up workdays.
        (cst(2025, 9, 30, 10), 5, date(2025, 10, 14)),  # Oct 9, 10, 11 (make-up Sat), 13, 14
        (cst(2025, 9, 26, 16), 5, date(2025, 10, 10)),  # Sep 28 (make-up Sun), 29, 30, Oct 9, 10
        (cst(2025, 9, 30, 23, 59), 1, date(2025, 10, 9)),
        (cst(2025, 11, 3, 9), 1, date(2025, 11, 4)),  # the start day is not counted
        (cst(2025, 11, 7, 9), 5, date(2025, 11, 14)),  # an ordinary weekend is skipped
    ],
)
def test_working_day_periods_across_national_day(start: datetime, length: int, last_day: date) -> None:
    period = CAL.count(start, length, PeriodUnit.WORKING_DAYS)
    assert period.last_day == last_day
    assert not period.provisional


@pytest.mark.parametrize(
    ("start", "length", "last_day"),
    [
        (cst(2025, 9, 21, 9), 10, date(2025, 10, 9)),  # ends on Oct 1, a holiday: moves past the holiday
        (cst(2025, 10, 1, 9), 10, date(2025, 10, 11)),  # ends on make-up Saturday Oct 11: a working day, stays
        (cst(2025, 11, 5, 9), 10, date(2025, 11, 17)),  # ends on Saturday Nov 15: moves to Monday
        (cst(2025, 11, 3, 9), 10, date(2025, 11, 13)),  # ends on a Thursday: stays
    ],
)
def test_calendar_day_periods_follow_civil_code_203(start: datetime, length: int, last_day: date) -> None:
    assert CAL.count(start, length, PeriodUnit.CALENDAR_DAYS).last_day == last_day


def test_days_are_counted_in_china_time() -> None:
    start = datetime(2025, 9, 30, 17, 0, tzinfo=UTC)  # already 01:00 on Oct 1 in Beijing
    period = CAL.count(start, 1, PeriodUnit.WORKING_DAYS)
    assert period.start_day == date(2025, 10, 1)
    assert period.last_day == date(2025, 10, 9)
    assert period.ends_at == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)  # 24:00 Beijing time
    assert china_day(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) == date(2026, 1, 1)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.count(datetime(2025, 10, 1, 9), 5, PeriodUnit.WORKING_DAYS)


def test_period_reaching_an_unknown_year_is_provisional_on_weekends_only() -> None:
    last_known = last_published_year()
    unknown = last_known + 1
    start = cst(last_known, 12, 24, 9)
    period = CAL.count(start, 20, PeriodUnit.WORKING_DAYS)
    assert period.provisional
    assert period.unknown_years == {unknown}
    expected = _weekday_count(date(last_known, 12, 24), 20, CAL)
    assert period.last_day == expected

    weekdays = [d for d in (date(unknown, 1, 1) + timedelta(days=i) for i in range(10)) if d.weekday() < 5][:3]
    schedule = YearSchedule(unknown, dict.fromkeys(weekdays, "元旦"))
    firm = WorkingCalendar([schedule]).count(start, 20, PeriodUnit.WORKING_DAYS)
    assert not firm.provisional
    assert firm.last_day == _weekday_count(date(last_known, 12, 24), 20, CAL, extra_holidays=set(weekdays))
    assert firm.last_day > period.last_day


def test_period_within_known_years_is_firm() -> None:
    last_known = last_published_year()
    assert not CAL.count(cst(last_known, 6, 1, 9), 60, PeriodUnit.CALENDAR_DAYS).provisional


def test_entered_schedule_replaces_the_published_one() -> None:
    published = published_schedule(2025)
    assert published is not None
    corrected = YearSchedule(2025, {**published.holidays, date(2025, 11, 14): "测试更正"}, published.workdays)
    calendar = WorkingCalendar([corrected])
    assert calendar.count(cst(2025, 11, 7, 9), 5, PeriodUnit.WORKING_DAYS).last_day == date(2025, 11, 17)


def test_year_schedule_is_validated() -> None:
    with pytest.raises(ValueError, match="不在 2030 年内"):
        YearSchedule(2030, {date(2031, 1, 1): "元旦"})
    with pytest.raises(ValueError, match="既是节假日又是调休上班日"):
        YearSchedule(2030, {date(2030, 1, 1): "元旦"}, frozenset({date(2030, 1, 1)}))


def test_period_length_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CAL.count(cst(2025, 1, 1), 0, PeriodUnit.CALENDAR_DAYS)


def _weekday_count(start_day: date, n: int, calendar: WorkingCalendar, extra_holidays: set[date] | None = None) -> date:
    """Independent count: published workdays in known years, Monday-Friday after them."""
    day, counted = start_day, 0
    while counted < n:
        day += timedelta(days=1)
        schedule = published_schedule(day.year)
        if schedule is None:
            counted += day.weekday() < 5 and day not in (extra_holidays or set())
        else:
            counted += day in schedule.workdays or (day.weekday() < 5 and day not in schedule.holidays)
    return day
