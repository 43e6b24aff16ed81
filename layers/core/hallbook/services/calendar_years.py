"""R5: the calendar of years - an administrator's entries for a year, which then rule it (services/
calendar_sync.py closes the released days they make days off), and a year as the system reads it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..domain import errors
from ..domain.calendar import YearEntries, next_year_missing
from ..store import catalog as catalog_store
from ..store.stores import stores
from . import audit, calendar_sync, release
from .catalog_admin import check_if_match, invalid, write_versioned
from .timetables import horizon
from .tokens import Caller


def put_calendar(
    caller: Caller, year: int, holidays: list[str], workdays: list[str], now: datetime, if_match: str | None = None
) -> tuple[dict[str, Any], bool, str]:
    """An administrator's calendar for `year`, which then rules that year (R5; services/calendar_sync.py).
    Days already released that become days off are closed like a hall closure (bookings cancelled by
    the hall with an SMS, never counted against anyone); days that become working days are released at
    the next noon. (result, created?, its ETag)"""
    if not 2000 <= year <= 2100:
        raise errors.ValidationFailed("year must be between 2000 and 2100", field="year")
    try:
        entries = YearEntries(
            year, frozenset(date.fromisoformat(d) for d in holidays), frozenset(date.fromisoformat(d) for d in workdays)
        )
    except (TypeError, ValueError) as error:
        raise invalid(error) from None
    store = stores().catalog_admin
    old = store.load_catalog(max_age=0)
    before = store.get_entity("CALENDAR", str(year))
    check_if_match(if_match, before)
    after = catalog_store.calendar_body(entries)
    note = audit.entry(caller, "calendar.put", f"CALENDAR#{year}", now, before=before, after=after)
    tag = write_versioned("CALENDAR", str(year), after, note, before, if_match)

    new = store.load_catalog(max_age=0)
    days = horizon(now)
    changed = [d for d in days if d.year == year and old.calendar.is_working_day(d) != new.calendar.is_working_day(d)]
    closing = [d for d in changed if not new.calendar.is_working_day(d)]
    closed_days = []
    for office in sorted(new.offices.values(), key=lambda o: o.office_id):
        closed_days += calendar_sync.reconcile_office(office.office_id, closing, now, new)
    opened = [d.isoformat() for d in changed if new.calendar.is_working_day(d)]
    return (
        {
            **after,
            "changed_days": [d.isoformat() for d in changed],
            "closed_days": closed_days,
            "opened_days": opened,
            "released_at": release.next_release(now).isoformat() if opened else None,
        },
        before is None,
        tag,
    )


def calendar_year(year: int, today: date) -> tuple[dict[str, Any], str | None]:
    """R5: a year as the system reads it - which source rules it (an administrator's entries, the
    bundled State Council schedule, or provisional: the weekday rule with the computed statutory
    holidays), the days off that fall on weekdays, the make-up working days on weekends, and the
    administrator's entries if any. (the year, the entries' ETag or None when none were entered)"""
    if not 2000 <= year <= 2100:
        raise errors.ValidationFailed("year must be between 2000 and 2100", field="year")
    calendar = stores().catalog_admin.load_catalog(max_age=0).calendar
    entered = stores().catalog_admin.get_entity("CALENDAR", str(year))
    day, holidays, workdays = date(year, 1, 1), [], []
    while day.year == year:
        working, weekend = calendar.is_working_day(day), day.isoweekday() >= 6
        if weekend and working:
            workdays.append(day.isoformat())
        elif not weekend and not working:
            holidays.append(day.isoformat())
        day += timedelta(days=1)
    return {
        "year": year,
        "source": calendar.source(year).value,
        "bundled_by": calendar.bundled_by(year),
        "alarm": year == today.year + 1 and next_year_missing(today, calendar),
        "holidays": holidays,
        "workdays": workdays,
        "entered": entered,
    }, catalog_store.etag(entered)
