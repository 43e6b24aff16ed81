"""R4: an administrator's hall - mode, services, weekly timetable with capacities - written with its
audit entry (services/catalog_admin.py's optimistic write), and its released slots brought in line.

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

from ..domain import errors
from ..domain.booking_window import days_to_stage
from ..domain.calendar import WorkCalendar
from ..domain.timetable import Slot, slots_for_day
from ..i18n import N_
from ..store.catalog import Office, body_of, office_from
from ..store.slots import SlotState
from ..store.stores import stores
from . import audit, release, waitlist
from .catalog_admin import check_if_match, invalid, write_versioned
from .tokens import Caller

log = logging.getLogger(__name__)

RELEASED_HORIZON = timedelta(days=62)  # released slots lie within the window (at most a month ahead)


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
    store = stores().catalog_admin
    catalog = store.load_catalog(max_age=0)
    unknown = sorted(set(data.get("services", [])) - set(catalog.services))
    if unknown:
        raise errors.ValidationFailed(N_("Unknown service codes: {codes}.", codes=unknown), field="services")
    extra = sorted(set(data.get("timetable", {})) - set(data.get("services", [])))
    if extra:
        raise errors.ValidationFailed(
            N_("A timetable for services the hall does not offer: {codes}.", codes=extra), field="timetable"
        )
    before = store.get_entity("OFFICE", office_id)
    check_if_match(if_match, before)
    try:
        office = office_from({**data, "office_id": office_id, "closures": (before or {}).get("closures", [])})
    except (KeyError, TypeError, ValueError) as error:
        raise invalid(error) from None
    previous = office_from(before) if before else None
    after = body_of(office)
    note = audit.entry(caller, "office.put", f"OFFICE#{office_id}", now, before=before, after=after)
    tag = write_versioned("OFFICE", office_id, after, note, before, if_match)
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


def horizon(now: datetime) -> list[date]:
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
        for day in horizon(now):
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
    office = stores().catalog_admin.load_catalog(max_age=0).offices.get(body["office_id"])
    if office is None:
        return {}
    result = apply_timetable(office, sorted(set(body["timetable"])), now)
    stores().catalog_admin.invalidate_cache()  # this environment's cached answers (others' expire in a second)
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
    store = stores().catalog_admin
    catalog = store.load_catalog(max_age=0)
    first, last = now.date() + timedelta(days=1), now.date() + RELEASED_HORIZON
    result: dict[str, Any] = {"updated": 0, "closed": 0, "created": 0, "over_capacity": [], "closed_with_bookings": []}
    work: list[tuple[SlotState, Slot | None]] = []
    plans: dict[tuple[str, date], dict[str, Slot]] = {}
    for code in codes:
        for slot in stores().slots.slots_between(office.office_id, code, first, last):
            plan = plans.setdefault((code, slot.date), _planned(office, code, slot.date, catalog.calendar))
            wanted = plan.get(slot.start)
            if wanted is None and not slot.closed:
                work.append((slot, None))
            elif wanted is not None and (slot.closed or (slot.capacity, slot.end) != (wanted.capacity, wanted.end)):
                work.append((slot, wanted))
    work.sort(key=lambda w: 0 if w[1] is None or w[1].capacity < w[0].capacity else 1)
    offers: set[tuple[str, date]] = set()
    if len(work) > SYNC_SLOTS:  # the job's batches: then every touched service read again, as written
        store.retime_slots([(slot, *_target(wanted)) for slot, wanted in work])
        touched = {(slot.service_code, slot.date, slot.start): (slot, wanted) for slot, wanted in work}
        changes = [
            (touched[(after.service_code, after.date, after.start)][0], after)
            for code in sorted({slot.service_code for slot, _ in work})
            for after in stores().slots.slots_between(office.office_id, code, first, last, consistent=True)
            if (after.service_code, after.date, after.start) in touched
        ]
    else:
        changes = [change for slot, wanted in work if (change := store.retime_slot(slot, *_target(wanted))) is not None]
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
