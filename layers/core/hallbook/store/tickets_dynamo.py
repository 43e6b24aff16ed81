"""The hall-day aggregate on DynamoDB behind store.stores.TicketStore: store.tickets' reads, store.hall_queue's
and (R15a) store.counters' transactions, and the booking lookups check-in makes (store.bookings,
store.accounts) - a thin adapter, so that none of those modules imports the seam."""

from __future__ import annotations

from datetime import date, datetime

from ..domain.queue import Waiting
from . import accounts, counters, hall_queue, stats, tickets
from . import bookings as booking_store
from .bookings import Booking, Subject
from .outbox import Message
from .tickets import Board, Ticket


class DynamoTickets:
    def find_by_reference(self, reference: str) -> list[Booking]:
        return booking_store.find_by_reference(reference)

    def subject_bookings_on(self, id_number: str, day: date) -> list[Booking]:
        return booking_store.subject_bookings_on(id_number, day)

    def bookings_made_by(self, id_number: str, since: datetime) -> list[Booking]:
        account_id = accounts.find_account_id(f"ID#{id_number}")
        return booking_store.account_bookings_made_since(account_id, since) if account_id else []

    def get_ticket(self, office_id: str, day: date, ticket_id: str) -> Ticket | None:
        return tickets.get_ticket(office_id, day, ticket_id)

    def tickets_of(self, office_id: str, day: date) -> list[Ticket]:
        return tickets.tickets_of(office_id, day)

    def open_tickets(self, office_id: str, day: date) -> list[Ticket]:
        return tickets.open_tickets(office_id, day)

    def get_board(self, office_id: str, day: date) -> Board:
        return tickets.get_board(office_id, day)

    def queue_of(self, office_id: str, day: date, consistent: bool = True) -> tuple[Board, list[Waiting]]:
        return tickets.queue_of(office_id, day, consistent)

    def check_in(self, booking: Booking, due_at: datetime, now: datetime) -> Ticket:
        return hall_queue.check_in(booking, due_at, now)

    def issue_walk_in(self, office_id: str, day: date, service_code: str, now: datetime) -> Ticket:
        return hall_queue.issue_walk_in(office_id, day, service_code, now)

    def claim(self, office_id: str, day: date, waiting: Waiting, counter: str, now: datetime) -> bool:
        return hall_queue.claim(office_id, day, waiting, counter, now)

    def count_called(self, office_id: str, service_code: str, day: date, wait_seconds: float) -> None:
        stats.count(office_id, service_code, day, called=1, wait_seconds=wait_seconds)

    def complete(self, ticket: Ticket, now: datetime) -> None:
        hall_queue.complete(ticket, now)

    def close_ticket(self, ticket: Ticket, now: datetime, *, day_end: bool = False) -> bool:
        return hall_queue.close_ticket(ticket, now, day_end=day_end)

    def recall(self, ticket: Ticket, now: datetime) -> bool:
        return counters.recall(ticket, now)

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
        return counters.requeue(
            ticket, now, held_until=held_until, for_counter=for_counter, service_code=service_code, skipped=skipped
        )

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
        return counters.end_skipped(ticket, now, subject=subject, sms=sms, noshow_until=noshow_until, counts=counts)

    def set_paused(self, office_id: str, day: date, counter: str, paused: bool) -> None:
        counters.set_paused(office_id, day, counter, paused)
