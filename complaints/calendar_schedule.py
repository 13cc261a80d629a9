"""Holiday schedules that administrators enter, a whole year at a time, and the calendar built from them.

The State Council publishes each year's 放假调休 schedule in November or December; ``chinese_calendar`` only
knows the years up to its release. Entering a year here replaces the published data for that year (so a
mistake can be corrected too) and recounts every provisional deadline and every open one that runs into that year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from . import audit
from .accounts import Actor
from .database import DbSession, UTCDateTime, db
from .deadlines import provisional_count, recount_for_year
from .errors import InvalidInput
from .workdays import WorkingCalendar, YearSchedule, china_day, published_schedule


class CalendarYear(db.Model):  # type: ignore[name-defined]
    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2200", name="plausible_year"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entered_by: Mapped[str] = mapped_column(String(80))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarDay(db.Model):  # type: ignore[name-defined]
    __tablename__ = "calendar_day"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="known_kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_year.year", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(60))


SATURDAY = 5
NEXT_YEAR_EXPECTED_FROM_MONTH = 11  # the State Council publishes next year's schedule in November or December


@dataclass(frozen=True)
class CalendarStatus:
    today: date
    current_year_known: bool
    next_year_known: bool
    provisional_deadlines: int

    @property
    def warning(self) -> str | None:
        """Next year's schedule is asked for only once it can have been published (or a deadline already needs it):
        a warning shown all year long is one people learn to ignore."""
        next_year_due = self.today.month >= NEXT_YEAR_EXPECTED_FROM_MONTH or self.provisional_deadlines > 0
        next_year_missing = not self.next_year_known and next_year_due
        if not self.current_year_known or next_year_missing or self.provisional_deadlines:
            missing = [str(self.today.year)] if not self.current_year_known else []
            missing += [str(self.today.year + 1)] if next_year_missing else []
            years = "、".join(missing) or "相关"
            return f"{years}年的节假日安排尚未录入，涉及该年份的期限按仅排除周末临时计算，请尽快录入"
        return None


def load_calendar(session: DbSession) -> WorkingCalendar:
    return WorkingCalendar(_entered_schedules(session))


def enter_year_schedule(
    session: DbSession, *, year: int, holidays: Mapping[date, str], workdays: set[date], actor: Actor, now: datetime
) -> int:
    """Store (or replace) one year's schedule and recount the deadlines it touches; returns how many became firm."""
    if not 2000 <= year <= 2200:
        raise InvalidInput("年份超出范围", code="invalid_year")
    if not holidays:
        raise InvalidInput("节假日安排有误：至少应有一天法定节假日（元旦、春节等）", code="invalid_schedule")
    weekdays = sorted(day for day in workdays if day.weekday() < SATURDAY)
    if weekdays:
        raise InvalidInput(
            f"节假日安排有误：调休上班日应为周六或周日，{weekdays[0].isoformat()} 本来就是工作日",
            code="invalid_schedule",
        )
    try:
        schedule = YearSchedule(year, dict(holidays), frozenset(workdays))
    except ValueError as error:
        raise InvalidInput(f"节假日安排有误：{error}", code="invalid_schedule") from None
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    session.add(CalendarYear(year=year, entered_by=actor.name, entered_at=now))
    session.flush()
    session.add_all(CalendarDay(day=d, year=year, kind="holiday", name=n) for d, n in schedule.holidays.items())
    session.add_all(CalendarDay(day=d, year=year, kind="workday") for d in schedule.workdays)
    session.flush()
    firmed = recount_for_year(session, load_calendar(session), year, now=now)
    audit.record(
        session,
        "calendar.year_entered",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=f"calendar_year:{year}",
        details={"holidays": len(schedule.holidays), "workdays": len(schedule.workdays), "deadlines_firmed": firmed},
        now=now,
    )
    return firmed


def year_schedule(session: DbSession, year: int) -> tuple[YearSchedule | None, str]:
    """A year's schedule and where it comes from: 'entered', 'published' or 'unknown'."""
    for schedule in _entered_schedules(session, year):
        return schedule, "entered"
    published = published_schedule(year)
    return published, "published" if published else "unknown"


def calendar_status(session: DbSession, *, now: datetime) -> CalendarStatus:
    calendar = load_calendar(session)
    today = china_day(now)
    return CalendarStatus(
        today=today,
        current_year_known=calendar.knows(today.year),
        next_year_known=calendar.knows(today.year + 1),
        provisional_deadlines=provisional_count(session),
    )


def _entered_schedules(session: DbSession, year: int | None = None) -> list[YearSchedule]:
    query = select(CalendarDay).order_by(CalendarDay.day)
    years_query = select(CalendarYear.year)
    if year is not None:
        query = query.where(CalendarDay.year == year)
        years_query = years_query.where(CalendarYear.year == year)
    days: dict[int, list[CalendarDay]] = {y: [] for y in session.scalars(years_query)}
    for day in session.scalars(query):
        days[day.year].append(day)
    return [
        YearSchedule(
            y,
            {d.day: d.name or "" for d in entries if d.kind == "holiday"},
            frozenset(d.day for d in entries if d.kind == "workday"),
        )
        for y, entries in days.items()
    ]


WORKDAY_WORDS = ("上班", "补班", "调休上班", "工作日")
_LINE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:至|到|~|－|—)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s+(\S.*)$")


def parse_schedule_text(year: int, text: str) -> tuple[dict[date, str], set[date]]:
    """A year's schedule pasted as the State Council publishes it, one line per day or range:
    ``2027-01-01 元旦``, ``2027-02-10至2027-02-16 春节`` (holidays) and ``2027-02-07 上班`` (a make-up workday;
    also 补班). Blank lines and lines starting with # are skipped. Errors name the line."""
    holidays: dict[date, str] = {}
    workdays: set[date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise InvalidInput(
                f"第{number}行格式不正确：“{line}”（应为“2027-01-01 元旦”或“2027-02-07 上班”）", code="invalid_schedule"
            )
        try:
            first = date.fromisoformat(_iso(match.group(1)))
            last = date.fromisoformat(_iso(match.group(2))) if match.group(2) else first
        except ValueError:
            raise InvalidInput(f"第{number}行的日期不存在：“{line}”", code="invalid_schedule") from None
        if first.year != year or last.year != year or last < first:
            raise InvalidInput(f"第{number}行的日期不在{year}年内或起止颠倒：“{line}”", code="invalid_schedule")
        name = match.group(3).strip()
        for offset in range((last - first).days + 1):
            day = date.fromordinal(first.toordinal() + offset)
            if name in WORKDAY_WORDS:
                workdays.add(day)
            else:
                holidays[day] = name
    if not holidays:
        raise InvalidInput("没有识别到任何节假日", code="invalid_schedule")
    return holidays, workdays


def _iso(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"
