"""R8a: reschedule - a `booked` booking moves to another slot of the same service (the same or another
hall) in one atomic step (store.bookings.move_booking), until the R10 cut-off of its current day.

- The new place is taken in the same transaction that keeps the old one taken as a delayed place;
  the old place then follows R18/R19 exactly as a citizen's cancellation's freed place does (first to
  the waitlist, else back to the pool after the random delay).
- It is not a cancellation: nothing is counted for R11, no warning, no suspension; the subject keeps
  its one R9 lock on the service throughout, so no one can slip a second active booking in between.
- One SMS (`rescheduled`) gives both times. A suspended subject (R11, R12) may still move the booking
  it holds: a move books nothing new.
- Idempotent: the same Idempotency-Key answers the booking as moved the first time, without a second
  move or a second SMS; a key reused for another move is refused (VALIDATION_ERROR). Without a key, a
  move to where the booking already is answers it unchanged.

`reschedule` is the citizen's route; `reschedule_booking` is the use case for any caller that already
holds the booking (the call-centre operator, a family proxy): it checks everything but ownership.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from .. import telemetry
from ..domain import errors
from ..domain.booking import Status, can_cancel, cancel_deadline
from ..domain.reminders import booking_carries_reminder
from ..domain.timetable import parse_hhmm
from ..i18n import N_
from ..store import readcache
from ..store.bookings import Booking, BookingMoved, ReplayedReschedule
from ..store.stores import stores
from . import messages, waitlist
from .bookings import own_booking, planned_slot
from .catalog import get_office, parse_day
from .reminders import reminder_message
from .tokens import Caller

log = logging.getLogger(__name__)
MOVE_ATTEMPTS = 5


@dataclass(frozen=True)
class RescheduleRequest:
    """Where to: `office_id` None keeps the booking's hall."""

    date: str
    start: str
    office_id: str | None = None


def reschedule_key_id(actor_id: str, idempotency_key: str | None) -> str | None:
    """The record of an Idempotency-Key, per caller (the citizen's or the operator's account)."""
    if not idempotency_key:
        return None
    if len(idempotency_key) > 128:
        raise errors.ValidationFailed("Idempotency-Key is at most 128 characters", field="Idempotency-Key")
    return "RESCHEDULE#" + hashlib.sha256(f"{actor_id}\n{idempotency_key}".encode()).hexdigest()[:32]


def reschedule(
    caller: Caller, booking_id: str, request: RescheduleRequest, idempotency_key: str | None, now: datetime
) -> Booking:
    """The citizen's own booking (anybody else's is 404 NOT_FOUND, as an unknown one: R13)."""
    booking = own_booking(caller, booking_id)
    return reschedule_booking(booking, request, now, actor_id=caller.account_id, idempotency_key=idempotency_key)


def reschedule_booking(
    booking: Booking,
    request: RescheduleRequest,
    now: datetime,
    actor_id: str,
    idempotency_key: str | None = None,
    by: str = "citizen",
    copy_to: tuple[tuple[str, str, str], ...] = (),
) -> Booking:
    """Move `booking` (already checked to be the caller's to change) to `request`'s slot and return
    it as moved. `actor_id`: whose Idempotency-Key it is; `by`: citizen | operator | proxy (logged);
    `copy_to`: (phone, lang, for whom) of a family proxy who acts (R20) and gets a copy of the SMS.
    Refusals: VALIDATION_ERROR, NOT_FOUND (hall), SERVICE_NOT_OFFERED, OUTSIDE_WINDOW, NO_SUCH_SLOT,
    DRAW_OPEN (R23), SLOT_FULL, NOT_CANCELLABLE (not `booked`), CANCEL_CLOSED (past the R10 cut-off), BUSY."""
    day = parse_day(request.date, "date")
    try:
        parse_hhmm(request.start)
    except ValueError:
        raise errors.ValidationFailed("`start` must be a time HH:MM", field="start") from None
    key_id = reschedule_key_id(actor_id, idempotency_key)
    store = stores()
    catalog = store.catalog.load_catalog()
    office = get_office(request.office_id or booking.office_id, catalog)
    service = catalog.services[booking.service_code]
    if key_id is not None:
        replayed = _replayed(key_id, booking, office.office_id, day, request.start)
        if replayed is not None:
            return replayed
    slot_plan = planned_slot(catalog, office, service, day, request.start, now)
    if readcache.seen_full(office.office_id, service.code, day, request.start):
        raise errors.SlotFull("That slot is fully booked; please choose another.")
    account = store.accounts.get_account(booking.account_id)
    phone, lang = (account.phone or "", account.lang) if account else ("", "zh")

    for _ in range(MOVE_ATTEMPTS):
        if (booking.office_id, booking.date, booking.start) == (office.office_id, day, slot_plan.start):
            return booking  # already there: nothing to move
        if booking.status != Status.BOOKED.value:
            raise errors.NotCancellable(
                N_("The booking is {status}; only a booked one can be rescheduled.", status=booking.status)
            )
        if not can_cancel(booking.date, now):
            raise errors.CancelClosed(
                N_(
                    "Rescheduling closed at {deadline} (the cancellation cut-off).",
                    deadline=cancel_deadline(booking.date).strftime("%Y-%m-%d %H:%M"),
                )
            )
        moved = replace(
            booking,
            office_id=office.office_id,
            date=day,
            start=slot_plan.start,
            end=slot_plan.end,
            moves=booking.moves + 1,
            updated_at=now.isoformat(),
        )
        place = waitlist.delayed_place(booking, now, moved=True)
        old_office = catalog.offices.get(booking.office_id, office)
        sms = [messages.rescheduled_message(booking, moved, old_office, office, service, phone, lang, now)]
        if booking_carries_reminder(moved.date, now) and account is not None:
            reminder = reminder_message(moved, catalog, phone, lang, now)
            sms += [reminder] if reminder else []
        sms += [messages.copy_for(m, *to) for m in sms for to in copy_to]
        try:
            store.bookings.move_booking(booking, moved, now, slot_plan.ends_at, sms, place, key_id)
        except errors.SlotFull:
            readcache.mark_full(office.office_id, service.code, day, slot_plan.start)
            raise
        except ReplayedReschedule:
            replayed = _replayed(key_id or "", booking, office.office_id, day, request.start)
            if replayed is None:  # pragma: no cover - the condition said the key exists
                raise errors.Busy("Too many changes at once; please retry.") from None
            return replayed
        except BookingMoved:
            current = store.bookings.get_booking(booking.booking_id)
            if current is None:  # pragma: no cover - bookings are never deleted
                raise errors.NotFound("No such booking.") from None
            booking = current
            continue
        readcache.forget_availability(booking.office_id, booking.service_code)
        readcache.forget_availability(moved.office_id, moved.service_code)
        telemetry.count("BookingsRescheduled", by=by)
        log.info(
            "rescheduled",
            extra={"booking_id": booking.booking_id, "office_id": moved.office_id, "moves": moved.moves, "by": by},
        )
        waitlist.after_cancellation(place, now)  # R18/R19: the old place goes on as a cancellation's would
        return store.bookings.get_booking(booking.booking_id) or moved
    raise errors.Busy("Too many changes at once; please retry.")


def _replayed(key_id: str, booking: Booking, office_id: str, day: object, start: str) -> Booking | None:
    """The booking as it is now when this Idempotency-Key already moved it to this slot; None when the
    key is new; VALIDATION_ERROR when it was used for another booking or another slot."""
    bookings = stores().bookings
    record = bookings.get_reschedule_key(key_id)
    if record is None:
        return None
    if (record.booking_id, record.office_id, record.date, record.start) != (booking.booking_id, office_id, day, start):
        raise errors.ValidationFailed(
            "This Idempotency-Key was already used for a different reschedule.", field="Idempotency-Key"
        )
    return bookings.get_booking(booking.booking_id) or booking
