"""GET /v1/stats: per hall, service and day - capacity, places booked, utilisation,
cancellations by whom, no-shows and their rate, walk-ins, check-ins, and the average waits from
check-in to call and from call to completion. Read from counters kept with the events (store.stats)
and from the slots' own capacity and `booked`; never from the bookings table.

- capacity: the places of the day's open slots (a closed day offers none); booked: the places held at
  the end (booked, checked in, completed or no-show: a cancellation gives its place back);
- utilisation = booked / capacity; no_show_rate = no_shows / booked (null when there is nothing to
  divide by); averages in seconds, null when nothing was called or completed;
- a row for every service with slots or counters that day; days are appointment days."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from ..domain import errors
from ..i18n import N_
from ..store.stats import DayCounts
from ..store.stores import stores
from .catalog import get_office, parse_day

MAX_DAYS = 92
DEFAULT_DAYS = 7
COLUMNS = (
    "date",
    "office_id",
    "service_code",
    "capacity",
    "booked",
    "utilisation",
    "cancelled_by_citizen",
    "cancelled_by_operator",
    "cancelled_by_hall",
    "cancellations",
    "no_shows",
    "no_show_rate",
    "walk_ins",
    "checked_in",
    "called",
    "completed",
    "average_wait_seconds",
    "average_service_seconds",
)


def _ratio(part: float, whole: float, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


def report(
    office_id: str, service_code: str | None, first_text: str | None, last_text: str | None, now: datetime
) -> dict[str, Any]:
    catalog = stores().catalog.load_catalog()
    office = get_office(office_id, catalog)
    last = parse_day(last_text, "to") if last_text else now.date()
    first = parse_day(first_text, "from") if first_text else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise errors.ValidationFailed("`from` must not be after `to`.", field="from")
    if (last - first).days >= MAX_DAYS:
        raise errors.ValidationFailed(N_("At most {days} days at once.", days=MAX_DAYS), field="to")
    if service_code is not None and service_code not in catalog.services:
        raise errors.NotFound(N_("No service with code {code}.", code=service_code))

    rows: dict[tuple[date, str], dict[str, Any]] = {}

    def row(day: date, code: str) -> dict[str, Any]:
        return rows.setdefault((day, code), {"capacity": 0, "booked": 0, "counts": DayCounts(office_id, code, day)})

    codes = [service_code] if service_code else sorted(set(office.timetable) | set(office.services))
    for code in codes:
        for slot in stores().slots.slots_between(office_id, code, first, last):
            entry = row(slot.date, code)
            entry["capacity"] += 0 if slot.closed else slot.capacity
            entry["booked"] += slot.booked
    for counts in stores().oversight.stats_between(office_id, first, last):
        if service_code is None or counts.service_code == service_code:
            row(counts.date, counts.service_code)["counts"] = counts

    out = []
    for (day, code), entry in sorted(rows.items()):
        c = entry["counts"]
        cancellations = c["cancelled_citizen"] + c["cancelled_operator"] + c["cancelled_hall"]
        out.append(
            {
                "date": day.isoformat(),
                "office_id": office_id,
                "service_code": code,
                "capacity": entry["capacity"],
                "booked": entry["booked"],
                "utilisation": _ratio(entry["booked"], entry["capacity"]),
                "cancellations": int(cancellations),
                "cancelled_by": {
                    "citizen": int(c["cancelled_citizen"]),
                    "operator": int(c["cancelled_operator"]),
                    "hall": int(c["cancelled_hall"]),
                },
                "no_shows": int(c["no_shows"]),
                "no_show_rate": _ratio(c["no_shows"], entry["booked"]),
                "walk_ins": int(c["walk_ins"]),
                "checked_in": int(c["checked_in"]),
                "called": int(c["called"]),
                "completed": int(c["completed"]),
                "average_wait_seconds": _ratio(c["wait_seconds"], c["called"], 1),
                "average_service_seconds": _ratio(c["service_seconds"], c["completed"], 1),
            }
        )
    return {
        "office_id": office_id,
        "service_code": service_code,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": out,
    }


def as_csv(result: dict[str, Any]) -> str:
    """The same rows as CSV (RFC 4180, a header line; empty cells where JSON has null)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in result["days"]:
        flat = {
            **r,
            "cancelled_by_citizen": r["cancelled_by"]["citizen"],
            "cancelled_by_operator": r["cancelled_by"]["operator"],
            "cancelled_by_hall": r["cancelled_by"]["hall"],
        }
        writer.writerow(["" if flat[c] is None else flat[c] for c in COLUMNS])
    return buffer.getvalue()
