"""At the hall (R14, R15, R15a): check-in, walk-in tickets, calling the next ticket, completing it,
recalling, skipping and transferring a ticket, pausing a counter, and the public display board. The
caller's role and office are checked by the web layer (web/auth.py); every R15a action is audited
with the clerk's id."""

from __future__ import annotations

import logging
import re
import unicodedata
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from .. import telemetry
from ..clock import SHANGHAI
from ..domain import errors
from ..domain.booking import Status, allowed, check_in_open, check_in_window
from ..domain.identity import mask_id_number, mask_name, parse_id_number
from ..domain.queue import (
    SKIPS_ALLOWED,
    TicketStatus,
    ahead_of,
    average_service_minutes,
    call_order,
    candidates,
    day_of_ticket,
    estimated_wait_minutes,
)
from ..domain.reference import normalise_reference
from ..domain.timetable import parse_hhmm
from ..i18n import N_, Bilingual
from ..store import accounts as account_store
from ..store import bookings as booking_store
from ..store import stats as stats_store
from ..store import tickets as store
from ..store.bookings import Booking, SubjectMoved
from ..store.catalog import Office, load_catalog
from ..store.tickets import BookingNotBooked, Ticket, TicketMoved
from . import audit, guardians, sweep
from .catalog import get_office, get_service
from .tokens import Caller

log = logging.getLogger(__name__)

CLAIM_ROUNDS = 5
BOARD_SHOWS = 50  # waiting tickets listed on the board (all are counted in `waiting_count`)
COUNTER_NAME = re.compile(r"[\w -]{1,16}")  # also a map key on the board item: no dots or brackets
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
    return CheckedIn(ticket, checked_in, identity_of(booking))


def identity_of(booking: Booking) -> Identity:
    account = account_store.get_account(booking.account_id)
    own = account is not None and account.id_number == booking.subject_id_number
    return Identity(
        name=mask_name(account.name) if own and account else None,
        id_number=mask_id_number(booking.subject_id_number),
        booked_by=None if own or account is None else mask_name(account.name),
        date=booking.date.isoformat(),
        start=booking.start,
        end=booking.end,
    )


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
    counter = _counter_name(counter)
    office = get_office(office_id)
    today = now.date()
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
    """What the hall's screens show: numbers only - the tickets being served at each counter (a
    completed, skipped or transferred ticket leaves at once), the paused counters, the waiting
    tickets in call order with their estimated wait (the first 50; `waiting_count` counts all), the
    last call (while it is being served: the board announces it) and the hall's sound setting.
    One eventually consistent Query of small items (the board item and the waiting entries)."""
    office = get_office(office_id)
    today = now.date()
    state, waiting = store.queue_of(office.office_id, today, consistent=False)
    serving = len(state.counters - state.paused)
    ordered = call_order(waiting, state.calls)
    shown = state.last_number and state.calling.get(state.last_counter or "") == state.last_number
    rows = [{"counter": c, "number": n, "paused": c in state.paused} for c, n in state.calling.items()]
    rows += [{"counter": c, "number": None, "paused": True} for c in state.paused if c not in state.calling]
    return {
        "office_id": office.office_id,
        "date": today.isoformat(),
        "last_called": (
            {
                "number": state.last_number,
                "counter": state.last_counter,
                "called_at": state.last_called_at,
                "seq": state.announced,
            }
            if shown
            else None
        ),
        "counters": sorted(rows, key=lambda r: _counter_sort(r["counter"])),
        "waiting": [
            {
                "number": w.number,
                "kind": w.kind.value,
                "estimated_wait_minutes": estimated_wait_minutes(i, state.served, state.service_seconds, serving),
            }
            for i, w in enumerate(ordered[:BOARD_SHOWS])
        ],
        "waiting_count": len(ordered),
        "estimated_wait_minutes": estimated_wait_minutes(len(ordered), state.served, state.service_seconds, serving),
        "average_service_minutes": round(average_service_minutes(state.served, state.service_seconds), 1),
        "sound": office.board_sound,
    }


def _counter_sort(counter: str) -> tuple[int, str]:
    """Counters 2 before 10: by their number where they have one."""
    digits = "".join(ch for ch in counter if ch.isdigit())
    return (int(digits) if digits else 10**6, counter)


def queue_position(office_id: str, day: date, ticket_id: str) -> int | None:
    """R13's `queue.ahead`: how many waiting tickets the hall calls before this one (in the board's
    order: R15, skips held back), or None when the ticket is not waiting (called, done, or unknown).
    One eventually consistent Query of the hall's queue."""
    state, waiting = store.queue_of(office_id, day, consistent=False)
    return ahead_of(ticket_id, waiting, state.calls)


# ---------------------------------------------------------------- R15a: at the counter


def _audited_ticket(
    caller: Caller, action: str, office_id: str, ticket_id: str, now: datetime
) -> AbstractContextManager[dict[str, Any]]:
    return audit.recorded(caller, action, f"OFFICE#{office_id}/TICKET#{ticket_id}", now, detail={})


def _called(office_id: str, ticket_id: str, step: str) -> Ticket:
    get_office(office_id)
    ticket = _ticket_of(office_id, ticket_id)
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
        if not store.recall(ticket, now):
            raise _changed(ticket)
        telemetry.count("TicketsRecalled")
    return replace(ticket, recalls=ticket.recalls + 1, rev=ticket.rev + 1, called_at=now.isoformat())


def skip(caller: Caller, office_id: str, ticket_id: str, now: datetime) -> Ticket:
    """过号: the called ticket did not come. The first time it waits again, held until the hall has
    called the next N tickets (the office's `skip_returns_after`); the second time it ends `no_show`,
    and a booking ticket's booking becomes `no_show`, counted for R12 only then."""
    with _audited_ticket(caller, "ticket.skip", office_id, ticket_id, now) as record:
        ticket = _called(office_id, ticket_id, "skipped")
        office = get_office(office_id)
        record["detail"] = {"number": ticket.number, "counter": ticket.counter, "skips": ticket.skips + 1}
        if ticket.skips < SKIPS_ALLOWED:
            held = store.get_board(office.office_id, ticket.date).calls + office.skip_returns_after
            if not store.requeue(ticket, now, held_until=held, skipped=True):
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
    booking = booking_store.get_booking(ticket.booking_id) if ticket.booking_id else None
    if booking is None:
        if not store.end_skipped(ticket, now):
            raise _changed(ticket)
        return
    account = account_store.get_account(booking.account_id)
    counts = guardians.counts_against_subject(account, booking.subject_id_number)  # R2
    subject = booking_store.get_subject(booking.subject_id_number)
    for _ in range(CLAIM_ROUNDS):
        sms, until = sweep.no_show_consequences(booking, subject, account, load_catalog(), now, counts)
        try:
            if not store.end_skipped(ticket, now, subject=subject, sms=sms, noshow_until=until, counts=counts):
                raise _changed(ticket)
            return
        except SubjectMoved:
            subject = booking_store.get_subject(booking.subject_id_number)
    raise errors.Busy("The booking's record kept changing; please retry.")


def transfer(
    caller: Caller, office_id: str, ticket_id: str, counter: str | None, service_code: str | None, now: datetime
) -> Ticket:
    """A called (or waiting) ticket waits again for another counter or service, keeping its place by
    kind, slot and booking time: a booking ticket stays ahead of walk-ins."""
    with _audited_ticket(caller, "ticket.transfer", office_id, ticket_id, now) as record:
        if bool(counter) == bool(service_code):
            raise errors.ValidationFailed("Send either `counter` or `service_code`.", field="counter")
        office = get_office(office_id)
        ticket = _ticket_of(office_id, ticket_id)
        if ticket.status not in (TicketStatus.CALLED.value, TicketStatus.WAITING.value):
            raise errors.InvalidState(
                N_(
                    "Ticket {ticket} is {status}; only a called or waiting ticket can be transferred.",
                    ticket=ticket.number,
                    status=ticket.status,
                )
            )
        target = _counter_name(counter) if counter else None
        if service_code:
            service = get_service(service_code)
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
        if not store.requeue(ticket, now, for_counter=target, service_code=service_code):
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
        office = get_office(office_id)
        name = _counter_name(counter)
        record["detail"] = {"counter": name}
        today = now.date()
        if paused:
            state = store.get_board(office.office_id, today)
            serving = state.calling.get(name)
            if serving:
                raise errors.InvalidState(
                    N_(
                        "Counter {counter} is serving {ticket}; complete, skip or transfer it before pausing.",
                        counter=name,
                        ticket=serving,
                    )
                )
        store.set_paused(office.office_id, today, name, paused)
    return CounterState(office.office_id, name, paused)


# ---------------------------------------------------------------- the end of the day


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
