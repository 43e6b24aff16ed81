"""The hall day's queue (R14, R15), each change one transaction on the hall-day partition
(store.tickets describes its items): a check-in and a walk-in take the next number of their
sequence and put the ticket with its waiting entry; a counter's call claims a waiting entry (two
counters never get one ticket); completing or closing a ticket finishes its booking with it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..domain.booking import Status
from ..domain.queue import Kind, TicketStatus, Waiting, ticket_id, ticket_number
from . import stats
from .base import Cancelled, Items, transact
from .bookings import Booking, BookingItem, change_status, release_service_lock
from .tickets import (
    BOARD,
    BOARD_ATTEMPTS,
    NUMBER_ATTEMPTS,
    TICKET,
    WAITING,
    BookingNotBooked,
    Ticket,
    TicketItem,
    TicketMoved,
    day_key,
    get_board,
    keep_until,
    still_calling,
    uncalled,
)


def _sequence_update(kind: Kind, seen: int, day: date) -> tuple[list, object]:
    """Actions and condition that take number `seen + 1` from the board's sequence for `kind`."""
    attr = TicketItem.a_seq if kind is Kind.BOOKING else TicketItem.b_seq
    condition = (attr == seen) if seen else attr.does_not_exist()
    actions = [
        attr.set(seen + 1),
        TicketItem.expires_at.set(keep_until(day)),
        TicketItem.calling.set(TicketItem.calling | {}),
    ]
    return actions, condition


def _new_ticket_items(
    office_id: str,
    day: date,
    kind: Kind,
    seq: int,
    service_code: str,
    due_at: datetime,
    made_at: str,
    now: datetime,
    booking_id: str | None,
) -> tuple[Ticket, TicketItem, TicketItem]:
    number = ticket_number(kind, seq)
    tid = ticket_id(day.isoformat(), number)
    ticket = Ticket(
        office_id=office_id,
        date=day,
        ticket_id=tid,
        number=number,
        kind=kind.value,
        service_code=service_code,
        status=TicketStatus.WAITING.value,
        issued_at=now.isoformat(),
        due_at=due_at.isoformat(),
        made_at=made_at,
        booking_id=booking_id,
    )
    common: dict[str, Any] = dict(
        ticket_id=tid,
        number=number,
        kind=kind.value,
        service_code=service_code,
        due_at=ticket.due_at,
        made_at=made_at,
        expires_at=keep_until(day),
    )
    ticket_item = TicketItem(
        day_key(office_id, day),
        TICKET + tid,
        status=ticket.status,
        booking_id=booking_id,
        issued_at=ticket.issued_at,
        **common,
    )
    waiting_item = TicketItem(day_key(office_id, day), WAITING + tid, **common)
    return ticket, ticket_item, waiting_item


def check_in(booking: Booking, due_at: datetime, now: datetime) -> Ticket:
    """Check a `booked` booking in and issue its `A` ticket, atomically (see the module's docstring).
    Raises BookingNotBooked if the booking is no longer `booked`."""
    day = booking.date
    for _ in range(NUMBER_ATTEMPTS):
        seen = get_board(booking.office_id, day).a_seq
        ticket, ticket_item, waiting_item = _new_ticket_items(
            booking.office_id,
            day,
            Kind.BOOKING,
            seen + 1,
            booking.service_code,
            due_at,
            booking.created_at,
            now,
            booking.booking_id,
        )
        seq_actions, seq_condition = _sequence_update(Kind.BOOKING, seen, day)

        def build(tx: Items) -> None:
            change_status(
                tx,
                booking.booking_id,
                Status.CHECKED_IN,
                now,
                (BookingItem.checked_in_at.set(now.isoformat()), BookingItem.ticket_id.set(ticket.ticket_id)),
            )
            release_service_lock(tx, booking.subject_id_number, booking.service_code)
            tx.update("sequence", TicketItem(day_key(booking.office_id, day), BOARD), seq_actions, seq_condition)
            stats.count_in(tx, booking.office_id, booking.service_code, day, checked_in=1)
            tx.put("ticket", ticket_item, TicketItem.sk.does_not_exist())
            tx.put("waiting", waiting_item, TicketItem.sk.does_not_exist())

        try:
            transact(build)
            return ticket
        except Cancelled as cancelled:
            if cancelled.failed("booking"):
                raise BookingNotBooked() from None
            if cancelled.failed("sequence") or cancelled.failed("ticket") or cancelled.failed("waiting"):
                continue  # another ticket took that number: read the sequence again
            raise
    raise TicketMoved("the ticket sequence kept moving")


def issue_walk_in(office_id: str, day: date, service_code: str, now: datetime) -> Ticket:
    """The next `B` ticket of the hall's day and its waiting entry, atomically."""
    for _ in range(NUMBER_ATTEMPTS):
        seen = get_board(office_id, day).b_seq
        ticket, ticket_item, waiting_item = _new_ticket_items(
            office_id, day, Kind.WALK_IN, seen + 1, service_code, now, now.isoformat(), now, None
        )
        seq_actions, seq_condition = _sequence_update(Kind.WALK_IN, seen, day)

        def build(tx: Items) -> None:
            tx.update("sequence", TicketItem(day_key(office_id, day), BOARD), seq_actions, seq_condition)
            stats.count_in(tx, office_id, service_code, day, walk_ins=1)
            tx.put("ticket", ticket_item, TicketItem.sk.does_not_exist())
            tx.put("waiting", waiting_item, TicketItem.sk.does_not_exist())

        try:
            transact(build)
            return ticket
        except Cancelled:
            continue  # another ticket took that number: read the sequence again
    raise TicketMoved("the ticket sequence kept moving")


def claim(office_id: str, day: date, waiting: Waiting, counter: str, now: datetime) -> bool:
    """Call a waiting ticket at `counter`. False when another counter called it first."""
    key = day_key(office_id, day)

    def build(tx: Items) -> None:
        tx.delete("waiting", TicketItem(key, WAITING + waiting.ticket_id), TicketItem.sk.exists())
        tx.update(
            "ticket",
            TicketItem(key, TICKET + waiting.ticket_id),
            [
                TicketItem.status.set(TicketStatus.CALLED.value),
                TicketItem.counter.set(counter),
                TicketItem.called_at.set(now.isoformat()),
                TicketItem.rev.add(1),
                TicketItem.for_counter.remove(),
                TicketItem.held_until.remove(),
            ],
            TicketItem.status == TicketStatus.WAITING.value,
        )
        tx.update(
            "board",
            TicketItem(key, BOARD),
            [
                TicketItem.last_number.set(waiting.number),
                TicketItem.last_counter.set(counter),
                TicketItem.last_called_at.set(now.isoformat()),
                TicketItem.counters.add({counter}),
                TicketItem.calling[counter].set(waiting.number),
                TicketItem.calls.add(1),
                TicketItem.announced.add(1),
            ],
        )

    try:
        transact(build)
        return True
    except Cancelled:
        return False  # the waiting entry was gone: another counter called it


def complete(ticket: Ticket, now: datetime) -> None:
    """Mark a `called` ticket done and its booking `completed`, with the service time, and clear the
    counter's board entry when it still shows this ticket, atomically.
    Raises TicketMoved if the ticket is not `called` (or its booking not `checked_in`)."""
    key = day_key(ticket.office_id, ticket.date)
    seconds = max(0.0, (now - datetime.fromisoformat(ticket.called_at)).total_seconds()) if ticket.called_at else 0.0

    for _ in range(BOARD_ATTEMPTS):
        board = get_board(ticket.office_id, ticket.date)

        def build(tx: Items) -> None:
            tx.update(
                "ticket",
                TicketItem(key, TICKET + ticket.ticket_id),
                [
                    TicketItem.status.set(TicketStatus.DONE.value),
                    TicketItem.done_at.set(now.isoformat()),
                    TicketItem.rev.add(1),
                ],
                TicketItem.status == TicketStatus.CALLED.value,
            )
            if ticket.booking_id:
                change_status(
                    tx, ticket.booking_id, Status.COMPLETED, now, (BookingItem.completed_at.set(now.isoformat()),)
                )
            tx.update(
                "board",
                TicketItem(key, BOARD),
                [
                    TicketItem.served.add(1),
                    TicketItem.service_seconds.add(int(round(seconds))),
                    *uncalled(board, ticket),
                ],
                still_calling(board, ticket),
            )
            stats.count_in(tx, ticket.office_id, ticket.service_code, ticket.date, completed=1, service_seconds=seconds)

        try:
            transact(build)
            return
        except Cancelled as cancelled:
            if cancelled.failed("board") and not cancelled.failed("ticket"):
                continue  # the counter called another ticket meanwhile: read the board again
            raise TicketMoved() from None
    raise TicketMoved("the board kept moving")


def close_ticket(ticket: Ticket, now: datetime, *, day_end: bool = False) -> bool:
    """Finish a ticket still `waiting` or `called`, with its booking, atomically:
    - day_end=False: the ticket is `done` and its booking `completed` (a residence permit handed over
      at the window: the counter's work is the application's completion), counted as completed;
    - day_end=True: both `closed_at_day_end` (the evening job: nobody completed them that day).
    A waiting ticket leaves the queue. False, changing nothing, when the ticket moved on meanwhile."""
    if ticket.status not in (TicketStatus.WAITING.value, TicketStatus.CALLED.value):
        return False
    key = day_key(ticket.office_id, ticket.date)
    ticket_status = TicketStatus.CLOSED_AT_DAY_END.value if day_end else TicketStatus.DONE.value
    booking_status = Status.CLOSED_AT_DAY_END if day_end else Status.COMPLETED
    seconds = max(0.0, (now - datetime.fromisoformat(ticket.called_at)).total_seconds()) if ticket.called_at else 0.0

    def build(tx: Items) -> None:
        tx.update(
            "ticket",
            TicketItem(key, TICKET + ticket.ticket_id),
            [
                TicketItem.status.set(ticket_status),
                TicketItem.done_at.set(now.isoformat()),
            ],
            TicketItem.status == ticket.status,
        )
        if ticket.status == TicketStatus.WAITING.value:
            tx.delete("waiting", TicketItem(key, WAITING + ticket.ticket_id))
        if ticket.booking_id:
            change_status(
                tx,
                ticket.booking_id,
                booking_status,
                now,
                () if day_end else (BookingItem.completed_at.set(now.isoformat()),),
            )
        if not day_end:
            stats.count_in(tx, ticket.office_id, ticket.service_code, ticket.date, completed=1, service_seconds=seconds)

    try:
        transact(build)
        return True
    except Cancelled:
        return False
