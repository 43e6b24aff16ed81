"""Read use cases of the catalog (R3, R4) and availability (R6, R7)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .. import telemetry
from ..domain.booking_window import bookable_range
from ..domain.errors import NotFound, ValidationFailed
from ..i18n import N_
from ..store import readcache
from ..store.catalog import Catalog, Office, Service
from ..store.slots import SlotState
from ..store.stores import stores

MAX_RANGE_DAYS = 31


def get_service(code: str, catalog: Catalog | None = None) -> Service:
    catalog = catalog or stores().catalog.load_catalog()
    service = catalog.services.get(code)
    if service is None:
        raise NotFound(N_("No service with code {code}.", code=code))
    return service


def get_office(office_id: str, catalog: Catalog | None = None) -> Office:
    catalog = catalog or stores().catalog.load_catalog()
    office = catalog.offices.get(office_id)
    if office is None:
        raise NotFound(N_("No office with id {office}.", office=office_id))
    return office


def list_services() -> list[Service]:
    return sorted(stores().catalog.load_catalog().services.values(), key=lambda s: s.code)


def list_offices(service: str | None, district: str | None) -> list[Office]:
    catalog = stores().catalog.load_catalog()
    if service is not None and service not in catalog.services:
        raise NotFound(N_("No service with code {code}.", code=service))
    return [
        o
        for o in sorted(catalog.offices.values(), key=lambda o: o.office_id)
        if (service is None or service in o.services) and (district is None or o.district == district)
    ]


def parse_day(value: str, name: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(N_("{field} must be a date YYYY-MM-DD.", field=name), field=name) from None


def availability(
    office_id: str, service_code: str, first: str | None, last: str | None, now: datetime
) -> dict[str, Any]:
    """Released slots with remaining places, day by day. Without `from`/`to`: the whole window."""
    catalog = stores().catalog.load_catalog()
    office = get_office(office_id, catalog)
    get_service(service_code, catalog)
    booking_window_first, booking_window_last = bookable_range(now, catalog.booking_window_days(office))
    day_from = parse_day(first, "from") if first else booking_window_first
    day_to = parse_day(last, "to") if last else booking_window_last
    if day_from > day_to:
        raise ValidationFailed("`from` is after `to`", field="from")
    if (day_to - day_from).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(N_("A range covers at most {days} days.", days=MAX_RANGE_DAYS), field="to")
    if service_code not in office.services:
        return {"office_id": office_id, "service_code": service_code, "days": []}
    lo, hi = max(day_from, booking_window_first), min(day_to, booking_window_last)
    key = (office_id, service_code, lo.isoformat(), hi.isoformat())
    cached: dict[str, Any] | None = readcache.cached_availability(key)
    if cached is not None:  # this environment read it less than a second ago (store/readcache.py)
        telemetry.count("AvailabilityCacheHits")
        return cached
    telemetry.count("AvailabilityCacheMisses")
    ticket = readcache.read_ticket()
    found = _open_slots(office, stores().slots.slots_between(office_id, service_code, lo, hi) if lo <= hi else [])
    _learn(office_id, service_code, found, ticket)  # a refused attempt on a slot seen full costs nothing
    days: dict[date, list[dict[str, Any]]] = {}
    for slot in found:
        days.setdefault(slot.date, []).append(
            {"start": slot.start, "end": slot.end, "capacity": slot.capacity, "remaining": slot.remaining}
        )
    body: dict[str, Any] = {
        "office_id": office_id,
        "service_code": service_code,
        "days": [
            {"date": d.isoformat(), "slots": sorted(s, key=lambda x: x["start"])} for d, s in sorted(days.items())
        ],
    }
    if lo <= hi:
        readcache.keep_availability(key, body)
    return body


def learn_full_slots(office: Office, service_code: str, day: date) -> None:
    """Read every slot of the day (one strongly consistent Query) into this environment's negative
    cache: the booking path's renewal of a day's "full" marks (store.readcache.claim_day_read)."""
    ticket = readcache.read_ticket()
    found = stores().slots.slots_between(office.office_id, service_code, day, day, consistent=True)
    _learn(office.office_id, service_code, _open_slots(office, found), ticket)


def _open_slots(office: Office, found: list[SlotState]) -> list[SlotState]:
    return [s for s in found if not s.closed and s.date not in office.closed_days]


def _learn(office_id: str, service_code: str, found: list[SlotState], ticket: int) -> None:
    """What a read of slots saw feeds the negative cache of full slots (store/readcache.py)."""
    for slot in found:
        if slot.remaining <= 0:
            readcache.mark_full(office_id, service_code, slot.date, slot.start)
        else:
            readcache.mark_free(office_id, service_code, slot.date, slot.start, ticket)
