"""R14/R15: queue tickets at a hall - their numbers, the order they are called in, and the wait a
display board announces. Pure rules: no I/O, instants are given.

Call order (R4 "bookings called first", R15 "within a slot, booking tickets before walk-ins;
bookings among themselves in the order they were made"):
  1. booking tickets, by their slot's start, then by when the booking was made. A booking ticket
     exists only from check-in, which opens 30 minutes before the slot, so these are the tickets of
     the slot now running (or about to), plus any of an earlier slot still waiting;
  2. walk-in tickets, first come first served.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

DEFAULT_SERVICE_MINUTES = 10.0  # until a hall has served someone today
NUMBER_DIGITS = 3


class Kind(str, Enum):
    BOOKING = "booking"
    WALK_IN = "walk_in"


class TicketStatus(str, Enum):
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    # issue 14: still waiting or called when the hall's day ended (the evening job closed it)
    CLOSED_AT_DAY_END = "closed_at_day_end"


PREFIX = {Kind.BOOKING: "A", Kind.WALK_IN: "B"}


def ticket_number(kind: Kind, sequence: int) -> str:
    """A001, A002 ... for bookings, B001 ... for walk-ins; numbering restarts every day per hall."""
    if sequence < 1:
        raise ValueError("ticket sequences start at 1")
    return f"{PREFIX[kind]}{sequence:0{NUMBER_DIGITS}d}"


def ticket_id(day_key: str, number: str) -> str:
    """`20260915-A001`: unique at a hall, and names the day it belongs to."""
    return f"{day_key.replace('-', '')}-{number}"


def day_of_ticket(ticket_id_: str) -> str | None:
    """`2026-09-15` from `20260915-A001`, or None if it is not a ticket id."""
    head, sep, number = (ticket_id_ or "").partition("-")
    if (
        not sep
        or len(head) != 8
        or not head.isdigit()
        or len(number) < 2
        or number[0] not in "AB"
        or not number[1:].isdigit()
    ):
        return None
    return f"{head[:4]}-{head[4:6]}-{head[6:]}"


@dataclass(frozen=True)
class Waiting:
    """A ticket waiting to be called, with what its place in the queue depends on."""

    ticket_id: str
    number: str
    kind: Kind
    due_at: datetime  # the slot's start for a booking ticket; the issue instant for a walk-in
    made_at: str  # ISO instant the booking was made (booking tickets) or the ticket issued (walk-ins)

    def order_key(self) -> tuple[int, datetime, str, str]:
        return (0 if self.kind is Kind.BOOKING else 1, self.due_at, self.made_at, self.number)


def call_order(waiting: list[Waiting]) -> list[Waiting]:
    return sorted(waiting, key=Waiting.order_key)


def average_service_minutes(served: int, service_seconds: float) -> float:
    if served <= 0:
        return DEFAULT_SERVICE_MINUTES
    return max(1.0, service_seconds / served / 60)


def estimated_wait_minutes(position: int, served: int, service_seconds: float, counters: int) -> int:
    """The wait of the ticket with `position` tickets before it: those tickets shared among the
    counters calling today, each taking today's average time (10 minutes until someone was served)."""
    per_ticket = average_service_minutes(served, service_seconds)
    return int(math.ceil(position * per_ticket / max(1, counters)))
