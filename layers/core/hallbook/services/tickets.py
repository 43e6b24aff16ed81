"""At the hall (R14, R15): check-in, walk-in tickets, calling the next ticket, completing it, and the
public display board. The caller's role and office are checked by the web layer (web/auth.py)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from .. import telemetry
from ..clock import SHANGHAI
from ..domain import errors
from ..domain.booking import Status, allowed, check_in_open, check_in_window
from ..domain.identity import mask_id_number, parse_id_number
from ..domain.queue import TicketStatus, average_service_minutes, call_order, day_of_ticket, estimated_wait_minutes
from ..domain.reference import normalise_reference
from ..domain.timetable import parse_hhmm
from ..i18n import N_, Bilingual
from ..store import accounts as account_store
from ..store import bookings as booking_store
from ..store import stats as stats_store
from ..store import tickets as store
from ..store.bookings import Booking
from ..store.catalog import Office, load_catalog
from ..store.tickets import BookingNotBooked, Ticket, TicketMoved
from .catalog import get_office, get_service

log = logging.getLogger(__name__)

CLAIM_ROUNDS = 5
BOARD_SHOWS = 50  # waiting tickets listed on the board (all are counted in `waiting_count`)
COUNTER_NAME = re.compile(r"[\w -]{1,16}")  # also a map key on the board item: no dots or brackets
BOOKINGS_MADE_WITHIN = timedelta(days=62)  # a booking for today was made at most a window ago


@dataclass(frozen=True)
class CheckedIn:
    """The `A` ticket issued and the booking it checked in."""

    ticket: Ticket
    booking: Booking


@dataclass(frozen=True)
class Completed:
    """The ticket done, and its booking (completed) if it had one."""

    ticket: Ticket
    booking: Booking | None


@dataclass(frozen=True)
class DayTickets:
    """Every ticket of a hall on one day, in the order issued."""

    office_id: str
    date: date
    tickets: list[Ticket]


def _slot_times(booking: Booking) -> tuple[datetime, datetime]:
    return (
        datetime.combine(booking.date, parse_hhmm(booking.start), SHANGHAI),
        datetime.combine(booking.date, parse_hhmm(booking.end), SHANGHAI),
    )


def _check_in_window_text(booking: Booking) -> str:
    opens, closes = check_in_window(*_slot_times(booking))
    return f"{booking.date.isoformat()} {opens.strftime('%H:%M')}-{closes.strftime('%H:%M')}"


# ---------------------------------------------------------------- check-in (R14)


def check_in(office_id: str, reference: str | None, id_number: str | None, now: datetime) -> CheckedIn:
    """Check a booking in by reference or by ID number and issue its `A` ticket."""
    if bool(reference) == bool(id_number):
        raise errors.ValidationFailed("Send either `reference` or `id_number`.", field="reference")
    office = get_office(office_id)
    booking = _by_reference(office, reference) if reference else _by_id_number(office, id_number or "", now)
    return _check_in(booking, office, now)


def _by_reference(office: Office, reference: str) -> Booking:
    ref = normalise_reference(reference)
    if ref is None:
        raise errors.ValidationFailed("That is not a booking reference (8 letters and digits).", field="reference")
    here = [b for b in booking_store.find_by_reference(ref) if b.office_id == office.office_id]
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
    found = {b.booking_id: b for b in booking_store.subject_bookings_on(person.value, today)}
    account_id = account_store.find_account_id(f"ID#{person.value}")
    if account_id:
        for b in booking_store.account_bookings_made_since(account_id, now - BOOKINGS_MADE_WITHIN):
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
                "Check-in for this booking is open {window} (from 30 minutes before the slot until its end).",
                window=_check_in_window_text(booking),
            )
        )
    try:
        ticket = store.check_in(booking, starts_at, now)
    except BookingNotBooked:
        current = booking_store.get_booking(booking.booking_id) or booking
        _refuse_state(current)
        raise errors.InvalidState("The booking changed meanwhile; try again.") from None
    log.info(
        "checked in",
        extra={"booking_id": booking.booking_id, "office_id": office.office_id, "ticket_id": ticket.ticket_id},
    )
    telemetry.count("CheckIns")
    checked_in = replace(booking, status=Status.CHECKED_IN.value, updated_at=now.isoformat())
    return CheckedIn(ticket, checked_in)


# ---------------------------------------------------------------- walk-ins and the queue (R15)


def walk_in(office_id: str, service_code: str, now: datetime) -> Ticket:
    """A walk-in `B` ticket. A `book_first` hall serves only bookings (BOOKING_REQUIRED), except for
    walk-in-only business (R3), which cannot be booked at all."""
    catalog = load_catalog()
    office = get_office(office_id, catalog)
    service = get_service(service_code, catalog)
    offered = service.code in office.services
    if office.mode == "book_first" and not (offered and not service.appointment_required):
        raise errors.BookingRequired(
            N_(
                "{office} serves only citizens with a booking; book {service} first.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
            )
        )
    if not offered:
        raise errors.ServiceNotOffered(
            N_(
                "{office} does not offer {service}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
            )
        )
    ticket = store.issue_walk_in(office.office_id, now.date(), service.code, now)
    log.info("walk-in ticket", extra={"office_id": office.office_id, "ticket_id": ticket.ticket_id})
    telemetry.count("WalkInTickets")
    return ticket


def _counter_name(counter: str) -> str:
    name = " ".join(str(counter or "").split())
    if not COUNTER_NAME.fullmatch(name):
        raise errors.ValidationFailed(
            "`counter` is the counter's name or number: 1 to 16 letters, digits, spaces or hyphens (e.g. 3, A-12).",
            field="counter",
        )
    return name


def call_next(office_id: str, counter: str, now: datetime) -> Ticket:
    """Call the next ticket in R15's order at `counter`. Two counters calling at once never get the
    same ticket: the claim deletes the waiting entry on condition it still exists, and a loser
    tries the next ticket (then reads the queue again)."""
    counter = _counter_name(counter)
    office = get_office(office_id)
    today = now.date()
    for _ in range(CLAIM_ROUNDS):
        _, waiting = store.queue_of(office.office_id, today, consistent=True)
        if not waiting:
            raise errors.QueueEmpty("Nobody is waiting.")
        for candidate in call_order(waiting):
            if store.claim(office.office_id, today, candidate, counter, now):
                ticket = store.get_ticket(office.office_id, today, candidate.ticket_id)
                if ticket is None:  # pragma: no cover - written in the same transaction
                    raise errors.Busy("The ticket vanished; please retry.")
                log.info("called", extra={"office_id": office.office_id, "ticket_id": ticket.ticket_id})
                waited = _seconds_between(ticket.issued_at, now)
                stats_store.count(office.office_id, ticket.service_code, today, called=1, wait_seconds=waited)
                telemetry.count("TicketsCalled")
                telemetry.seconds("QueueWaitSeconds", waited)
                telemetry.emit("TicketsWaiting", len(waiting) - 1, office=office.office_id)
                return ticket
    raise errors.Busy("Many counters are calling at once; please retry.")


def _ticket_of(office_id: str, ticket_id: str) -> Ticket:
    day = day_of_ticket(ticket_id)
    ticket = store.get_ticket(office_id, date.fromisoformat(day), ticket_id) if day else None
    if ticket is None:
        raise errors.NotFound(N_("No ticket {ticket} at this hall.", ticket=ticket_id))
    return ticket


def complete(office_id: str, ticket_id: str, now: datetime) -> Completed:
    """The called ticket is done; its booking (if any) becomes `completed`."""
    get_office(office_id)
    ticket = _ticket_of(office_id, ticket_id)
    if ticket.status != TicketStatus.CALLED.value:
        raise errors.InvalidState(
            N_(
                "Ticket {ticket} is {status}; only a called ticket can be completed.",
                ticket=ticket.number,
                status=ticket.status,
            )
        )
    try:
        store.complete(ticket, now)
    except TicketMoved:
        raise errors.InvalidState(
            N_("Ticket {ticket} changed meanwhile (or its booking is not checked in).", ticket=ticket.number)
        ) from None
    done = replace(ticket, status=TicketStatus.DONE.value, done_at=now.isoformat())
    if ticket.called_at:
        telemetry.seconds("ServiceSeconds", _seconds_between(ticket.called_at, now))
    booking = booking_store.get_booking(ticket.booking_id) if ticket.booking_id else None
    return Completed(done, booking)


def _seconds_between(since: str | None, now: datetime) -> float:
    try:
        return (now - datetime.fromisoformat(since)).total_seconds() if since else 0.0
    except ValueError:
        return 0.0


# ---------------------------------------------------------------- the display board


def day_tickets(office_id: str, now: datetime) -> DayTickets:
    """The counter console's day list: every ticket of the hall today, in the order issued."""
    office = get_office(office_id)
    today = now.date()
    tickets = sorted(store.tickets_of(office.office_id, today), key=lambda t: (t.issued_at, t.number))
    return DayTickets(office.office_id, today, tickets)


def board(office_id: str, now: datetime) -> dict[str, Any]:
    """What the hall's screens show: numbers only - the waiting tickets in call order with their
    estimated wait (the first 50; `waiting_count` counts all), the last call and what each counter
    serves. One eventually consistent Query of small items (the board item and the waiting entries)."""
    office = get_office(office_id)
    today = now.date()
    state, waiting = store.queue_of(office.office_id, today, consistent=False)
    counters = len(state.counters)
    ordered = call_order(waiting)
    return {
        "office_id": office.office_id,
        "date": today.isoformat(),
        "last_called": (
            {"number": state.last_number, "counter": state.last_counter, "called_at": state.last_called_at}
            if state.last_number
            else None
        ),
        "counters": [{"counter": c, "number": n} for c, n in sorted(state.calling.items())],
        "waiting": [
            {
                "number": w.number,
                "kind": w.kind.value,
                "estimated_wait_minutes": estimated_wait_minutes(i, state.served, state.service_seconds, counters),
            }
            for i, w in enumerate(ordered[:BOARD_SHOWS])
        ],
        "waiting_count": len(ordered),
        "estimated_wait_minutes": estimated_wait_minutes(len(ordered), state.served, state.service_seconds, counters),
        "average_service_minutes": round(average_service_minutes(state.served, state.service_seconds), 1),
    }


# ---------------------------------------------------------------- the end of the day (issue 14)


def finish_booking_ticket(booking: Booking, now: datetime) -> bool:
    """The ticket of a checked-in booking whose business was completed elsewhere (a residence permit
    handed over: services.applications.complete) is done and the booking `completed`, so the ticket
    leaves the board. False when the booking has no open ticket."""
    for ticket in store.open_tickets(booking.office_id, booking.date):
        if ticket.booking_id == booking.booking_id:
            return store.close_ticket(ticket, now)
    return False


def close_day_end(now: datetime) -> dict[str, Any]:
    """The evening job ({"job": "close_day"}, 22:30): every hall's tickets of today still waiting or
    called, and their checked-in bookings, become `closed_at_day_end` - the board starts empty, and the
    booking says it was checked in and never completed. Idempotent: a second run finds nothing open."""
    today, closed = now.date(), 0
    for office_id in sorted(load_catalog().offices):
        for ticket in store.open_tickets(office_id, today):
            closed += 1 if store.close_ticket(ticket, now, day_end=True) else 0
    if closed:
        log.info("tickets closed at the end of the day", extra={"closed": closed})
    return {"job": "close_day", "closed": closed}
