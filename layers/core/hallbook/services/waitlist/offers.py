"""R18, R19: places freed and offered. A cancelled place stays delayed until its random return instant,
then goes to the first waiting entry that wants its slot (join order) or back to the pool; a place
freed by a capacity raise or a reopened slot is offered at once; an offer that ends without a booking
(declined, timed out, its entry ended) passes its place on."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date, datetime, timedelta

from ...config import settings
from ...domain import errors
from ...domain.waitlist import (
    DelayRange,
    EntryStatus,
    Origin,
    PlaceState,
    cut_off,
    entry_wants,
    offer_deadline,
    offer_hours,
    return_at,
)
from ...store.bookings import Booking
from ...store.catalog import Catalog
from ...store.stores import stores
from ...store.waitlist import Entry, EntryMoved, Place, PlaceMoved
from .sms import entry_sms, hhmm, offer_sms

log = logging.getLogger(__name__)


def hold_time() -> timedelta:
    return timedelta(minutes=settings().waitlist_hold_minutes)


def delay_range() -> DelayRange:
    return DelayRange(settings().release_delay_min_minutes, settings().release_delay_max_minutes)


def delayed_place(booking: Booking, now: datetime, *, moved: bool = False) -> Place:
    """R19: the place a citizen's or operator's cancellation frees (or, `moved`, the place a reschedule
    leaves, R8a), delayed by a fresh random draw; the cancellation or the move writes it. Its id derives
    from the booking (and its move), so a retried transaction writes the same place."""
    key = f"rescheduled\n{booking.booking_id}\n{booking.moves}" if moved else f"cancelled\n{booking.booking_id}"
    return Place(
        place_id=hashlib.sha256(key.encode()).hexdigest()[:32],
        office_id=booking.office_id,
        service_code=booking.service_code,
        date=booking.date,
        start=booking.start,
        end=booking.end,
        state=PlaceState.DELAYED.value,
        origin=Origin.CANCELLATION.value,
        created_at=now.isoformat(),
        return_at=return_at(booking.date, now, delay_range().draw(), Origin.CANCELLATION),
    )


def after_cancellation(place: Place, now: datetime) -> None:
    """Right after a cancellation: nothing. R19: the place goes to the first waiting entry, or to the
    pool, only at its return instant (the minute's timer run), never at once: a seller cancelling on
    cue cannot hand it to a buyer waiting for that slot. Dispatched here only when its return is now
    (a delay that would pass the cut-off)."""
    if place.return_at is not None and place.return_at > now:
        return
    try:
        dispatch(place, now)
    except Exception:  # noqa: BLE001 - the cancellation is done; the timer will see to the place
        log.exception("dispatching a freed place failed; the timer run will", extra={"office_id": place.office_id})


def dispatch(place: Place, now: datetime, catalog: Catalog | None = None) -> str:
    """A delayed place whose return instant has come: offered to the first waiting entry that wants its
    slot (join order), else back to the pool. Before its return instant it stays delayed (R19: the
    waitlist gets nothing earlier than the pool would). 'offered', 'returned', 'delayed' or 'gone'."""
    catalog = catalog or stores().catalog.load_catalog()
    waitlist = stores().waitlist
    if place.return_at is not None and place.return_at > now and now < cut_off(place.date):
        return "delayed"
    if now < cut_off(place.date) and not offer_hours(now):
        return "delayed"  # at night (a return drawn before the hours were shifted): the morning's runs see to it
    if now < cut_off(place.date):
        until = offer_deadline(place.date, now, hold_time())
        if until is not None:
            for entry in waitlist.waiting_entries(place.office_id, place.service_code, place.date):
                if not entry_wants(entry.start, place.start):
                    continue
                try:
                    waitlist.offer_delayed_place(place, entry, until, now, offer_sms(entry, place, until, catalog, now))
                    return "offered"
                except EntryMoved:
                    continue
                except PlaceMoved:
                    return "gone"
    try:
        waitlist.return_to_pool(place, now)
        return "returned"
    except PlaceMoved:
        return "gone"


def offer_free_places(
    office_id: str, service_code: str, day: date, start: str, now: datetime, catalog: Catalog | None = None
) -> int:
    """A capacity raise or a reopened slot (never delayed, R19): each free place of the slot goes to
    the next waiting entry that wants it, while there are both. How many were offered."""
    if now >= cut_off(day):
        return 0
    until = offer_deadline(day, now, hold_time())
    if until is None:
        return 0
    store = stores()
    catalog = catalog or store.catalog.load_catalog()
    offered = 0
    for entry in store.waitlist.waiting_entries(office_id, service_code, day):
        if not entry_wants(entry.start, start):
            continue
        slot = store.slots.get_slot(office_id, service_code, day, start)
        if slot is None or slot.remaining <= 0:
            break
        place = Place(
            uuid.uuid4().hex,
            office_id,
            service_code,
            day,
            start,
            slot.end,
            PlaceState.OFFERED.value,
            Origin.FREED.value,
            now.isoformat(),
        )
        try:
            store.waitlist.hold_free_place(place, entry, until, now, offer_sms(entry, place, until, catalog, now))
            offered += 1
        except EntryMoved:
            continue
        except (errors.SlotFull, errors.NoSuchSlot):
            break
    return offered


def offer_free_places_of_day(office_id: str, service_codes: list[str], day: date, now: datetime) -> int:
    """Every slot of a hall's day that has free places (a reopened day): offered to its waiting entries."""
    return sum(
        offer_free_places(office_id, code, day, slot.start, now)
        for code in service_codes
        for slot in stores().slots.slots_between(office_id, code, day, day)
        if slot.remaining > 0
    )


def end_offer(entry: Entry, status: EntryStatus, now: datetime, catalog: Catalog) -> None:
    """An offer declined, timed out or ended: the entry ends, and its place is delayed again - a fresh
    random delay when it came from a cancellation, none when it was freed - then dispatched to the next."""
    waitlist = stores().waitlist
    place = waitlist.get_place(entry.place_id or "")
    if place is None:
        return
    origin = Origin(place.origin)
    back = return_at(place.date, now, delay_range().draw(), origin)
    sms = (
        entry_sms("waitlist_timed_out", entry, catalog, now, until=hhmm(entry.offer_until))
        if status is EntryStatus.TIMED_OUT
        else []
    )
    try:
        waitlist.pass_offer_on(entry, status, back, now, sms)
    except EntryMoved:
        return  # accepted, or passed on by another run
    dispatch(
        Place(
            **{
                **place.__dict__,
                "state": PlaceState.DELAYED.value,
                "entry_id": None,
                "offer_until": None,
                "return_at": back,
            }
        ),
        now,
        catalog,
    )
