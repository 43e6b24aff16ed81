"""Request and response shapes of the hall routes (R14, R15): staff check-in, tickets, the queue and
the public display board."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .models import BookingOut, Strict


class CheckInIn(Strict):
    reference: str | None = Field(default=None, max_length=20, description="the booking's reference, e.g. K7M2-9QXH")
    id_number: str | None = Field(default=None, max_length=32,
                                  description="the subject's ID number, or the guardian's for a minor's booking")


class WalkInIn(Strict):
    service_code: str = Field(min_length=1, max_length=64)


class CallNextIn(Strict):
    counter: str = Field(min_length=1, max_length=16, description="the counter (window) calling, e.g. 3")


class TicketOut(BaseModel):
    ticket_id: str
    number: str = Field(description="A001... for bookings, B001... for walk-ins; per hall and day")
    kind: Literal["booking", "walk_in"]
    service_code: str
    status: Literal["waiting", "called", "done"]
    counter: str | None = None
    booking_id: str | None = None
    office_id: str
    date: str
    issued_at: str
    called_at: str | None = None
    done_at: str | None = None


class CheckInOut(BaseModel):
    ticket: TicketOut
    booking: BookingOut


class CompleteOut(BaseModel):
    ticket: TicketOut
    booking: BookingOut | None


class LastCalledOut(BaseModel):
    number: str
    counter: str
    called_at: str


class CounterOut(BaseModel):
    counter: str
    number: str


class WaitingOut(BaseModel):
    number: str
    kind: Literal["booking", "walk_in"]
    estimated_wait_minutes: int


class BoardOut(BaseModel):
    office_id: str
    date: str
    last_called: LastCalledOut | None
    counters: list[CounterOut]
    waiting: list[WaitingOut]
    waiting_count: int
    estimated_wait_minutes: int
    average_service_minutes: float
