"""Request and response shapes of the hall routes (R14, R15): staff check-in, tickets, the queue and
the public display board."""

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from .models import (
    REFERENCE,
    BookingOut,
    DateText,
    IdNumberText,
    InstantText,
    Model,
    Strict,
    TimeText,
    documented,
    example,
)

if TYPE_CHECKING:  # the store is the routes' (their services'), not the cold start's
    from ..store.tickets import Ticket


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


class TransferIn(Strict):
    model_config = documented(
        [{"counter": "5"}, {"service_code": "HR_MOVE_IN"}],
        oneOf=[
            {"required": ["counter"], "properties": {"counter": {"type": "string"}}},
            {"required": ["service_code"], "properties": {"service_code": {"type": "string"}}},
        ],
        description="exactly one of `counter` (another counter) and `service_code` (another service)",
    )
    counter: str | None = Field(default=None, min_length=1, max_length=16, description="the counter to send it to")
    service_code: str | None = Field(default=None, min_length=1, max_length=64, description="the service it is for now")


class TicketOut(Model):
    ticket_id: str
    number: str = Field(description="A001... for bookings, B001... for walk-ins; per hall and day")
    kind: Literal["booking", "walk_in"]
    service_code: str
    status: Literal["waiting", "called", "done", "closed_at_day_end", "no_show"] = Field(
        description="no_show: skipped twice at the counter (R15a)"
    )
    counter: str | None = None
    booking_id: str | None = None
    office_id: str
    date: DateText
    issued_at: InstantText
    called_at: InstantText | None = None
    done_at: InstantText | None = None
    skips: int = Field(default=0, description="R15a: times skipped (过号); the second skip ends the ticket")
    recalls: int = Field(default=0, description="R15a: times recalled (重呼)")
    for_counter: str | None = Field(default=None, description="R15a: transferred to this counter, waiting for it")

    @classmethod
    def of(cls, ticket: "Ticket") -> "TicketOut":
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
            skips=ticket.skips,
            recalls=ticket.recalls,
            for_counter=ticket.for_counter,
        )


class DayTicketsOut(Model):
    office_id: str
    date: DateText
    tickets: list[TicketOut] = Field(description="every ticket of the hall today, in the order issued")


class IdentityOut(Model):
    """R15a: whom the clerk compares with the ID card, masked, and the slot booked."""

    name: str | None = Field(description="the subject's name, masked (张*明); null for a minor's booking")
    id_number: str = Field(description="the subject's ID number, masked to its last four")
    booked_by: str | None = Field(description="a minor's booking: the guardian who booked it, masked")
    date: DateText
    start: TimeText
    end: TimeText


class CheckInOut(Model):
    ticket: TicketOut
    booking: BookingOut
    identity: IdentityOut | None = None


class CounterStateOut(Model):
    office_id: str
    counter: str
    paused: bool


class CompleteOut(Model):
    ticket: TicketOut
    booking: BookingOut | None


class LastCalledOut(Model):
    number: str
    counter: str
    called_at: InstantText


class CounterOut(Model):
    counter: str
    number: str | None = Field(description="the ticket being served there; null for a paused counter serving nobody")
    paused: bool = False


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
    sound: Literal["off", "zh", "zh_en"] = Field(
        default="off", description="the hall's setting: the board announces each call aloud (zh, zh_en) or not"
    )
