"""R4/R5: an administrator closes a hall for a day (POST /v1/offices/{office_id}/closures).

In this order, each step idempotent, so repeating the request (or retrying after a failure) is safe:
1. the closure joins the office's dated closures, in one transaction with its audit entry (who,
   when, which day and why): availability and the release leave the day out;
2. every released slot of the day is marked closed: from that write on, no booking can take it
   (book_slot's condition), whatever the other functions' catalog caches still say;
3. the day's bookings at that hall are found with one Query of the by_office_day index (keys only,
   never a scan) and each one still `booked` is cancelled by the hall: the place freed, not counted
   against the citizen (R11), and a `cancelled_by_hall` SMS with the reason in the same transaction.

The index is eventually consistent, so a booking made just before its slot closed could be missing
from the Query: the places each slot held when it closed (final, since nothing can join a closed
slot) are compared with the bookings found, and the Query is repeated until they agree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..domain import errors
from ..domain.booking import Status
from ..domain.booking_window import days_to_stage
from ..domain.timetable import slots_for_day
from ..i18n import N_
from ..store import catalog as catalog_store
from ..store.catalog import body_of, office_from
from ..store.stores import stores
from . import audit, release
from .catalog import get_office, parse_day
from .day_cancellation import cancel_day
from .tokens import Caller

log = logging.getLogger(__name__)

MAX_REASON = 60


def close_day(
    caller: Caller,
    office_id: str,
    day_text: str,
    reason: str,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    day = parse_day(day_text, "date")
    if day < now.date():
        raise errors.ValidationFailed("A closure is for today or a later day.", field="date")
    reason = " ".join((reason or "").split())
    if not 1 <= len(reason) <= MAX_REASON:
        raise errors.ValidationFailed(
            N_("reason is 1 to {count} characters: citizens read it by SMS.", count=MAX_REASON), field="reason"
        )
    office = get_office(office_id, stores().catalog_admin.load_catalog(max_age=0))

    reason, already_closed = _record_closure(caller, office_id, day.isoformat(), reason, now)
    slots, cancelled_now, by_hall = cancel_day(office_id, sorted(office.timetable), day, reason, now, sleep)
    log.info(
        "hall closed for a day",
        extra={"office_id": office_id, "date": day.isoformat(), "slots": len(slots), "cancelled": cancelled_now},
    )
    return {
        "office_id": office_id,
        "date": day.isoformat(),
        "reason": reason,
        "already_closed": already_closed,
        "slots_closed": len(slots),
        "bookings_cancelled": by_hall,
        "cancelled_now": cancelled_now,
    }


def _record_closure(caller: Caller, office_id: str, day: str, reason: str, now: datetime) -> tuple[str, bool]:
    """Add the closure to the office unless the day is closed already; (the closure's reason, was it
    there). A closure only adds to the hall, so a concurrent change of the hall is read again."""
    for _ in range(CLOSURE_ATTEMPTS - 1):
        try:
            return _add_closure(caller, office_id, day, reason, now)
        except catalog_store.ChangedMeanwhile:
            continue
    return _add_closure(caller, office_id, day, reason, now)


CLOSURE_ATTEMPTS = 3


def _add_closure(caller: Caller, office_id: str, day: str, reason: str, now: datetime) -> tuple[str, bool]:
    data = stores().catalog_admin.get_entity("OFFICE", office_id)
    if data is None:
        raise errors.NotFound(N_("No office with id {office}.", office=office_id))
    existing = next((c for c in data.get("closures", []) if c.get("date") == day), None)
    if existing is not None:
        return existing.get("reason") or reason, True
    office = body_of(office_from({**data, "closures": [*data.get("closures", []), {"date": day, "reason": reason}]}))
    note = audit.entry(
        caller,
        "office.close_day",
        f"OFFICE#{office_id}",
        now,
        before={"closures": data.get("closures", [])},
        after={"closures": office["closures"]},
    )
    stores().catalog_admin.put_audited("OFFICE", office_id, office, note, data)
    return reason, False


# ---------------------------------------------------------------- before closing


def preview_closure(office_id: str, day_text: str, now: datetime) -> dict[str, Any]:
    """GET /v1/offices/{office_id}/closures/{date}: what closing the day would do, before the
    administrator confirms - the bookings it would cancel (each told by SMS), the released slots it
    would close, the waitlist entries it would end - and whether the day is closed already. Reads only:
    one Query of the day's bookings, one per service for its slots and its waitlist."""
    day = parse_day(day_text, "date")
    catalog = stores().catalog_admin.load_catalog(max_age=0)
    office = get_office(office_id, catalog)
    existing = next((c for c in office.closures if c.date == day), None)
    bookings = stores().catalog_admin.bookings_of_day(office_id, day)
    codes = sorted(office.timetable)
    slots = [s for code in codes for s in stores().slots.slots_between(office_id, code, day, day)]
    waiting = sum(len(stores().waitlist.waiting_entries(office_id, code, day)) for code in codes)
    booked = [b for b in bookings if b.status == Status.BOOKED.value]
    return {
        "office_id": office_id,
        "date": day.isoformat(),
        "closed": existing is not None,
        "reason": existing.reason if existing else "",
        "working_day": catalog.calendar.is_working_day(day),
        "bookings": len(booked),
        "checked_in": sum(1 for b in bookings if b.status == Status.CHECKED_IN.value),
        "slots": sum(1 for s in slots if not s.closed),
        "waiting": waiting,
        "past": day < now.date(),
    }


# ---------------------------------------------------------------- lifting a closure


def lift_closure(caller: Caller, office_id: str, day_text: str, now: datetime) -> dict[str, Any]:
    """DELETE /v1/offices/{office_id}/closures/{date}: the day opens again. The closure leaves the
    hall (audited, with the reason it had), the day's released slots in the timetable open again with
    the places the closure's cancellations freed, and slots never released are written if the day is
    in the window. Bookings the closure cancelled stay cancelled: their citizens were told by SMS and
    may have booked elsewhere; nobody's booking is revived. 404 when the day has no closure."""
    day = parse_day(day_text, "date")
    if day < now.date():
        raise errors.ValidationFailed("A closure of a past day cannot be lifted.", field="date")
    store = stores().catalog_admin
    for attempt in range(CLOSURE_ATTEMPTS):
        data = store.get_entity("OFFICE", office_id)
        if data is None:
            raise errors.NotFound(N_("No office with id {office}.", office=office_id))
        lifted = next((c for c in data.get("closures", []) if c.get("date") == day.isoformat()), None)
        if lifted is None:
            raise errors.NotFound(N_("{office} has no closure on {day}.", office=office_id, day=day.isoformat()))
        office = office_from({**data, "closures": [c for c in data["closures"] if c is not lifted]})
        after = body_of(office)
        note = audit.entry(
            caller,
            "office.lift_closure",
            f"OFFICE#{office_id}",
            now,
            before={"closures": data.get("closures", [])},
            after={"closures": after["closures"]},
        )
        try:
            store.put_audited("OFFICE", office_id, after, note, data)
            break
        except catalog_store.ChangedMeanwhile:
            if attempt == CLOSURE_ATTEMPTS - 1:
                raise
    if lifted is None:  # never: each attempt finds the closure (and breaks) or raises
        raise errors.NotFound(N_("{office} has no closure on {day}.", office=office_id, day=day.isoformat()))
    catalog = store.load_catalog(max_age=0)
    reopened = 0
    for code in sorted(c for c in office.timetable if c in office.services):
        planned = {
            s.start: s for s in slots_for_day({code: office.timetable[code]}, day, catalog.calendar, office.closed_days)
        }
        if not planned:
            continue
        # one Query, then the slots to open (or to bring to the timetable) in transactions of 100
        changes = [
            (state, plan.capacity, plan.end)
            for state in stores().slots.slots_between(office_id, code, day, day, consistent=True)
            if (plan := planned.get(state.start)) is not None
            and (state.closed or (state.capacity, state.end) != (plan.capacity, plan.end))
        ]
        store.retime_slots(changes)  # type: ignore[arg-type]
        reopened += sum(1 for state, _, _ in changes if state.closed)
    created = 0
    if day in days_to_stage(now, catalog.booking_window_days(office)):
        created = release.release_office(office_id, [day], now).written
    log.info("closure lifted", extra={"office_id": office_id, "date": day.isoformat(), "reopened": reopened})
    return {
        "office_id": office_id,
        "date": day.isoformat(),
        "reason": lifted.get("reason", ""),
        "slots_reopened": reopened,
        "slots_created": created,
    }
