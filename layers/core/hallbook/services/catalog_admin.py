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

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.models import Model

from ..domain import errors
from ..domain.booking_window import days_to_stage
from ..domain.calendar import WorkCalendar, YearEntries, next_year_missing
from ..domain.timetable import Slot, slots_for_day
from ..i18n import N_, Text
from ..store import catalog as catalog_store
from ..store import slots as slot_store
from ..store.audit import entry_item
from ..store.catalog import Office, Service, body_of, load_catalog, office_from, service_from
from ..store.slots import SlotState
from . import audit, calendar_sync, release, waitlist
from .tokens import Caller

log = logging.getLogger(__name__)

RELEASED_HORIZON = timedelta(days=62)  # released slots lie within the window (at most a month ahead)


def _invalid(error: Exception) -> errors.DomainError:
    """A body the catalogue cannot read: its own sentence (N_) where it has one, a missing field by name."""
    said = error.args[0] if error.args else None
    if isinstance(said, Text):
        return errors.ValidationFailed(said)
    if isinstance(error, KeyError) and isinstance(said, str):
        return errors.ValidationFailed(N_("{field} is required.", field=said), field=said)
    return errors.ValidationFailed(str(error).strip("'\"") or "invalid value")


# ---------------------------------------------------------------- services (R3)


def check_if_match(if_match: str | None, before: dict[str, Any] | None) -> None:
    """HTTP If-Match against the entity as stored: absent - no check; `*` - it must exist;
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
    """A hall as saved, and what its released slots did (apply_timetable), or `queued` (a job does it)."""

    office: Office
    slots: dict[str, Any]


SYNC_SLOTS = 150  # a change of at most this many released slots is applied within the request


def put_office(
    caller: Caller, office_id: str, data: dict[str, Any], now: datetime, if_match: str | None = None
) -> tuple[OfficeSaved, bool, str]:
    """Create or change a hall: mode, services, weekly timetable with capacities. Its dated closures
    are kept (they change through the closures route). (the hall and its slots, created?, its ETag)

    The released slots follow the new timetable (apply_timetable): within the request when the change
    touches at most SYNC_SLOTS of them (counted in memory, plan against plan), otherwise in a job (one
    ReleaseQueue message; the answer's `slots` is `{"queued": true, "slots_to_change": n}` and the job's
    result joins the audit log as `office.timetable_applied`). Until the job reaches a slot, it keeps its
    stored capacity, which every booking's condition checks (`booked < capacity`): no slot is ever
    booked beyond what it says, and a booking made meanwhile is kept like any older one."""
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
    codes, touched = plan_change(office, previous, now, catalog.calendar)
    if touched <= SYNC_SLOTS:
        slots = apply_timetable(office, codes, now)
    else:
        queue_timetable(caller, office_id, codes)
        slots = {"queued": True, "slots_to_change": touched}
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


def _horizon(now: datetime) -> list[date]:
    first = now.date() + timedelta(days=1)
    return [first + timedelta(days=i) for i in range(RELEASED_HORIZON.days)]


def plan_change(
    office: Office, previous: Office | None, now: datetime, calendar: WorkCalendar
) -> tuple[list[str], int]:
    """In memory, no I/O: the services whose planned slots differ between the old and the new hall,
    and how many released slots that may touch (old plan against new plan, day by day)."""
    codes = sorted(set(office.timetable) | set(previous.timetable if previous else ()))
    changed, touched = [], 0
    for code in codes:
        n = 0
        for day in _horizon(now):
            new = _planned(office, code, day, calendar)
            old = _planned(previous, code, day, calendar) if previous else {}
            n += sum(1 for start in new.keys() | old.keys() if new.get(start) != old.get(start))
        if n or previous is None:
            changed.append(code)
        touched += n
    return changed, touched


def queue_timetable(caller: Caller, office_id: str, codes: list[str]) -> None:
    """The slots' job: one ReleaseQueue message, worked off by the jobs function (apply_queued)."""
    from ..aws import client
    from ..config import settings

    body = {"office_id": office_id, "timetable": codes, "by": caller.account_id}
    client("sqs").send_message(QueueUrl=settings().release_queue_url, MessageBody=json.dumps(body))


def apply_queued(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The job of a large timetable change: the hall as it is now (a later change's job finds the
    same, so the order of jobs does not matter), its result in the audit log."""
    office = load_catalog(max_age=0).offices.get(body["office_id"])
    if office is None:
        return {}
    result = apply_timetable(office, sorted(set(body["timetable"])), now)
    catalog_store.invalidate_cache()  # this environment's cached answers (others' expire in a second)
    audit.record(
        Caller(str(body.get("by") or "job"), "admin"),
        "office.timetable_applied",
        f"OFFICE#{office.office_id}",
        now,
        detail=result,
    )
    return result


def _target(wanted: Slot | None) -> tuple[int | None, str | None]:
    """A slot's new (capacity, end); (None, None): closed."""
    return (None, None) if wanted is None else (wanted.capacity, wanted.end)


def apply_timetable(office: Office, codes: list[str] | Office | None, now: datetime) -> dict[str, Any]:
    """Bring the released slots of `codes` in line with the hall's timetable, never dropping a booking:
    one Query per service, then one unread UpdateItem per slot that differs (shrinking ones first, so a
    capacity cut takes effect before any raise), then the release writes the slots that are new.
    `codes` None: every service of the hall's timetable; an Office: the hall as it was before (its
    services too)."""
    if codes is None or isinstance(codes, Office):
        codes = sorted(set(office.timetable) | set(codes.timetable if codes else ()))
    catalog = load_catalog(max_age=0)
    first, last = now.date() + timedelta(days=1), now.date() + RELEASED_HORIZON
    result: dict[str, Any] = {"updated": 0, "closed": 0, "created": 0, "over_capacity": [], "closed_with_bookings": []}
    work: list[tuple[SlotState, Slot | None]] = []
    plans: dict[tuple[str, date], dict[str, Slot]] = {}
    for code in codes:
        for slot in slot_store.slots_between(office.office_id, code, first, last):
            plan = plans.setdefault((code, slot.date), _planned(office, code, slot.date, catalog.calendar))
            wanted = plan.get(slot.start)
            if wanted is None and not slot.closed:
                work.append((slot, None))
            elif wanted is not None and (slot.closed or (slot.capacity, slot.end) != (wanted.capacity, wanted.end)):
                work.append((slot, wanted))
    work.sort(key=lambda w: 0 if w[1] is None or w[1].capacity < w[0].capacity else 1)
    offers: set[tuple[str, date]] = set()
    if len(work) > SYNC_SLOTS:  # the job's batches: then every touched service read again, as written
        slot_store.retime_slots([(slot, *_target(wanted)) for slot, wanted in work])
        touched = {(slot.service_code, slot.date, slot.start): (slot, wanted) for slot, wanted in work}
        changes = [
            (touched[(after.service_code, after.date, after.start)][0], after)
            for code in sorted({slot.service_code for slot, _ in work})
            for after in slot_store.slots_between(office.office_id, code, first, last, consistent=True)
            if (after.service_code, after.date, after.start) in touched
        ]
    else:
        changes = [
            change for slot, wanted in work if (change := slot_store.retime_slot(slot, *_target(wanted))) is not None
        ]
    for before, after in changes:
        wanted = plans[(after.service_code, after.date)].get(after.start)
        where = {"service_code": after.service_code, "date": after.date.isoformat(), "start": after.start}
        if wanted is None:
            result["closed"] += 1
            if after.booked:
                result["closed_with_bookings"].append(
                    {**where, "booked": after.booked, "capacity_requested": None, "capacity": None}
                )
            continue
        result["updated"] += 1
        if after.remaining > 0 and (after.capacity > before.capacity or before.closed):
            offers.add((after.service_code, after.date))
        if after.booked > after.capacity:
            result["over_capacity"].append(
                {**where, "booked": after.booked, "capacity_requested": wanted.capacity, "capacity": after.capacity}
            )
    for code, day in sorted(offers):  # R18: free places to the waiting, never delayed
        waitlist.offer_free_places_of_day(office.office_id, [code], day, now)
    staged = days_to_stage(now, catalog.booking_window_days(office))
    result["created"] = release.release_office(office.office_id, staged, now).written
    return result


# ---------------------------------------------------------------- the calendar (R5)


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
        raise _invalid(error) from None
    old = load_catalog(max_age=0)
    before = catalog_store.get_entity("CALENDAR", str(year))
    check_if_match(if_match, before)
    after = catalog_store.calendar_body(entries)
    note = audit.entry(caller, "calendar.put", f"CALENDAR#{year}", now, before=before, after=after)
    tag = _write("CALENDAR", str(year), after, [entry_item(note)], before, if_match)

    new = load_catalog(max_age=0)
    days = _horizon(now)
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


# ---------------------------------------------------------------- read-back


def office_view(office_id: str) -> tuple[dict[str, Any], str]:
    """What an administrator set for a hall, as stored: the public fields, the weekly timetable with
    capacities and the dated closures. (the office, its ETag for If-Match)"""
    body = catalog_store.get_entity("OFFICE", office_id)
    if body is None:
        raise errors.NotFound(N_("No office with id {office}.", office=office_id))
    return body, catalog_store.etag(body) or ""


def service_view(code: str) -> tuple[dict[str, Any], str]:
    """A service as stored (every field), with its ETag for If-Match (the console)."""
    body = catalog_store.get_entity("SERVICE", code)
    if body is None:
        raise errors.NotFound(N_("No service with code {code}.", code=code))
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


def calendar_year(year: int, today: date) -> tuple[dict[str, Any], str | None]:
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
        "bundled_by": calendar.bundled_by(year),
        "alarm": year == today.year + 1 and next_year_missing(today, calendar),
        "holidays": holidays,
        "workdays": workdays,
        "entered": entered,
    }, catalog_store.etag(entered)
