"""R5: which days are working days.

Order of authority for a year: an administrator's entries (PUT /v1/calendar/{year}), then the bundled
State Council schedule (chinesecalendar), then, for a year neither knows, the weekday rule with the
fixed statutory holidays closed (1 Jan, 1-3 May, 1-3 Oct). The caller learns which source ruled so
operators can be alarmed about the fallback.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum

import chinese_calendar

FIXED_STATUTORY = {(1, 1), (5, 1), (5, 2), (5, 3), (10, 1), (10, 2), (10, 3)}


class Source(str, Enum):
    ADMIN = "admin"
    OFFICIAL = "official"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class YearEntries:
    """An administrator's calendar for one year: extra holidays and make-up working days."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        for d in self.holidays | self.workdays:
            if d.year != self.year:
                raise ValueError(f"{d} is not in {self.year}")
        if self.holidays & self.workdays:
            raise ValueError("a day cannot be both a holiday and a working day")


def official_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


class WorkCalendar:
    def __init__(self, admin_years: dict[int, YearEntries] | None = None):
        self.admin_years = dict(admin_years or {})

    def source(self, year: int) -> Source:
        if year in self.admin_years:
            return Source.ADMIN
        return Source.OFFICIAL if official_knows(year) else Source.FALLBACK

    def is_working_day(self, day: date) -> bool:
        source = self.source(day.year)
        if source is Source.ADMIN:
            entries = self.admin_years[day.year]
            if day in entries.workdays:
                return True
            if day in entries.holidays:
                return False
            return day.isoweekday() <= 5
        if source is Source.OFFICIAL:
            return chinese_calendar.is_workday(day)
        return day.isoweekday() <= 5 and (day.month, day.day) not in FIXED_STATUTORY

    def is_makeup_day(self, day: date) -> bool:
        """A weekend day worked in exchange for a holiday (调休上班)."""
        return day.isoweekday() > 5 and self.is_working_day(day)


def next_year_missing(today: date, calendar: WorkCalendar) -> bool:
    """R5: from 1 December on, operators are alarmed while next year's calendar is missing."""
    return today.month == 12 and calendar.source(today.year + 1) is Source.FALLBACK
