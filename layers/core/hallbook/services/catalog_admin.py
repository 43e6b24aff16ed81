"""Administrators keep the catalog (R3-R5): services, halls with their timetables and capacities,
and the calendar of years the bundled State Council schedule lacks. Each change is written in one
transaction with its audit entry (who, what, when, before/after).

A timetable change never drops a booking. For every slot already released (tomorrow on):
- still in the timetable: its capacity becomes the new one; a slot with more bookings than the new
  capacity keeps them all and is full (no new booking) until cancellations bring it under the new
  number; the answer lists such slots (`over_capacity`);
- no longer in the timetable (slot or service removed): it is closed to new bookings; the bookings
  it holds stay valid and are listed (`closed_with_bookings`) so the hall can honour or close them
  (POST /v1/offices/{office_id}/closures cancels a day with an SMS to each citizen);
- new in the timetable: created at once for the days already open, by the idempotent release.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.models import Model

from ..domain import errors
from ..domain.booking_window import days_to_stage
from ..domain.calendar import WorkCalendar, YearEntries
from ..domain.timetable import Slot, slots_for_day
from ..i18n import N_
from ..store import catalog as catalog_store
from ..store import slots as slot_store
from ..store.audit import entry_item
from ..store.catalog import Office, Service, body_of, load_catalog, office_from, service_from
from . import audit, release, waitlist
from .tokens import Caller

log = logging.getLogger(__name__)

RELEASED_HORIZON = timedelta(days=62)  # released slots lie within the window (at most a month ahead)


def _invalid(error: Exception) -> errors.DomainError:
    return errors.ValidationFailed(str(error).strip("'\"") or "invalid value")


# ---------------------------------------------------------------- services (R3)


def check_if_match(if_match: str | None, before: dict[str, Any] | None) -> None:
    """HTTP If-Match against the entity as stored (issue 14): absent - no check; `*` - it must exist;
    otherwise one of the listed entity tags must be its current one, else 412 PRECONDITION_FAILED with
    the current tag, so the client reads it again and decides."""
    if if_match is None or not if_match.strip():
        return
    current = catalog_store.etag(before)
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",") if t.strip()}
    if "*" in tags and current is not None:
        return
    if current not in tags:
        raise errors.PreconditionFailed(
            "It was changed since you read it (If-Match names another version): read it again and retry."
            if current
            else "It does not exist, so If-Match cannot match it.",
            etag=current,
        )


def _write(
    entity_type: str,
    key: str,
    after: dict[str, Any],
    also: list[Model],
    before: dict[str, Any] | None,
    if_match: str | None,
) -> str:
    """The optimistic write; a change that lands between the If-Match check and the write is 412
    too when the client named a version. The new entity tag."""
    try:
        catalog_store.put_entity_with(entity_type, key, after, also, before)
    except catalog_store.ChangedMeanwhile:
        if if_match:
            raise errors.PreconditionFailed(
                "It was changed meanwhile: read it again and retry.",
                etag=catalog_store.etag(catalog_store.get_entity(entity_type, key)),
            ) from None
        raise
    return catalog_store.etag(after) or ""


def put_service(
    caller: Caller, code: str, data: dict[str, Any], now: datetime, if_match: str | None = None
) -> tuple[Service, bool, str]:
    """Create or change a service. (the service, created?, its ETag)"""
    before = catalog_store.get_entity("SERVICE", code)
    check_if_match(if_match, before)
    try:
        service = service_from({**data, "code": code})
    except (KeyError, TypeError, ValueError) as error:
        raise _invalid(error) from None
    after = body_of(service)
    note = audit.entry(caller, "service.put", f"SERVICE#{code}", now, before=before, after=after)
    tag = _write("SERVICE", code, after, [entry_item(note)], before, if_match)
    log.info("service saved", extra={"service_code": code, "new": before is None})
    return service, before is None, tag


# ---------------------------------------------------------------- halls (R4)


@dataclass(frozen=True)
class OfficeSaved:
    """A hall as saved, and what its released slots did (apply_timetable)."""

    office: Office
    slots: dict[str, Any]


def put_office(
    caller: Caller, office_id: str, data: dict[str, Any], now: datetime, if_match: str | None = None
) -> tuple[OfficeSaved, bool, str]:
    """Create or change a hall: mode, services, weekly timetable with capacities. Its dated closures
    are kept (they change through the closures route). (the hall and its slots, created?, its ETag)"""
    catalog = load_catalog(max_age=0)
    unknown = sorted(set(data.get("services", [])) - set(catalog.services))
    if unknown:
        raise errors.ValidationFailed(N_("Unknown service codes: {codes}.", codes=unknown), field="services")
    extra = sorted(set(data.get("timetable", {})) - set(data.get("services", [])))
    if extra:
        raise errors.ValidationFailed(
            N_("A timetable for services the hall does not offer: {codes}.", codes=extra), field="timetable"
        )
    before = catalog_store.get_entity("OFFICE", office_id)
    check_if_match(if_match, before)
    try:
        office = office_from({**data, "office_id": office_id, "closures": (before or {}).get("closures", [])})
    except (KeyError, TypeError, ValueError) as error:
        raise _invalid(error) from None
    previous = office_from(before) if before else None
    after = body_of(office)
    note = audit.entry(caller, "office.put", f"OFFICE#{office_id}", now, before=before, after=after)
    tag = _write("OFFICE", office_id, after, [entry_item(note)], before, if_match)
    slots = apply_timetable(office, previous, now)
    log.info(
        "office saved",
        extra={
            "office_id": office_id,
            "new": before is None,
            **{f"slots_{k}": v if isinstance(v, int) else len(v) for k, v in slots.items()},
        },
    )
    return OfficeSaved(office, slots), before is None, tag


def _planned(office: Office, code: str, day: date, calendar: WorkCalendar) -> dict[str, Slot]:
    if code not in office.services or code not in office.timetable:
        return {}
    return {s.start: s for s in slots_for_day({code: office.timetable[code]}, day, calendar, office.closed_days)}


def apply_timetable(office: Office, previous: Office | None, now: datetime) -> dict[str, Any]:
    """Bring the released slots in line with the hall's new timetable, never dropping a booking."""
    catalog = load_catalog(max_age=0)
    first, last = now.date() + timedelta(days=1), now.date() + RELEASED_HORIZON
    codes = set(office.timetable) | set(previous.timetable if previous else ())
    result: dict[str, Any] = {"updated": 0, "closed": 0, "created": 0, "over_capacity": [], "closed_with_bookings": []}
    plans: dict[tuple[str, date], dict[str, Slot]] = {}
    for code in sorted(codes):
        for slot in slot_store.slots_between(office.office_id, code, first, last):
            plan = plans.setdefault((code, slot.date), _planned(office, code, slot.date, catalog.calendar))
            wanted = plan.get(slot.start)
            where = {"service_code": code, "date": slot.date.isoformat(), "start": slot.start}
            if wanted is None:
                if slot.closed:
                    continue
                closed = slot_store.close_slot_keeping_bookings(office.office_id, code, slot.date, slot.start)
                result["closed"] += 1
                if closed and closed.booked:
                    result["closed_with_bookings"].append({**where, "booked": closed.booked})
                continue
            change = slot_store.set_capacity_keeping_bookings(
                office.office_id, code, slot.date, slot.start, wanted.capacity, wanted.end
            )
            if change is None:
                continue
            before, after = change
            if after != before:
                result["updated"] += 1
            if after.remaining > 0 and (after.capacity > before.capacity or before.closed):
                waitlist.offer_free_places(office.office_id, code, slot.date, slot.start, now)  # R18, never delayed
            if after.booked > after.capacity:
                result["over_capacity"].append(
                    {**where, "booked": after.booked, "capacity_requested": wanted.capacity, "capacity": after.capacity}
                )
    staged = days_to_stage(now, catalog.booking_window_days(office))
    result["created"] = release.release_office(office.office_id, staged, now).written
    return result


# ---------------------------------------------------------------- the calendar (R5)


def put_calendar(
    caller: Caller, year: int, holidays: list[str], workdays: list[str], now: datetime, if_match: str | None = None
) -> tuple[dict[str, Any], bool, str]:
    """An administrator's calendar for `year`, which then rules that year (R5). Days already released
    that stop being working days have their slots closed (bookings kept, listed so the hall can
    close the day with SMS); days that become working days get their slots at once.
    (result, created?, its ETag)"""
    if not 2000 <= year <= 2100:
        raise errors.ValidationFailed("year must be between 2000 and 2100", field="year")
    try:
        entries = YearEntries(
            year, frozenset(date.fromisoformat(d) for d in holidays), frozenset(date.fromisoformat(d) for d in workdays)
        )
    except (TypeError, ValueError) as error:
        raise _invalid(error) from None
    old = load_catalog(max_age=0)
    before = catalog_store.get_entity("CALENDAR", str(year))
    check_if_match(if_match, before)
    after = catalog_store.calendar_body(entries)
    note = audit.entry(caller, "calendar.put", f"CALENDAR#{year}", now, before=before, after=after)
    tag = _write("CALENDAR", str(year), after, [entry_item(note)], before, if_match)

    new = load_catalog(max_age=0)
    first = now.date() + timedelta(days=1)
    days = [first + timedelta(days=i) for i in range(RELEASED_HORIZON.days)]
    changed = [d for d in days if d.year == year and old.calendar.is_working_day(d) != new.calendar.is_working_day(d)]
    closed_days, released = [], 0
    for office in sorted(new.offices.values(), key=lambda o: o.office_id):
        staged = set(days_to_stage(now, new.booking_window_days(office)))
        for day in changed:
            if new.calendar.is_working_day(day):
                continue
            states = slot_store.close_slots_of_day(office.office_id, sorted(office.timetable), day)
            booked = sum(s.booked for s in states)
            if states:
                closed_days.append(
                    {"office_id": office.office_id, "date": day.isoformat(), "slots": len(states), "booked": booked}
                )
        opened = [d for d in changed if new.calendar.is_working_day(d)]
        for day in opened:  # slots an earlier change closed open again
            for code in sorted(office.timetable):
                for slot in _planned(office, code, day, new.calendar).values():
                    slot_store.set_capacity_keeping_bookings(
                        office.office_id, code, day, slot.start, slot.capacity, slot.end
                    )
            waitlist.offer_free_places_of_day(office.office_id, sorted(office.timetable), day, now)  # R18
        if any(d in staged for d in opened):
            released += release.release_office(office.office_id, [d for d in opened if d in staged], now).written
    return (
        {
            **after,
            "changed_days": [d.isoformat() for d in changed],
            "closed_days": closed_days,
            "slots_released": released,
        },
        before is None,
        tag,
    )


# ---------------------------------------------------------------- read-back (issue 14)


def office_view(office_id: str) -> tuple[dict[str, Any], str]:
    """What an administrator set for a hall, as stored: the public fields, the weekly timetable with
    capacities and the dated closures. (the office, its ETag for If-Match)"""
    body = catalog_store.get_entity("OFFICE", office_id)
    if body is None:
        raise errors.NotFound(N_("No office with id {office}.", office=office_id))
    return body, catalog_store.etag(body) or ""


def list_closures(office_id: str, today: date) -> tuple[dict[str, Any], str]:
    """A hall's dated closures, oldest first, each marked `past` or not. (list, the office's ETag)"""
    body, tag = office_view(office_id)
    closures = sorted(body.get("closures", []), key=lambda c: c["date"])
    return {
        "office_id": office_id,
        "closures": [
            {"date": c["date"], "reason": c.get("reason", ""), "past": c["date"] < today.isoformat()} for c in closures
        ],
    }, tag


def calendar_year(year: int) -> tuple[dict[str, Any], str | None]:
    """R5: a year as the system reads it - which source rules it (an administrator's entries, the
    bundled State Council schedule, or provisional: the weekday rule with the computed statutory
    holidays), the days off that fall on weekdays, the make-up working days on weekends, and the
    administrator's entries if any. (the year, the entries' ETag or None when none were entered)"""
    if not 2000 <= year <= 2100:
        raise errors.ValidationFailed("year must be between 2000 and 2100", field="year")
    calendar = load_catalog(max_age=0).calendar
    entered = catalog_store.get_entity("CALENDAR", str(year))
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
        "holidays": holidays,
        "workdays": workdays,
        "entered": entered,
    }, catalog_store.etag(entered)
