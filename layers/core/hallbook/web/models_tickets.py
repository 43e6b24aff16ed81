"""Request and response shapes of the hall routes (R14, R15): staff check-in, tickets, the queue and
the public display board."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..store.tickets import Ticket
from .models import REFERENCE, BookingOut, DateText, IdNumberText, InstantText, Model, Strict, documented, example


class CheckInIn(Strict):
    model_config = documented(
        [{"reference": "K7M2-9QXH"}, {"id_number": "440106199001010013"}],
        oneOf=[
            {"required": ["reference"], "properties": {"reference": {"type": "string"}}},
            {"required": ["id_number"], "properties": {"id_number": {"type": "string"}}},
        ],
        description="exactly one of `reference` and `id_number`",
    )
    reference: str | None = Field(
        default=None,
        max_length=20,
        description="the booking's reference, e.g. K7M2-9QXH",
        json_schema_extra={"pattern": REFERENCE},
    )
    id_number: IdNumberText | None = Field(
        default=None, max_length=32, description="the subject's ID number, or the guardian's for a minor's booking"
    )


class WalkInIn(Strict):
    model_config = example(service_code="ID_RENEW")
    service_code: str = Field(min_length=1, max_length=64)


class CallNextIn(Strict):
    model_config = example(counter="3")
    counter: str = Field(
        min_length=1,
        max_length=16,
        description="the counter (window) calling, e.g. 3 or 3号窗口: letters, digits, spaces and hyphens",
        json_schema_extra={"pattern": r"^[\w -]*[\w-][\w -]*$"},
        examples=["3", "A-12"],
    )


class TicketOut(Model):
    ticket_id: str
    number: str = Field(description="A001... for bookings, B001... for walk-ins; per hall and day")
    kind: Literal["booking", "walk_in"]
    service_code: str
    status: Literal["waiting", "called", "done", "closed_at_day_end"]
    counter: str | None = None
    booking_id: str | None = None
    office_id: str
    date: DateText
    issued_at: InstantText
    called_at: InstantText | None = None
    done_at: InstantText | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketOut:
        """A ticket as the contract shows it: numbers and states, nothing about the person."""
        return cls(
            ticket_id=ticket.ticket_id,
            number=ticket.number,
            kind=ticket.kind,
            service_code=ticket.service_code,
            status=ticket.status,
            counter=ticket.counter,
            booking_id=ticket.booking_id,
            office_id=ticket.office_id,
            date=ticket.date.isoformat(),
            issued_at=ticket.issued_at,
            called_at=ticket.called_at,
            done_at=ticket.done_at,
        )


class DayTicketsOut(Model):
    office_id: str
    date: DateText
    tickets: list[TicketOut] = Field(description="every ticket of the hall today, in the order issued")


class CheckInOut(Model):
    ticket: TicketOut
    booking: BookingOut


class CompleteOut(Model):
    ticket: TicketOut
    booking: BookingOut | None


class LastCalledOut(Model):
    number: str
    counter: str
    called_at: InstantText


class CounterOut(Model):
    counter: str
    number: str


class WaitingOut(Model):
    number: str
    kind: Literal["booking", "walk_in"]
    estimated_wait_minutes: int


class BoardOut(Model):
    office_id: str
    date: DateText
    last_called: LastCalledOut | None
    counters: list[CounterOut]
    waiting: list[WaitingOut]
    waiting_count: int
    estimated_wait_minutes: int
    average_service_minutes: float
