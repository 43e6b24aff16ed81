"""R6: the noon release. The scheduled run plans one message per hall (fan-out through SQS); each
hall's slots are then written by `release_office`, idempotently (a second run never resets places).

Slots are written a day before their release: at 12:00 the window itself (the clock) opens them, so
the rush at 12:00:00 never waits for this job, and a late or retried run changes nothing."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ..clock import now as clock_now
from ..domain.calendar import Source, next_year_missing
from ..domain.timetable import slots_for_day
from ..domain.window import days_to_stage
from ..store import slots as slot_store
from ..store.catalog import load_catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfficeRelease:
    office_id: str
    days: list[date]

    def message(self) -> dict:
        return {"office_id": self.office_id, "days": [d.isoformat() for d in self.days]}


def plan_release(now: datetime) -> list[OfficeRelease]:
    """What the noon run must make sure exists: every hall's bookable days and the next one."""
    catalog = load_catalog(max_age=0)
    return [
        OfficeRelease(office.office_id, days_to_stage(now, catalog.window_days(office)))
        for office in sorted(catalog.offices.values(), key=lambda o: o.office_id)
    ]


def release_office(office_id: str, days: Iterable[date]) -> int:
    """Write one hall's slots for `days`. Idempotent; returns the number of slots written."""
    catalog = load_catalog()
    office = catalog.offices.get(office_id)
    if office is None:
        log.warning("release skipped an unknown office", extra={"office_id": office_id})
        return 0
    timetable = {code: ts for code, ts in office.timetable.items() if code in office.services}
    written = 0
    for day in days:
        for slot in slots_for_day(timetable, day, catalog.calendar, office.closed_days):
            slot_store.release_slot(office_id, slot)
            written += 1
    return written


def release_window(now: datetime | None = None) -> int:
    """Everything at once, in this process (local mode's start, tests)."""
    now = now or clock_now()
    return sum(release_office(plan.office_id, plan.days) for plan in plan_release(now))


def calendar_sources(now: datetime) -> dict[int, Source]:
    calendar = load_catalog().calendar
    return {year: calendar.source(year) for year in (now.year, now.year + 1)}


def next_year_calendar_missing(now: datetime) -> bool:
    """R5: from 1 December, alarm while next year's calendar is neither bundled nor entered."""
    return next_year_missing(now.date(), load_catalog(max_age=0).calendar)
