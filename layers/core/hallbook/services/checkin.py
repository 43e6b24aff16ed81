"""Check-in at the hall (R14): by booking reference or ID number, within the booking's check-in
window, issuing its `A` ticket; what the clerk compares with the ID card (masked)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .. import telemetry
from ..clock import SHANGHAI
from ..domain import errors
from ..domain.booking import CHECK_IN_OPENS_BEFORE, Status, allowed, check_in_open, check_in_window
from ..domain.identity import mask_id_number, mask_name, parse_id_number
from ..domain.reference import normalise_reference
from ..domain.timetable import parse_hhmm
from ..i18n import N_
from ..store.bookings import Booking
from ..store.catalog import Office
from ..store.stores import stores
from ..store.tickets import BookingNotBooked, Ticket
from .catalog import get_office

log = logging.getLogger(__name__)
BOOKINGS_MADE_WITHIN = timedelta(days=62)  # a booking for today was made at most a window ago


@dataclass(frozen=True)
class Identity:
    """R15a: whom the clerk compares with the ID card at check-in - masked (the name's family name,
    the ID number's last four) - and the slot booked. `name` is the subject's when the subject holds
    the booking's account; a minor's booking names the guardian who made it in `booked_by`."""

    name: str | None
    id_number: str
    booked_by: str | None
    date: str
    start: str
    end: str


@dataclass(frozen=True)
class CheckedIn:
    """The `A` ticket issued and the booking it checked in."""

    ticket: Ticket
    booking: Booking
    identity: Identity | None = None


def _slot_times(booking: Booking) -> tuple[datetime, datetime]:
    return (
        datetime.combine(booking.date, parse_hhmm(booking.start), SHANGHAI),
        datetime.combine(booking.date, parse_hhmm(booking.end), SHANGHAI),
    )


def _check_in_window_text(booking: Booking) -> str:
    opens, closes = check_in_window(*_slot_times(booking))
    return f"{booking.date.isoformat()} {opens.strftime('%H:%M')}-{closes.strftime('%H:%M')}"


def check_in(office_id: str, reference: str | None, id_number: str | None, now: datetime) -> CheckedIn:
    """Check a booking in by reference or by ID number and issue its `A` ticket."""
    if bool(reference) == bool(id_number):
        raise errors.ValidationFailed("Send either `reference` or `id_number`.", field="reference")
    office = get_office(office_id, stores().catalog.load_catalog())
    booking = _by_reference(office, reference) if reference else _by_id_number(office, id_number or "", now)
    return _check_in(booking, office, now)


def _by_reference(office: Office, reference: str) -> Booking:
    ref = normalise_reference(reference)
    if ref is None:
        raise errors.ValidationFailed("That is not a booking reference (8 letters and digits).", field="reference")
    here = [b for b in stores().tickets.find_by_reference(ref) if b.office_id == office.office_id]
    if here:
        return max(here, key=lambda b: b.date)
    raise _no_booking_here(ref)


def _no_booking_here(reference: str) -> errors.DomainError:
    """Another hall's booking answers as an unknown reference does: staff learn nothing of where or
    when someone else's appointment is (as R13 answers a citizen asking for another's booking)."""
    return errors.NotFound(N_("No booking with reference {reference} at this hall.", reference=reference))


def _by_id_number(office: Office, raw: str, now: datetime) -> Booking:
    """Today's bookings at this hall whose subject has this ID number, or made from the account of
    the person with this ID number (a guardian checking in a minor's booking, R2)."""
    today = now.date()
    person = parse_id_number(raw, today)
    store = stores().tickets
    found = {b.booking_id: b for b in store.subject_bookings_on(person.value, today)}
    for b in store.bookings_made_by(person.value, now - BOOKINGS_MADE_WITHIN):
        found.setdefault(b.booking_id, b)
    today_here = sorted(
        (b for b in found.values() if b.office_id == office.office_id and b.date == today),
        key=lambda b: (b.start, b.created_at),
    )
    if not today_here:
        raise errors.NotFound("No booking at this hall today for that ID number.")
    booked = [b for b in today_here if b.status == Status.BOOKED.value]
    if not booked:
        return today_here[-1]  # _check_in says why it cannot be checked in
    open_now = [b for b in booked if check_in_open(now, *_slot_times(b))]
    if len(open_now) == 1:
        return open_now[0]
    if not open_now:
        upcoming = [b for b in booked if _slot_times(b)[0] > now]
        return upcoming[0] if upcoming else booked[-1]  # closed: _check_in says when it opens / opened
    raise errors.ValidationFailed(
        "Several bookings match this ID number now; check each in by its reference.",
        field="id_number",
        matches=[
            {
                "reference": b.reference,
                "service_code": b.service_code,
                "start": b.start,
                "subject_id_number": mask_id_number(b.subject_id_number),
            }
            for b in open_now
        ],
    )


def _refuse_state(booking: Booking) -> None:
    if booking.status in (Status.CHECKED_IN.value, Status.COMPLETED.value):
        raise errors.InvalidState(N_("This booking was already checked in (status {status}).", status=booking.status))
    if booking.status == Status.CANCELLED.value:
        raise errors.InvalidState("This booking was cancelled.")
    if booking.status == Status.NO_SHOW.value:
        raise errors.CheckInClosed(
            N_(
                "Check-in closed at the end of the slot ({window}); the booking is a no-show.",
                window=_check_in_window_text(booking),
            )
        )
    if not allowed(booking.status, Status.CHECKED_IN):
        raise errors.InvalidState(N_("This booking is {status}.", status=booking.status))


def _check_in(booking: Booking, office: Office, now: datetime) -> CheckedIn:
    if booking.office_id != office.office_id:
        raise _no_booking_here(booking.reference)
    _refuse_state(booking)
    starts_at, ends_at = _slot_times(booking)
    if booking.date != now.date() or not check_in_open(now, starts_at, ends_at):
        raise errors.CheckInClosed(
            N_(
                "Check-in for this booking is open {window} (from {minutes} minutes before the slot until its end).",
                window=_check_in_window_text(booking),
                minutes=int(CHECK_IN_OPENS_BEFORE.total_seconds() // 60),
            )
        )
    try:
        ticket = stores().tickets.check_in(booking, starts_at, now)
    except BookingNotBooked:
        current = stores().bookings.get_booking(booking.booking_id) or booking
        _refuse_state(current)
        raise errors.InvalidState("The booking changed meanwhile; try again.") from None
    log.info(
        "checked in",
        extra={"booking_id": booking.booking_id, "office_id": office.office_id, "ticket_id": ticket.ticket_id},
    )
    telemetry.count("CheckIns")
    checked_in = replace(booking, status=Status.CHECKED_IN.value, updated_at=now.isoformat())
    return CheckedIn(ticket, checked_in, identity_of(booking))


def identity_of(booking: Booking) -> Identity:
    account = stores().accounts.get_account(booking.account_id)
    own = account is not None and account.id_number == booking.subject_id_number
    return Identity(
        name=mask_name(account.name) if own and account else None,
        id_number=mask_id_number(booking.subject_id_number),
        booked_by=None if own or account is None else mask_name(account.name),
        date=booking.date.isoformat(),
        start=booking.start,
        end=booking.end,
    )
