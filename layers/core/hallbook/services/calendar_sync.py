"""R5: a year's schedule that arrives after some of its days were released.

A year no bundled calendar knows is released provisionally (domain/calendar.py). Its schedule arrives
later in one of three ways: an administrator's PUT /v1/calendar/{year}; a deploy with a newer
chinesecalendar; or a newer `holidays` package, whose schedule of this year and the next the noon run
stores in the catalog (`store_bundled_years`, the only code that imports that package). Then:

- a released day that becomes a day off is closed like a hall closure (`reconcile_office`): its slots
  closed, its bookings cancelled by the hall with an SMS saying it is a public holiday, never counted
  against anyone (R11), its waitlist ended; the day is recorded as closed by the calendar
  (CALENDAR_CLOSED) so this happens once;
- a day that becomes a working day is released at the next noon, like any newly opened day (the noon
  run's release_office writes its slots and reopens the ones the calendar had closed): nobody can
  take its places the moment an administrator presses save.

The noon run checks every hall's released days this way (one Query per hall it makes anyway), so a
deploy with a newer bundled calendar is reconciled at the next noon without anybody's action.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from ..domain.calendar import holidays_package_version, holidays_package_year, official_knows
from ..store import catalog as catalog_store
from ..store.catalog import Catalog, Office
from ..store.stores import stores

log = logging.getLogger(__name__)

CALENDAR_CLOSED = "calendar-closed"  # a released day's record once the calendar closed it
HOLIDAY_REASON = "法定节假日"  # the waitlist's SMS names it (its bookings get `cancelled_by_calendar`)


def store_bundled_years(now: datetime) -> list[int]:
    """The noon run: this year's and next year's schedule from the `holidays` package, stored in the
    catalog when chinesecalendar lacks the year and the package knows it (its official notices, not
    its estimate), or changed since it was stored. The years stored now."""
    stored = []
    for year in (now.year, now.year + 1):
        if official_knows(year):
            continue
        entries = holidays_package_year(year)
        if entries is None:
            continue
        body = {
            **catalog_store.calendar_body(entries),
            "bundled": "holidays",
            "version": holidays_package_version(),
        }
        key = catalog_store.bundled_key(year)
        if stores().catalog_admin.get_entity("CALENDAR", key) != body:
            stores().catalog_admin.put_entity("CALENDAR", key, body)
            stored.append(year)
            log.warning("a year's State Council schedule arrived with the holidays package", extra={"year": year})
    return stored


def days_to_close(office: Office, released: dict[date, str], catalog: Catalog) -> list[date]:
    """Released days of a hall that the calendar now says are days off (a hall's own closures apart)."""
    return sorted(
        day
        for day, fingerprint in released.items()
        if fingerprint != CALENDAR_CLOSED and day not in office.closed_days and not catalog.calendar.is_working_day(day)
    )


def reconcile_office(
    office_id: str, days: list[date], now: datetime, catalog: Catalog | None = None
) -> list[dict[str, Any]]:
    """Close, like a hall closure, every released day of `days` that the calendar now says is a day
    off; idempotent (a day is recorded CALENDAR_CLOSED). One entry per day closed."""
    from .day_cancellation import cancel_day  # lazily: the noon run needs it only on such a day

    store = stores().catalog_admin
    catalog = catalog or store.load_catalog(max_age=0)
    office = catalog.offices.get(office_id)
    if office is None or not days:
        return []
    first, last = min(days), max(days)
    released = {d: f for d, f in store.released_days(office_id, first, last).items() if d in set(days)}
    closed = []
    for day in days_to_close(office, released, catalog):
        if day < now.date():
            continue
        slots, cancelled_now, _ = cancel_day(
            office_id, sorted(office.timetable), day, HOLIDAY_REASON, now, sms_template="cancelled_by_calendar"
        )
        store.mark_days_released(office_id, {day: CALENDAR_CLOSED})
        closed.append(
            {"office_id": office_id, "date": day.isoformat(), "slots": len(slots), "bookings_cancelled": cancelled_now}
        )
        log.warning(
            "a released day became a public holiday: closed",
            extra={"office_id": office_id, "date": day.isoformat(), "cancelled": cancelled_now},
        )
    return closed
