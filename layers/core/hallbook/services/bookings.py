"""R2, R7-R13: booking, cancelling and viewing, checked in order of cost - refusals that need no I/O
first, then reads, and the single write (store.bookings.book_slot) last. A slot already known to be
full is refused without a write (services/noon_cache.py, a layer around the rule)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .. import telemetry
from ..domain import errors
from ..domain.booking import Status, allowed, booking_id_for, can_cancel, cancel_deadline
from ..domain.newborn import is_certificate_key, parse_newborn_name
from ..domain.reference import new_reference
from ..domain.sanctions import CANCELS_PER_MONTH, suspension_after_cancellation, warning_after_cancellation
from ..domain.timetable import Slot, parse_hhmm
from ..i18n import N_, pair
from ..store import readcache
from ..store.accounts import Account
from ..store.base import Guard
from ..store.bookings import Booking, BookingMoved, ReplayedBooking, SubjectMoved
from ..store.catalog import Catalog, Office, Service
from ..store.stores import stores
from . import eligibility, flags, guardians, messages
from .catalog import get_office, get_service, parse_day
from .eligibility import Newborn
from .noon_cache import with_noon_cache
from .ownership import owned_by
from .reminders import own_reminder
from .tokens import Caller

log = logging.getLogger(__name__)
CANCEL_ATTEMPTS = 5


@dataclass(frozen=True)
class BookingPage:
    """One page of an account's bookings, newest first."""

    bookings: list[Booking]
    next_cursor: str | None


@dataclass(frozen=True)
class BookingRequest:
    office_id: str
    service_code: str
    date: str
    start: str
    notice_acknowledged: bool
    subject_id_number: str | None = None
    newborn: Newborn | None = None  # R2: eligibility.Newborn

    def __post_init__(self) -> None:
        raw: Any = self.newborn  # a route's model_dump() gives the newborn as a dict
        if isinstance(raw, dict):
            object.__setattr__(self, "newborn", Newborn(**raw))

    def audit_detail(self) -> dict[str, str]:
        """What the audit log keeps of a request made for someone else (no ID number)."""
        return {"office_id": self.office_id, "service_code": self.service_code, "date": self.date, "start": self.start}


def planned_slot(catalog: Catalog, office: Office, service: Service, day: date, start: str, now: datetime) -> Slot:
    """The timetable's slot of `service` at `office` on `day` at `start`, where a booking (or a move) may
    land now: offered there (SERVICE_NOT_OFFERED), inside the booking window (OUTSIDE_WINDOW, R6), a
    slot of the day's plan (NO_SUCH_SLOT: closed day, holiday, wrong time) and not a drawn day before
    its draw (DRAW_OPEN, R23). Checks without I/O but for a drawn day's record."""
    eligibility.ensure_offered(office, service)
    eligibility.ensure_in_booking_window(catalog, office, day, now)
    slot_plan = eligibility.planned_slot_of(catalog, office, service, day, start)
    if catalog.draws:  # R23: a drawn day is not first-come until its draw is done (DRAW_OPEN)
        from .draws import ensure_first_come

        ensure_first_come(catalog, office, service.code, day, now)
    return slot_plan


def book_by_rules(
    caller: Caller,
    request: BookingRequest,
    idempotency_key: str | None,
    now: datetime,
    copy_to: tuple[tuple[str, str, str], ...] = (),
    guard: Guard | None = None,
) -> tuple[Booking, bool]:
    """The booking rule, in order of cost: the request's own checks, the account and subject, one read,
    one transaction. Returns (booking, created): created is False when an Idempotency-Key replay found
    the first one. `copy_to`: (phone, lang, for whom) of a family proxy who acts (R20) and gets a copy
    of the SMS; `guard`: condition checks the booking's transaction also makes (the proxy's
    authorisation as read: store.base.GuardMoved when it changed meanwhile)."""
    day = parse_day(request.date, "date")
    try:
        parse_hhmm(request.start)
    except ValueError:
        raise errors.ValidationFailed("`start` must be a time HH:MM", field="start") from None
    if request.notice_acknowledged is not True:
        raise errors.NoticeNotAcknowledged("Read and acknowledge the service's notice before booking.")
    catalog = stores().catalog.load_catalog()
    office = get_office(request.office_id, catalog)
    service = get_service(request.service_code, catalog)
    eligibility.ensure_appointment_service(service)
    slot_plan = planned_slot(catalog, office, service, day, request.start, now)
    booking_id = booking_id_for(caller.account_id, idempotency_key)

    account = eligibility.account_that_may_book(caller, now)
    subject_id = eligibility.subject_for(account, request.subject_id_number, service, now.date(), request.newborn)

    bookings = stores().bookings
    existing, subject, slot = bookings.read_for_booking(
        booking_id, subject_id, office.office_id, service.code, day, request.start
    )
    if existing is not None:
        return _replay(existing, account, office.office_id, service.code, day, request.start, subject_id)
    if service.code in subject.active_services:
        raise errors.AlreadyBooked("There is already an active booking for this service; cancel it first.")
    suspension = subject.record().suspension(now)
    if suspension:
        raise errors.Suspended(suspension.detail(), suspended_until=suspension.until.isoformat())
    if slot is None or slot.closed:
        raise errors.NoSuchSlot(N_("No released slot on {day} at {start}.", day=day, start=request.start))
    if slot.remaining <= 0:
        raise errors.SlotFull("That slot is fully booked; please choose another.")

    booking = Booking(
        booking_id=booking_id,
        reference=new_reference(),
        account_id=account.account_id,
        subject_id_number=subject_id,
        office_id=office.office_id,
        service_code=service.code,
        date=day,
        start=slot.start,
        end=slot.end,
        status=Status.BOOKED.value,
        created_at=now.isoformat(timespec="milliseconds"),
        newborn_name=parse_newborn_name(request.newborn.name) if request.newborn else None,
    )
    sms = messages.booking_message("booked", booking, office, service, account.phone or "", account.lang, now)
    try:
        bookings.book_slot(
            booking,
            sms,
            now,
            slot_plan.ends_at,
            also=own_reminder(booking, account, catalog, now) + tuple(messages.copy_for(sms, *to) for to in copy_to),
            slot_was_open=True,
            guard=guard,
        )
    except ReplayedBooking:
        first = bookings.get_booking(booking_id)
        if first is None:  # pragma: no cover - the condition said it exists
            raise
        return _replay(first, account, office.office_id, service.code, day, request.start, subject_id)
    log.info("booked", extra={"booking_id": booking_id, "office_id": office.office_id, "service_code": service.code})
    telemetry.count("BookingsMade")
    if subject_id != account.id_number and not is_certificate_key(subject_id):
        flags.booked_minor(booking, now)  # R22
    return booking, True


# The noon's per-environment caches around the rule's reads and writes (services/noon_cache.py).
book = with_noon_cache(book_by_rules)


def _replay(
    existing: Booking, account: Account, office_id: str, service_code: str, day: date, start: str, subject_id: str
) -> tuple[Booking, bool]:
    if existing.account_id != account.account_id or not existing.same_request(
        office_id, service_code, day, start, subject_id
    ):
        raise errors.ValidationFailed(
            "This Idempotency-Key was already used for a different booking.", field="Idempotency-Key"
        )
    return existing, False


def own_booking(caller: Caller, booking_id: str) -> Booking:
    """R13: a citizen sees only bookings made from their account; anybody else's is 404, never data."""
    return owned_by(caller, booking_id, stores().bookings.get_booking, "booking")


def cancel(caller: Caller, booking_id: str, now: datetime) -> Booking:
    booking = own_booking(caller, booking_id)
    return cancel_booking(booking, now, by="citizen")


def cancel_booking(
    booking: Booking,
    now: datetime,
    by: str,
    reason: str | None = None,
    copy_to: tuple[tuple[str, str, str], ...] = (),
    sms_template: str | None = None,
    counted: bool = True,
) -> Booking:
    """Cancel and free the place (R10). A citizen's (or operator's, or family proxy's) cancellation
    counts towards R11; the hall's does not. `copy_to`: as for `book`; `sms_template`: another SMS
    than the cancellation's (the hall's for a day the calendar closes: `cancelled_by_calendar`).
    `counted=False`: an account's closure (PIPL) - never counted against anyone, open past the R10
    cut-off, the place returning as a citizen's does (R19)."""
    if not allowed(booking.status, Status.CANCELLED):
        raise errors.NotCancellable(
            N_("The booking is {status}; only a booked one can be cancelled.", status=booking.status)
        )
    by_citizen = by != "hall"
    if by_citizen and counted and not can_cancel(booking.date, now):
        raise errors.CancelClosed(
            N_("Cancellation closed at {deadline}.", deadline=cancel_deadline(booking.date).strftime("%Y-%m-%d %H:%M"))
        )
    store = stores()
    catalog = store.catalog.load_catalog()
    office, service = catalog.offices[booking.office_id], catalog.services[booking.service_code]
    account = store.accounts.get_account(booking.account_id)
    phone, lang = (account.phone or "", account.lang) if account else ("", "zh")
    counts = by_citizen and counted and guardians.counts_against_subject(account, booking.subject_id_number)
    # R18/R19: a citizen's or operator's cancellation keeps the place taken, as a delayed place that goes
    # to the waitlist or back to the pool after a random delay; the hall's (a closed day) frees it
    from . import waitlist

    for _ in range(CANCEL_ATTEMPTS):
        place = waitlist.delayed_place(booking, now) if by_citizen else None
        subject = store.bookings.get_subject(booking.subject_id_number)
        template = sms_template or ("cancelled_by_hall" if by == "hall" else "cancelled")
        sms = [messages.booking_message(template, booking, office, service, phone, lang, now, reason=reason or "")]
        count_before = subject.record().cancellations_in(now.date())
        suspension = suspension_after_cancellation(count_before, now) if counts else None
        warning = warning_after_cancellation(count_before, now) if counts else None
        if warning:  # R21: one more suspends
            sms.append(messages.warning_message(booking.booking_id, warning, phone, lang, now))
        if suspension:
            why = pair("why.cancellations", count=CANCELS_PER_MONTH)
            sms.append(messages.suspended_message(booking.booking_id, why, suspension.until, phone, lang, now))
        sms += [messages.copy_for(m, *to) for m in sms for to in copy_to]
        try:
            store.bookings.cancel_booking(booking, subject, now, by, reason, sms, counts, delayed_place=place)
            if place is None:  # freed at once (the hall's); a delayed place stays taken until it returns
                readcache.mark_free(booking.office_id, booking.service_code, booking.date, booking.start)
            readcache.forget_availability(booking.office_id, booking.service_code)
            break
        except SubjectMoved:
            continue
        except BookingMoved:  # R8a: rescheduled meanwhile - a person's cancellation follows it
            if not by_citizen:  # the hall's closure was for the day it has left
                raise errors.NotCancellable("The booking was moved to another time meanwhile.") from None
            booking = store.bookings.get_booking(booking.booking_id) or booking
            office = catalog.offices[booking.office_id]
            if not can_cancel(booking.date, now):
                raise errors.CancelClosed(
                    N_(
                        "Cancellation closed at {deadline}.",
                        deadline=cancel_deadline(booking.date).strftime("%Y-%m-%d %H:%M"),
                    )
                ) from None
            continue
    else:
        raise errors.Busy("Too many changes at once; please retry.")
    telemetry.count("BookingsCancelled", by=by)
    if place is not None:
        waitlist.after_cancellation(place, now)
    elif can_cancel(booking.date, now):  # the hall's: freed at once, to the waitlist first if the slot is open
        try:
            waitlist.offer_free_places(
                booking.office_id, booking.service_code, booking.date, booking.start, now, catalog
            )
        except Exception:  # noqa: BLE001 - the cancellation is done; the place is simply free
            log.exception("offering a place the hall freed failed", extra={"booking_id": booking.booking_id})
    if counted:
        flags.cancelled(booking, by, now)  # R22
    return store.bookings.get_booking(booking.booking_id) or booking


def queue_positions(bookings: Iterable[Booking]) -> dict[str, tuple[str, int]]:
    """R13: for each checked-in booking, its ticket's number and how many waiting tickets are called
    before it (domain.queue.call_order, the board's order: a skipped ticket held back until its turn,
    R15a; 0 once it is called). One Query per hall and day shown."""
    from ..domain.queue import call_order

    orders: dict[tuple[str, date], list[str]] = {}
    positions: dict[str, tuple[str, int]] = {}
    for booking in bookings:
        if booking.status != Status.CHECKED_IN.value or not booking.ticket_id:
            continue
        key = (booking.office_id, booking.date)
        if key not in orders:
            board, waiting = stores().tickets.queue_of(*key)
            orders[key] = [w.ticket_id for w in call_order(waiting, board.calls)]  # R15a: skipped tickets held back
        order = orders[key]
        ahead = order.index(booking.ticket_id) if booking.ticket_id in order else 0
        positions[booking.booking_id] = (booking.ticket_id.partition("-")[2], ahead)
    return positions


def list_bookings(caller: Caller, limit: int, cursor: str | None) -> BookingPage:
    return BookingPage(*stores().bookings.list_for_account(caller.account_id, limit, cursor))
