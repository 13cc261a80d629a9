"""The working-day calendar and the legal rule for counting periods. Pure: no database, no clock, no Flask.

Counting follows 民法典 Art. 201-203: the day on which the period starts is not counted; a period ends at 24:00
of its last day; when the last day of a calendar-day period is a rest day (a weekend or a statutory holiday),
the period ends on the first working day after it. Working days follow the State Council's schedule, including
调休 make-up workdays. Days are China Standard Time whatever the server's zone.

The published schedule comes from ``chinese_calendar``; a year's schedule entered by an administrator replaces
it for that year. A day in a year that neither knows is judged by weekends only, and a period that depends on
such a day is *provisional*: it must be recomputed once that year's schedule is entered.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from chinese_calendar import constants as published

CHINA_TZ = ZoneInfo("Asia/Shanghai")

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class PeriodUnit(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class YearSchedule:
    """One year's 放假调休 schedule: statutory holidays (with names) and make-up workdays."""

    year: int
    holidays: Mapping[date, str]
    workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for day in [*self.holidays, *self.workdays]:
            if day.year != self.year:
                raise ValueError(f"{day.isoformat()} 不在 {self.year} 年内")
        overlap = set(self.holidays) & self.workdays
        if overlap:
            raise ValueError(f"{min(overlap).isoformat()} 不能既是节假日又是调休上班日")


@dataclass(frozen=True)
class Period:
    """The outcome of counting a period: its last day, the instant it ends, and whether that is provisional."""

    start_day: date
    length: int
    unit: PeriodUnit
    last_day: date
    ends_at: datetime
    provisional: bool
    unknown_years: frozenset[int]


def china_day(instant: datetime) -> date:
    """The calendar day in China of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime refused: pass a timezone-aware instant")
    return instant.astimezone(CHINA_TZ).date()


def end_of_day(day: date) -> datetime:
    """24:00 China time of ``day``, as an aware instant (the exclusive end of the day)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=CHINA_TZ)


@functools.cache
def published_years() -> frozenset[int]:
    """The years whose schedule ``chinese_calendar`` publishes."""
    years = {day.year for day in published.holidays} | {day.year for day in published.workdays}
    return frozenset(range(min(years), max(years) + 1))


def last_published_year() -> int:
    return max(published_years())


@functools.cache
def published_schedule(year: int) -> YearSchedule | None:
    if year not in published_years():
        return None
    holidays = {day: HOLIDAY_NAMES_ZH.get(name, name) for day, name in published.holidays.items() if day.year == year}
    workdays = frozenset(day for day in published.workdays if day.year == year)
    return YearSchedule(year, holidays, workdays)


class WorkingCalendar:
    """Published schedules, overridden year by year by the schedules administrators enter."""

    def __init__(self, entered: Iterable[YearSchedule] = ()) -> None:
        self._entered = {schedule.year: schedule for schedule in entered}

    def schedule(self, year: int) -> YearSchedule | None:
        return self._entered.get(year) or published_schedule(year)

    def knows(self, year: int) -> bool:
        return self.schedule(year) is not None

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that known); unknown years fall back to Monday-Friday."""
        schedule = self.schedule(day.year)
        if schedule is None:
            return day.weekday() < 5, False
        if day in schedule.workdays:
            return True, True
        return day.weekday() < 5 and day not in schedule.holidays, True

    def workdays_between(self, after: date, through: date) -> int:
        """How many working days d satisfy ``after < d <= through``."""
        days = (after + timedelta(days=n) for n in range(1, (through - after).days + 1))
        return sum(1 for day in days if self.is_workday(day)[0])

    def workdays_before(self, day: date, n: int) -> date:
        """The working day ``n`` working days before ``day`` (``day`` itself not counted)."""
        counted = 0
        while counted < n:
            day -= timedelta(days=1)
            counted += self.is_workday(day)[0]
        return day

    def count(self, start: datetime, length: int, unit: PeriodUnit | str) -> Period:
        """The period of ``length`` days or working days beginning at the instant ``start``."""
        unit = PeriodUnit(unit)
        if length < 1:
            raise ValueError("a period is at least one day long")
        start_day = china_day(start)
        unknown: set[int] = set()
        if unit is PeriodUnit.WORKING_DAYS:
            last_day = self._nth_workday_after(start_day, length, unknown)
        else:
            last_day = self._first_workday_from(start_day + timedelta(days=length), unknown)
        return Period(
            start_day=start_day,
            length=length,
            unit=unit,
            last_day=last_day,
            ends_at=end_of_day(last_day),
            provisional=bool(unknown),
            unknown_years=frozenset(unknown),
        )

    def _nth_workday_after(self, day: date, n: int, unknown: set[int]) -> date:
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            counted += self._check(day, unknown)
        return day

    def _first_workday_from(self, day: date, unknown: set[int]) -> date:
        while not self._check(day, unknown):
            day += timedelta(days=1)
        return day

    def _check(self, day: date, unknown: set[int]) -> bool:
        workday, known = self.is_workday(day)
        if not known:
            unknown.add(day.year)
        return workday
