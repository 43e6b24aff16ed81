"""R5: which days are working days.

Order of authority for a year: an administrator's entries (PUT /v1/calendar/{year}), then a bundled
State Council schedule - chinesecalendar, or else the `holidays` package (a second source,
released monthly; the jobs function reads it, `holidays_package_year`, and stores what it knows in the
catalog, so no request ever imports it: its import takes ~0.7-3 s, every country at once) - then, for a
year none knows, a *provisional* calendar: the weekday rule with the statutory holidays of the 2025
rules closed and, for each one on a Saturday or Sunday, a day off in lieu on the next working day
(Article 6 of 全国年节及纪念日放假办法; see `provisional_days_off`). The caller learns which source
ruled so operators can be alarmed while a year is only provisional.

Lunar dates and solar terms come from lunar-python (pinned in requirements.txt): pure Python with no
dependencies, so the arm64 layer builds from any machine (sxtwl is a C extension); it gives both the
lunar calendar and the 24 solar terms, which Qingming needs (lunardate has no solar terms, and its
tables end in 2099); it computes them astronomically rather than from a table with an end year. Its
import costs about 15-25 ms, so it is imported only inside `provisional_holidays`: a handler that never
meets a year missing from chinesecalendar never loads it, and a cold start is not slowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from functools import cache
from typing import Any

import chinese_calendar


class Source(str, Enum):
    ADMIN = "admin"
    OFFICIAL = "official"
    PROVISIONAL = "provisional"


@dataclass(frozen=True)
class YearEntries:
    """An administrator's calendar for one year: extra holidays and make-up working days."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for d in self.holidays | self.workdays:
            if d.year != self.year:
                raise ValueError(f"{d} is not in {self.year}")
        if self.holidays & self.workdays:
            raise ValueError("a day cannot be both a holiday and a working day")


@cache
def official_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


@cache
def provisional_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of `year` under the rules in force since 2025 (全国年节及纪念日放假办法):
    New Year's Day; Spring Festival eve (the last day of the 12th lunar month, the 29th or the 30th)
    and the 1st-3rd of the 1st lunar month; Qingming (the solar-term day); 1-2 May; Dragon Boat (5th of
    the 5th lunar month, never the leap one); Mid-Autumn (15th of the 8th); 1-3 October.

    The State Council's weekend swaps (调休) cannot be foreseen, so none are added: a holiday on a
    weekend closes nothing more, and no weekend is worked.
    """
    from lunar_python import Lunar, Solar  # lazily: only a year chinesecalendar lacks needs it

    def solar(s: Any) -> date:  # a lunar_python Solar
        return date(s.getYear(), s.getMonth(), s.getDay())

    new_year = solar(Lunar.fromYmd(year, 1, 1).getSolar())
    qingming = solar(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"])
    days = {
        date(year, 1, 1),
        new_year - timedelta(days=1),
        new_year,
        new_year + timedelta(days=1),
        new_year + timedelta(days=2),
        qingming,
        date(year, 5, 1),
        date(year, 5, 2),
        solar(Lunar.fromYmd(year, 5, 5).getSolar()),
        solar(Lunar.fromYmd(year, 8, 15).getSolar()),
        date(year, 10, 1),
        date(year, 10, 2),
        date(year, 10, 3),
    }
    if any(d.year != year for d in days) or qingming.month != 4:
        raise RuntimeError(f"provisional holidays outside {year}: {sorted(days)}")
    return frozenset(days)


@cache
def days_in_lieu(year: int) -> frozenset[date]:
    """Article 6 of 全国年节及纪念日放假办法: a statutory holiday on a Saturday or Sunday is made up on
    the next working day (a weekday that is neither a holiday nor already a day in lieu), in date order;
    e.g. 2027's Spring Festival (Fri 5 - Mon 8 February, two of them at the weekend) gives Tue 9 and
    Wed 10 February."""
    statutory = provisional_holidays(year)
    off, extra = set(statutory), set()
    for day in sorted(statutory):
        if day.isoweekday() <= 5:
            continue
        lieu = day + timedelta(days=1)
        while lieu.isoweekday() > 5 or lieu in off:
            lieu += timedelta(days=1)
        off.add(lieu)
        extra.add(lieu)
    return frozenset(extra)


def provisional_days_off(year: int) -> frozenset[date]:
    """The provisional year's weekdays and weekend days off: statutory holidays and days in lieu."""
    return provisional_holidays(year) | days_in_lieu(year)


def provisional_is_working_day(day: date) -> bool:
    return day.isoweekday() <= 5 and day not in provisional_days_off(day.year)


def _entries_working_day(entries: YearEntries, day: date) -> bool:
    if day in entries.workdays:
        return True
    if day in entries.holidays:
        return False
    return day.isoweekday() <= 5


class WorkCalendar:
    def __init__(
        self, admin_years: dict[int, YearEntries] | None = None, bundled_years: dict[int, YearEntries] | None = None
    ):
        self.admin_years = dict(admin_years or {})
        self.bundled_years = dict(bundled_years or {})  # the `holidays` package's, stored by the jobs function

    def source(self, year: int) -> Source:
        if year in self.admin_years:
            return Source.ADMIN
        return Source.OFFICIAL if official_knows(year) or year in self.bundled_years else Source.PROVISIONAL

    def bundled_by(self, year: int) -> str | None:
        """Which bundled schedule knows the year: `chinesecalendar`, `holidays`, or None."""
        if official_knows(year):
            return "chinesecalendar"
        return "holidays" if year in self.bundled_years else None

    def is_working_day(self, day: date) -> bool:
        source = self.source(day.year)
        if source is Source.ADMIN:
            return _entries_working_day(self.admin_years[day.year], day)
        if source is Source.OFFICIAL:
            if official_knows(day.year):
                return _official_working_day(day)
            return _entries_working_day(self.bundled_years[day.year], day)
        return provisional_is_working_day(day)

    def is_makeup_day(self, day: date) -> bool:
        """A weekend day worked in exchange for a holiday (调休上班)."""
        return day.isoweekday() > 5 and self.is_working_day(day)


@cache
def _official_working_day(day: date) -> bool:
    """The bundled State Council schedule's answer, kept: it never changes for a release of
    chinesecalendar, and the release plans ask it for the same days many times a run."""
    return bool(chinese_calendar.is_workday(day))


def next_year_missing(today: date, calendar: WorkCalendar) -> bool:
    """R5: from 1 December on, operators are alarmed while next year's calendar is only provisional."""
    return today.month == 12 and calendar.source(today.year + 1) is Source.PROVISIONAL


def holidays_package_version() -> str:
    from importlib.metadata import version

    return version("holidays")


def holidays_package_year(year: int) -> YearEntries | None:
    """The `holidays` package's official schedule of `year` (its State Council notices: the year has
    substituted days in ChinaStaticHolidays), or None when it only estimates the year. Imported here
    only (every country at once: seconds), by the jobs function and the tests, never on a request."""
    import holidays  # lazily: see the module's docstring
    from holidays.countries.china import ChinaStaticHolidays

    if year not in ChinaStaticHolidays.special_public_holidays:
        return None
    china = holidays.country_holidays("CN", years=(year, year + 1))  # a swap may work a day of the year before
    days_off, workdays = set(), set()
    day = date(year, 1, 1)
    while day.year == year:
        working = china.is_working_day(day)
        if day.isoweekday() <= 5 and not working:
            days_off.add(day)
        elif day.isoweekday() > 5 and working:
            workdays.add(day)
        day += timedelta(days=1)
    return YearEntries(year, frozenset(days_off), frozenset(workdays))
