"""The hall-day aggregate in memory (store.stores.TicketStore): each hall's tickets of a day and its board,
changed under the booking aggregate's lock together with the bookings and subjects they move, each
change all or nothing with the same guarantees and exceptions as the transactions of store.hall_queue
and store.counters. A waiting ticket is its own queue entry here (DynamoDB keeps a separate `Q#W#` item
so the board's Query skips the finished tickets). Left out: the statistics the transactions count
(`called` keeps only what `count_called` is told), the retries on contention."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ...domain.booking import Status, sources_of
from ...domain.queue import Kind, TicketStatus, Waiting, ticket_id, ticket_number
from ..bookings import Booking, Subject, SubjectMoved
from ..outbox import Message
from ..tickets import Board, BookingNotBooked, Ticket, TicketMoved
from .accounts import MemoryAccounts
from .bookings import MemoryBookings

DayKey = tuple[str, date]  # office, day
OPEN = (TicketStatus.WAITING.value, TicketStatus.CALLED.value)


def _copy(board: Board) -> Board:
    return replace(board, calling=dict(board.calling), counters=set(board.counters), paused=set(board.paused))


def _seconds_since(called_at: str | None, now: datetime) -> float:
    return max(0.0, (now - datetime.fromisoformat(called_at)).total_seconds()) if called_at else 0.0


@dataclass
class MemoryTickets:
    """Tickets and boards by hall and day; the bookings, subjects, accounts and outbox are the booking
    aggregate's (`bookings`, `accounts`), whose lock every change here holds."""

    bookings: MemoryBookings
    accounts: MemoryAccounts
    tickets: dict[DayKey, dict[str, Ticket]] = field(default_factory=dict)
    boards: dict[DayKey, Board] = field(default_factory=dict)
    called: dict[tuple[str, str, date], list[float]] = field(default_factory=dict)

    # ---------------------------------------------------------------- what check-in finds

    def find_by_reference(self, reference: str) -> list[Booking]:
        with self.bookings.lock:
            return [b for b in self.bookings.bookings.values() if b.reference == reference]

    def subject_bookings_on(self, id_number: str, day: date) -> list[Booking]:
        with self.bookings.lock:
            return [b for b in self.bookings.bookings.values() if (b.subject_id_number, b.date) == (id_number, day)]

    def bookings_made_by(self, id_number: str, since: datetime) -> list[Booking]:
        accounts = {a.account_id for a in self.accounts.accounts.values() if a.id_number == id_number}
        with self.bookings.lock:
            made = [
                b
                for b in self.bookings.bookings.values()
                if b.account_id in accounts and b.created_at >= since.isoformat()
            ]
        return sorted(made, key=lambda b: b.created_at)

    # ---------------------------------------------------------------- the day's tickets and queue

    def _day(self, office_id: str, day: date) -> dict[str, Ticket]:
        return self.tickets.setdefault((office_id, day), {})

    def _board(self, office_id: str, day: date) -> Board:
        return self.boards.setdefault((office_id, day), Board())

    def get_ticket(self, office_id: str, day: date, ticket_id: str) -> Ticket | None:
        with self.bookings.lock:
            return self._day(office_id, day).get(ticket_id)

    def tickets_of(self, office_id: str, day: date) -> list[Ticket]:
        with self.bookings.lock:
            return sorted(self._day(office_id, day).values(), key=lambda t: t.ticket_id)

    def open_tickets(self, office_id: str, day: date) -> list[Ticket]:
        return [t for t in self.tickets_of(office_id, day) if t.status in OPEN]

    def get_board(self, office_id: str, day: date) -> Board:
        with self.bookings.lock:
            return _copy(self._board(office_id, day))

    def queue_of(self, office_id: str, day: date, consistent: bool = True) -> tuple[Board, list[Waiting]]:
        with self.bookings.lock:
            waiting = [
                t.waiting() for t in self._day(office_id, day).values() if t.status == TicketStatus.WAITING.value
            ]
            return _copy(self._board(office_id, day)), sorted(waiting, key=lambda w: w.ticket_id)

    # ---------------------------------------------------------------- issuing, calling, completing

    def _issue(
        self, office_id: str, day: date, kind: Kind, service_code: str, due_at: datetime, made_at: str, now: datetime
    ) -> Ticket:
        """The next number of `kind`'s sequence and its waiting ticket (the lock held)."""
        board = self._board(office_id, day)
        if kind is Kind.BOOKING:
            board.a_seq += 1
            seq = board.a_seq
        else:
            board.b_seq += 1
            seq = board.b_seq
        number = ticket_number(kind, seq)
        ticket = Ticket(
            office_id=office_id,
            date=day,
            ticket_id=ticket_id(day.isoformat(), number),
            number=number,
            kind=kind.value,
            service_code=service_code,
            status=TicketStatus.WAITING.value,
            issued_at=now.isoformat(),
            due_at=due_at.isoformat(),
            made_at=made_at,
        )
        self._day(office_id, day)[ticket.ticket_id] = ticket
        return ticket

    def check_in(self, booking: Booking, due_at: datetime, now: datetime) -> Ticket:
        with self.bookings.lock:
            current = self.bookings.bookings.get(booking.booking_id)
            if current is None or Status(current.status) not in sources_of(Status.CHECKED_IN):
                raise BookingNotBooked()
            ticket = self._issue(
                booking.office_id, booking.date, Kind.BOOKING, booking.service_code, due_at, booking.created_at, now
            )
            ticket = replace(ticket, booking_id=booking.booking_id)
            self._day(booking.office_id, booking.date)[ticket.ticket_id] = ticket
            self.bookings.bookings[booking.booking_id] = replace(
                current, status=Status.CHECKED_IN.value, updated_at=now.isoformat(), ticket_id=ticket.ticket_id
            )
            subject = self.bookings.subjects.get(booking.subject_id_number)
            if subject is not None:  # R9: checked in, the booking no longer holds the subject's lock
                self.bookings.subjects[subject.id_number] = replace(
                    subject, active_services=subject.active_services - {booking.service_code}
                )
            return ticket

    def issue_walk_in(self, office_id: str, day: date, service_code: str, now: datetime) -> Ticket:
        with self.bookings.lock:
            return self._issue(office_id, day, Kind.WALK_IN, service_code, now, now.isoformat(), now)

    def claim(self, office_id: str, day: date, waiting: Waiting, counter: str, now: datetime) -> bool:
        with self.bookings.lock:
            tickets = self._day(office_id, day)
            current = tickets.get(waiting.ticket_id)
            if current is None or current.status != TicketStatus.WAITING.value:
                return False  # another counter called it
            tickets[current.ticket_id] = replace(
                current,
                status=TicketStatus.CALLED.value,
                counter=counter,
                called_at=now.isoformat(),
                rev=current.rev + 1,
                for_counter=None,
                held_until=0,
            )
            board = self._board(office_id, day)
            board.last_number, board.last_counter, board.last_called_at = waiting.number, counter, now.isoformat()
            board.counters.add(counter)
            board.calling[counter] = waiting.number
            board.calls += 1
            board.announced += 1
            return True

    def count_called(self, office_id: str, service_code: str, day: date, wait_seconds: float) -> None:
        with self.bookings.lock:
            self.called.setdefault((office_id, service_code, day), []).append(wait_seconds)

    def _booking_may_become(self, ticket: Ticket, target: Status, source: Status | None = None) -> Booking | None:
        """The ticket's booking, if it has one and it may become `target` now (the lock held); raises
        TicketMoved when it may not (DynamoDB: the booking's condition fails the transaction)."""
        if not ticket.booking_id:
            return None
        booking = self.bookings.bookings.get(ticket.booking_id)
        sources = {source} if source else sources_of(target)
        if booking is None or Status(booking.status) not in sources:
            raise TicketMoved()
        return booking

    def _set_booking(self, booking: Booking | None, target: Status, now: datetime) -> None:
        if booking is not None:
            self.bookings.bookings[booking.booking_id] = replace(
                booking, status=target.value, updated_at=now.isoformat()
            )

    def _uncall(self, ticket: Ticket) -> None:
        """The board stops showing `ticket` at its counter (unless it shows another there now)."""
        board = self._board(ticket.office_id, ticket.date)
        if ticket.counter and board.calling.get(ticket.counter) == ticket.number:
            del board.calling[ticket.counter]

    def complete(self, ticket: Ticket, now: datetime) -> None:
        with self.bookings.lock:
            tickets = self._day(ticket.office_id, ticket.date)
            current = tickets.get(ticket.ticket_id)
            if current is None or current.status != TicketStatus.CALLED.value:
                raise TicketMoved()
            booking = self._booking_may_become(current, Status.COMPLETED)
            tickets[current.ticket_id] = replace(
                current, status=TicketStatus.DONE.value, done_at=now.isoformat(), rev=current.rev + 1
            )
            self._set_booking(booking, Status.COMPLETED, now)
            board = self._board(ticket.office_id, ticket.date)
            board.served += 1
            board.service_seconds += int(round(_seconds_since(ticket.called_at, now)))
            self._uncall(ticket)

    def close_ticket(self, ticket: Ticket, now: datetime, *, day_end: bool = False) -> bool:
        if ticket.status not in OPEN:
            return False
        target = Status.CLOSED_AT_DAY_END if day_end else Status.COMPLETED
        status = TicketStatus.CLOSED_AT_DAY_END if day_end else TicketStatus.DONE
        with self.bookings.lock:
            tickets = self._day(ticket.office_id, ticket.date)
            current = tickets.get(ticket.ticket_id)
            if current is None or current.status != ticket.status:
                return False
            try:
                booking = self._booking_may_become(current, target)
            except TicketMoved:
                return False
            tickets[current.ticket_id] = replace(current, status=status.value, done_at=now.isoformat())
            self._set_booking(booking, target, now)
            return True

    # ---------------------------------------------------------------- R15a, each on the ticket as read

    def _as_read(self, ticket: Ticket, *statuses: str) -> Ticket | None:
        current = self._day(ticket.office_id, ticket.date).get(ticket.ticket_id)
        if current is None or current.status not in statuses or current.rev != ticket.rev:
            return None
        return current

    def recall(self, ticket: Ticket, now: datetime) -> bool:
        with self.bookings.lock:
            current = self._as_read(ticket, TicketStatus.CALLED.value)
            if current is None:
                return False
            self._day(ticket.office_id, ticket.date)[ticket.ticket_id] = replace(
                current, recalls=current.recalls + 1, rev=current.rev + 1, called_at=now.isoformat()
            )
            counter = ticket.counter or ""
            board = self._board(ticket.office_id, ticket.date)
            board.last_number, board.last_counter, board.last_called_at = ticket.number, counter, now.isoformat()
            board.calling[counter] = ticket.number
            board.announced += 1
            return True

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
        with self.bookings.lock:
            current = self._as_read(ticket, ticket.status)
            if current is None or current.status not in OPEN:
                return False
            self._day(ticket.office_id, ticket.date)[ticket.ticket_id] = replace(
                current,
                status=TicketStatus.WAITING.value,
                rev=current.rev + 1,
                service_code=service_code or current.service_code,
                held_until=held_until,
                for_counter=for_counter,
                skips=current.skips + (1 if skipped else 0),
                counter=None,
                called_at=None,
            )
            if current.status == TicketStatus.CALLED.value:
                self._uncall(ticket)
            return True

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
        with self.bookings.lock:
            current = self._as_read(ticket, TicketStatus.CALLED.value)
            if current is None:
                return False
            try:
                booking = self._booking_may_become(current, Status.NO_SHOW, source=Status.CHECKED_IN)
            except TicketMoved:
                return False
            if booking is not None and subject is not None and counts:
                stored = self.bookings.subjects.get(subject.id_number) or Subject(subject.id_number)
                if len(stored.no_shows) != len(subject.no_shows):
                    raise SubjectMoved()
                self.bookings.subjects[stored.id_number] = replace(
                    stored,
                    active_services=set(stored.active_services),
                    no_shows=[*stored.no_shows, ticket.date],
                    noshow_until=noshow_until or stored.noshow_until,
                )
            self._day(ticket.office_id, ticket.date)[ticket.ticket_id] = replace(
                current,
                status=TicketStatus.NO_SHOW.value,
                done_at=now.isoformat(),
                rev=current.rev + 1,
                skips=current.skips + 1,
            )
            self._uncall(ticket)
            self._set_booking(booking, Status.NO_SHOW, now)
            self.bookings.outbox += sms or []
            return True

    def set_paused(self, office_id: str, day: date, counter: str, paused: bool) -> None:
        with self.bookings.lock:
            board = self._board(office_id, day)
            if paused:
                board.paused.add(counter)
                board.counters.add(counter)
            else:
                board.paused.discard(counter)
