"""At the hall (R15): walk-in tickets, calling the next ticket in R15's order, completing it, and the
end of the day. Check-in is services.checkin, a counter's R15a actions services.counters, the
display board services.board. The caller's role and office are checked by the web layer."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from .. import telemetry
from ..domain import errors
from ..domain.queue import TicketStatus, candidates, day_of_ticket
from ..i18n import N_, Bilingual
from ..store.bookings import Booking
from ..store.stores import stores
from ..store.tickets import Ticket, TicketMoved
from .catalog import get_office, get_service

log = logging.getLogger(__name__)
CLAIM_ROUNDS = 5
COUNTER_NAME = re.compile(r"[\w -]{1,16}")  # also a map key on the board item: no dots or brackets


@dataclass(frozen=True)
class Completed:
    """The ticket done, and its booking (completed) if it had one."""

    ticket: Ticket
    booking: Booking | None


def walk_in(office_id: str, service_code: str, now: datetime) -> Ticket:
    """A walk-in `B` ticket. A `book_first` hall serves only bookings (BOOKING_REQUIRED), except for
    walk-in-only business (R3), which cannot be booked at all."""
    catalog = stores().catalog.load_catalog()
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
    ticket = stores().tickets.issue_walk_in(office.office_id, now.date(), service.code, now)
    log.info("walk-in ticket", extra={"office_id": office.office_id, "ticket_id": ticket.ticket_id})
    telemetry.count("WalkInTickets")
    return ticket


def counter_name(counter: str) -> str:
    """The counter's name as one spelling: full-width digits and letters folded (NFKC: ３ is 3),
    spaces collapsed."""
    name = " ".join(unicodedata.normalize("NFKC", str(counter or "")).split())
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
    counter = counter_name(counter)
    office = get_office(office_id, stores().catalog.load_catalog())
    store, today = stores().tickets, now.date()
    for _ in range(CLAIM_ROUNDS):
        board_state, waiting = store.queue_of(office.office_id, today, consistent=True)
        if counter in board_state.paused:
            raise errors.InvalidState(
                N_("Counter {counter} is paused; resume it to call the next ticket.", counter=counter)
            )
        mine = candidates(waiting, board_state.calls, counter, board_state.paused)
        if not mine:
            raise errors.QueueEmpty("Nobody is waiting.")
        for candidate in mine:
            if store.claim(office.office_id, today, candidate, counter, now):
                ticket = store.get_ticket(office.office_id, today, candidate.ticket_id)
                if ticket is None:  # pragma: no cover - written in the same transaction
                    raise errors.Busy("The ticket vanished; please retry.")
                log.info("called", extra={"office_id": office.office_id, "ticket_id": ticket.ticket_id})
                waited = _seconds_between(ticket.issued_at, now)
                store.count_called(office.office_id, ticket.service_code, today, waited)
                telemetry.count("TicketsCalled")
                telemetry.seconds("QueueWaitSeconds", waited)
                telemetry.emit("TicketsWaiting", len(waiting) - 1, office=office.office_id)
                return ticket
    raise errors.Busy("Many counters are calling at once; please retry.")


def ticket_of(office_id: str, ticket_id: str) -> Ticket:
    day = day_of_ticket(ticket_id)
    ticket = stores().tickets.get_ticket(office_id, date.fromisoformat(day), ticket_id) if day else None
    if ticket is None:
        raise errors.NotFound(N_("No ticket {ticket} at this hall.", ticket=ticket_id))
    return ticket


def complete(office_id: str, ticket_id: str, now: datetime) -> Completed:
    """The called ticket is done; its booking (if any) becomes `completed`."""
    get_office(office_id, stores().catalog.load_catalog())
    ticket = ticket_of(office_id, ticket_id)
    if ticket.status != TicketStatus.CALLED.value:
        raise errors.InvalidState(
            N_(
                "Ticket {ticket} is {status}; only a called ticket can be completed.",
                ticket=ticket.number,
                status=ticket.status,
            )
        )
    try:
        stores().tickets.complete(ticket, now)
    except TicketMoved:
        raise errors.InvalidState(
            N_("Ticket {ticket} changed meanwhile (or its booking is not checked in).", ticket=ticket.number)
        ) from None
    done = replace(ticket, status=TicketStatus.DONE.value, done_at=now.isoformat())
    if ticket.called_at:
        telemetry.seconds("ServiceSeconds", _seconds_between(ticket.called_at, now))
    booking = stores().bookings.get_booking(ticket.booking_id) if ticket.booking_id else None
    return Completed(done, booking)


def _seconds_between(since: str | None, now: datetime) -> float:
    try:
        return (now - datetime.fromisoformat(since)).total_seconds() if since else 0.0
    except ValueError:
        return 0.0


def finish_booking_ticket(booking: Booking, now: datetime) -> bool:
    """The ticket of a checked-in booking whose business was completed elsewhere (a residence permit
    handed over: services.applications.complete) is done and the booking `completed`, so the ticket
    leaves the board. False when the booking has no open ticket."""
    store = stores().tickets
    for ticket in store.open_tickets(booking.office_id, booking.date):
        if ticket.booking_id == booking.booking_id:
            return store.close_ticket(ticket, now)
    return False


def close_day_end(now: datetime) -> dict[str, Any]:
    """The evening job ({"job": "close_day"}, 22:30): every hall's tickets of today still waiting or
    called, and their checked-in bookings, become `closed_at_day_end` - the board starts empty, and the
    booking says it was checked in and never completed. Idempotent: a second run finds nothing open."""
    store, today, closed = stores().tickets, now.date(), 0
    for office_id in sorted(stores().catalog.load_catalog().offices):
        for ticket in store.open_tickets(office_id, today):
            closed += 1 if store.close_ticket(ticket, now, day_end=True) else 0
    if closed:
        log.info("tickets closed at the end of the day", extra={"closed": closed})
    return {"job": "close_day", "closed": closed}
