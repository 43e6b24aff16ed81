"""The hall day's port (R13, R14, R15, R15a): what services.checkin, tickets, counters and board read
and write."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.queue import Waiting
    from ..bookings import Booking, Subject
    from ..outbox import Message
    from ..tickets import Board, Ticket


class TicketStore(Protocol):
    """The hall-day aggregate (R14, R15, R15a): a hall's tickets of one day, its queue and its board
    (the sequences, the last call, what each counter serves, the paused counters), each change written
    with the booking it moves in one step; and the bookings a clerk checks in. store/tickets_dynamo.py on
    DynamoDB, store/memory/tickets.py in memory."""

    # ------------------------------------------------ what check-in finds (R14)

    def find_by_reference(self, reference: str) -> list[Booking]:
        """The bookings with this normalised reference, at any hall (almost always one)."""
        ...

    def subject_bookings_on(self, id_number: str, day: date) -> list[Booking]:
        """The bookings whose subject is `id_number`, on `day`."""
        ...

    def bookings_made_by(self, id_number: str, since: datetime) -> list[Booking]:
        """The bookings made since `since` from the account of the person with this ID number (its own
        and its minors'), oldest first; none when nobody has an account with it."""
        ...

    # ------------------------------------------------ the day's tickets and queue

    def get_ticket(self, office_id: str, day: date, ticket_id: str) -> Ticket | None: ...

    def tickets_of(self, office_id: str, day: date) -> list[Ticket]:
        """Every ticket of the hall's day (the counter console's day list)."""
        ...

    def open_tickets(self, office_id: str, day: date) -> list[Ticket]:
        """The hall's tickets of `day` still waiting or called."""
        ...

    def get_board(self, office_id: str, day: date) -> Board: ...

    def queue_of(self, office_id: str, day: date, consistent: bool = True) -> tuple[Board, list[Waiting]]:
        """The board and every waiting ticket, read together."""
        ...

    # ------------------------------------------------ R14, R15: issuing, calling, completing

    def check_in(self, booking: Booking, due_at: datetime, now: datetime) -> Ticket:
        """Once: a `booked` booking becomes `checked_in` (its subject's R9 lock released) and its `A`
        ticket, the next number of the hall's day, waits - all or nothing. Raises BookingNotBooked when
        the booking is no longer `booked`."""
        ...

    def issue_walk_in(self, office_id: str, day: date, service_code: str, now: datetime) -> Ticket:
        """The next `B` ticket of the hall's day, waiting."""
        ...

    def claim(self, office_id: str, day: date, waiting: Waiting, counter: str, now: datetime) -> bool:
        """Exactly once across counters: the waiting ticket becomes `called` at `counter`, the board's
        last call (calls counted). False, changing nothing, when it no longer waits."""
        ...

    def count_called(self, office_id: str, service_code: str, day: date, wait_seconds: float) -> None:
        """The day's statistics: one more ticket called, after waiting `wait_seconds`."""
        ...

    def complete(self, ticket: Ticket, now: datetime) -> None:
        """Only from `called`: the ticket `done`, its booking (if any) `checked_in` -> `completed`, the
        service time counted and the counter's board entry cleared, all or nothing. Raises TicketMoved
        when the ticket is not `called` (or its booking not `checked_in`)."""
        ...

    def close_ticket(self, ticket: Ticket, now: datetime, *, day_end: bool = False) -> bool:
        """Only from `waiting` or `called` as read: the ticket and its booking end (`done`/`completed`,
        or with `day_end` both `closed_at_day_end`), a waiting one leaving the queue. False, changing
        nothing, when it moved on meanwhile."""
        ...

    # ------------------------------------------------ R15a: at the counter, each only from the ticket as read (`rev`)

    def recall(self, ticket: Ticket, now: datetime) -> bool:
        """Only a `called` ticket as read: announced again at its counter (the board's last call).
        False when it changed since it was read."""
        ...

    def requeue(
        self,
        ticket: Ticket,
        now: datetime,
        *,
        held_until: int = 0,
        for_counter: str | None = None,
        service_code: str | None = None,
        skipped: bool = False,
    ) -> bool:
        """Only a `called` or `waiting` ticket as read: it waits again (a skip held until `held_until`
        calls, a transfer for `for_counter` or `service_code`), keeping its kind and place, and leaves
        its counter on the board. False when it changed since it was read."""
        ...

    def end_skipped(
        self,
        ticket: Ticket,
        now: datetime,
        *,
        subject: Subject | None = None,
        sms: list[Message] | None = None,
        noshow_until: str | None = None,
        counts: bool = True,
    ) -> bool:
        """Only a `called` ticket as read: it ends `no_show`, its booking `checked_in` -> `no_show`
        counted for R12 on `subject` (optimistic on its no-shows: SubjectMoved) with the SMS, all or
        nothing. False when the ticket changed since it was read."""
        ...

    def set_paused(self, office_id: str, day: date, counter: str, paused: bool) -> None:
        """The counter is paused (the board shows it; it calls nobody) or serves again."""
        ...
