"""R15a, at the counter: recall, skip (the second skip ends the ticket `no_show`), transfer to another
counter or service, pause and resume. Every action is audited with the clerk's id."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .. import telemetry
from ..domain import errors
from ..domain.queue import SKIPS_ALLOWED, TicketStatus
from ..i18n import N_, Bilingual
from ..store.bookings import SubjectMoved
from ..store.catalog import Office, Service
from ..store.stores import stores
from ..store.tickets import Ticket
from . import audit, guardians, sweep
from .catalog import get_office, get_service
from .tickets import CLAIM_ROUNDS, counter_name, ticket_of
from .tokens import Caller

log = logging.getLogger(__name__)


def _audited_ticket(
    caller: Caller, action: str, office_id: str, ticket_id: str, now: datetime
) -> AbstractContextManager[dict[str, Any]]:
    return audit.recorded(caller, action, f"OFFICE#{office_id}/TICKET#{ticket_id}", now, detail={})


def _office(office_id: str) -> Office:
    return get_office(office_id, stores().catalog.load_catalog())


def _service(service_code: str) -> Service:
    return get_service(service_code, stores().catalog.load_catalog())


def _called(office_id: str, ticket_id: str, step: str) -> Ticket:
    _office(office_id)
    ticket = ticket_of(office_id, ticket_id)
    if ticket.status != TicketStatus.CALLED.value:
        raise errors.InvalidState(
            N_(
                "Ticket {ticket} is {status}; only a called ticket can be {step}.",
                ticket=ticket.number,
                status=ticket.status,
                step=step,
            )
        )
    return ticket


def _changed(ticket: Ticket) -> errors.DomainError:
    return errors.InvalidState(N_("Ticket {ticket} changed meanwhile; look again and retry.", ticket=ticket.number))


def recall(caller: Caller, office_id: str, ticket_id: str, now: datetime) -> Ticket:
    """重呼: the called ticket is announced again at its counter."""
    with _audited_ticket(caller, "ticket.recall", office_id, ticket_id, now) as record:
        ticket = _called(office_id, ticket_id, "recalled")
        record["detail"] = {"number": ticket.number, "counter": ticket.counter}
        if not stores().tickets.recall(ticket, now):
            raise _changed(ticket)
        telemetry.count("TicketsRecalled")
    return replace(ticket, recalls=ticket.recalls + 1, rev=ticket.rev + 1, called_at=now.isoformat())


def skip(caller: Caller, office_id: str, ticket_id: str, now: datetime) -> Ticket:
    """过号: the called ticket did not come. The first time it waits again, held until the hall has
    called the next N tickets (the office's `skip_returns_after`); the second time it ends `no_show`,
    and a booking ticket's booking becomes `no_show`, counted for R12 only then."""
    with _audited_ticket(caller, "ticket.skip", office_id, ticket_id, now) as record:
        ticket = _called(office_id, ticket_id, "skipped")
        office = _office(office_id)
        record["detail"] = {"number": ticket.number, "counter": ticket.counter, "skips": ticket.skips + 1}
        if ticket.skips < SKIPS_ALLOWED:
            held = stores().tickets.get_board(office.office_id, ticket.date).calls + office.skip_returns_after
            if not stores().tickets.requeue(ticket, now, held_until=held, skipped=True):
                raise _changed(ticket)
            record["detail"]["returns_after_calls"] = office.skip_returns_after
            telemetry.count("TicketsSkipped")
            return replace(
                ticket, status=TicketStatus.WAITING.value, skips=ticket.skips + 1, held_until=held, counter=None
            )
        _end_as_no_show(ticket, now)
        record["detail"]["ended"] = "no_show"
        telemetry.count("TicketsSkippedTwice")
    return replace(ticket, status=TicketStatus.NO_SHOW.value, skips=ticket.skips + 1, done_at=now.isoformat())


def _end_as_no_show(ticket: Ticket, now: datetime) -> None:
    seam = stores()
    booking = seam.bookings.get_booking(ticket.booking_id) if ticket.booking_id else None
    if booking is None:
        if not seam.tickets.end_skipped(ticket, now):
            raise _changed(ticket)
        return
    account = seam.accounts.get_account(booking.account_id)
    counts = guardians.counts_against_subject(account, booking.subject_id_number)  # R2
    subject = seam.bookings.get_subject(booking.subject_id_number)
    for _ in range(CLAIM_ROUNDS):
        sms, until = sweep.no_show_consequences(booking, subject, account, seam.catalog.load_catalog(), now, counts)
        try:
            if not seam.tickets.end_skipped(ticket, now, subject=subject, sms=sms, noshow_until=until, counts=counts):
                raise _changed(ticket)
            return
        except SubjectMoved:
            subject = seam.bookings.get_subject(booking.subject_id_number)
    raise errors.Busy("The booking's record kept changing; please retry.")


def transfer(
    caller: Caller, office_id: str, ticket_id: str, counter: str | None, service_code: str | None, now: datetime
) -> Ticket:
    """A called (or waiting) ticket waits again for another counter or service, keeping its place by
    kind, slot and booking time: a booking ticket stays ahead of walk-ins."""
    with _audited_ticket(caller, "ticket.transfer", office_id, ticket_id, now) as record:
        if bool(counter) == bool(service_code):
            raise errors.ValidationFailed("Send either `counter` or `service_code`.", field="counter")
        office = _office(office_id)
        ticket = ticket_of(office_id, ticket_id)
        if ticket.status not in (TicketStatus.CALLED.value, TicketStatus.WAITING.value):
            raise errors.InvalidState(
                N_(
                    "Ticket {ticket} is {status}; only a called or waiting ticket can be transferred.",
                    ticket=ticket.number,
                    status=ticket.status,
                )
            )
        target = counter_name(counter) if counter else None
        if service_code:
            service = _service(service_code)
            if service.code not in office.services:
                raise errors.ServiceNotOffered(
                    N_(
                        "{office} does not offer {service}.",
                        office=Bilingual(office.name, office.name_en),
                        service=Bilingual(service.name_zh, service.name_en),
                    )
                )
        record["detail"] = {
            "number": ticket.number,
            "from_counter": ticket.counter,
            "from_service": ticket.service_code,
            **({"to_counter": target} if target else {"to_service": service_code}),
        }
        if target and target == ticket.counter and ticket.status == TicketStatus.CALLED.value:
            raise errors.ValidationFailed("The ticket is already at that counter.", field="counter")
        if not stores().tickets.requeue(ticket, now, for_counter=target, service_code=service_code):
            raise _changed(ticket)
        telemetry.count("TicketsTransferred")
    return replace(
        ticket,
        status=TicketStatus.WAITING.value,
        counter=None,
        called_at=None,
        for_counter=target,
        service_code=service_code or ticket.service_code,
        held_until=0,
    )


@dataclass(frozen=True)
class CounterState:
    office_id: str
    counter: str
    paused: bool


def pause(caller: Caller, office_id: str, counter: str, now: datetime, *, paused: bool = True) -> CounterState:
    """A counter pauses (a break, a long case): it calls nobody until it resumes, the board shows it
    paused, the tickets transferred to it may be called by any counter, and the wait estimate leaves
    it out. Pausing with a ticket still being served there is refused: complete, skip or transfer it."""
    action = "counter.pause" if paused else "counter.resume"
    with audit.recorded(caller, action, f"OFFICE#{office_id}/COUNTER#{counter[:16]}", now) as record:
        office = _office(office_id)
        name = counter_name(counter)
        record["detail"] = {"counter": name}
        today = now.date()
        if paused:
            state = stores().tickets.get_board(office.office_id, today)
            serving = state.calling.get(name)
            if serving:
                raise errors.InvalidState(
                    N_(
                        "Counter {counter} is serving {ticket}; complete, skip or transfer it before pausing.",
                        counter=name,
                        ticket=serving,
                    )
                )
        stores().tickets.set_paused(office.office_id, today, name, paused)
    return CounterState(office.office_id, name, paused)
