"""R14/R15: queue tickets at a hall - their numbers, the order they are called in, and the wait a
display board announces. Pure rules: no I/O, instants are given.

Call order (R4 "bookings called first", R15 "within a slot, booking tickets before walk-ins;
bookings among themselves in the order they were made"):
  1. booking tickets, by their slot's start, then by when the booking was made. A booking ticket
     exists only from check-in, which opens 30 minutes before the slot, so these are the tickets of
     the slot now running (or about to), plus any of an earlier slot still waiting;
  2. walk-in tickets, first come first served.

At the counter (R15a):
- a skipped ticket (过号) waits again, held until N more tickets were called at the hall (N an office
  setting, default 3): it is called then in its own place, or earlier when nothing else waits; a
  ticket skipped a second time ends (`no_show`);
- a ticket transferred to a counter waits for that counter: there it comes before the other tickets
  of its kind (a booking ticket stays ahead of walk-ins), and the other counters pass it by - unless
  that counter is paused, when any counter may call it;
- a paused counter calls nobody.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

DEFAULT_SERVICE_MINUTES = 10.0  # until a hall has served someone today
NUMBER_DIGITS = 3
SKIP_RETURNS_AFTER = 3  # R15a: a skipped ticket comes back after the next N calls (an office setting)
SKIPS_ALLOWED = 1  # R15a: back in the queue once; the second skip ends the ticket


class Kind(str, Enum):
    BOOKING = "booking"
    WALK_IN = "walk_in"


class TicketStatus(str, Enum):
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    # Still waiting or called when the hall's day ended (the evening job closed it)
    CLOSED_AT_DAY_END = "closed_at_day_end"
    # R15a: skipped a second time (过号 twice): the citizen did not come
    NO_SHOW = "no_show"


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
    held_until: int = 0  # R15a: a skipped ticket may be called once the hall's call count reaches this
    for_counter: str | None = None  # R15a: transferred to this counter

    def order_key(self) -> tuple[int, datetime, str, str]:
        return (0 if self.kind is Kind.BOOKING else 1, self.due_at, self.made_at, self.number)


def call_order(waiting: list[Waiting], calls: int = 0) -> list[Waiting]:
    """The order the hall's queue calls its waiting tickets in, `calls` calls having been made today:
    R15's order, a skipped ticket held back until `held_until` calls (earlier when nothing else waits).
    Counters' own tickets (transfers) are in it at their place: it is what the board shows."""
    if not any(w.held_until > calls for w in waiting):
        return sorted(waiting, key=Waiting.order_key)
    remaining, ordered, count = sorted(waiting, key=Waiting.order_key), [], calls
    while remaining:
        ready = next((w for w in remaining if w.held_until <= count), None)
        pick = ready or min(remaining, key=lambda w: (w.held_until, w.order_key()))
        ordered.append(pick)
        remaining.remove(pick)
        count += 1
    return ordered


def candidates(waiting: list[Waiting], calls: int, counter: str, paused: set[str] | frozenset[str]) -> list[Waiting]:
    """What `counter` may call, in the order it tries them: the tickets for any counter and those
    transferred to it (or to a paused counter); within a kind its own transfers first; tickets held
    after a skip only once their turn came, or when nothing else is left."""
    mine = [w for w in waiting if w.for_counter in (None, counter) or w.for_counter in paused]

    def key(w: Waiting) -> tuple[int, int, datetime, str, str]:
        kind, due, made, number = w.order_key()
        return (kind, 0 if w.for_counter == counter else 1, due, made, number)

    ready = sorted((w for w in mine if w.held_until <= calls), key=key)
    held = sorted((w for w in mine if w.held_until > calls), key=lambda w: (w.held_until, key(w)))
    return ready + held


def ahead_of(ticket_id_: str, waiting: list[Waiting], calls: int) -> int | None:
    """How many waiting tickets are called before this one (R13: `queue.ahead`), or None when it is
    not waiting."""
    for position, w in enumerate(call_order(waiting, calls)):
        if w.ticket_id == ticket_id_:
            return position
    return None


def average_service_minutes(served: int, service_seconds: float) -> float:
    if served <= 0:
        return DEFAULT_SERVICE_MINUTES
    return max(1.0, service_seconds / served / 60)


def estimated_wait_minutes(position: int, served: int, service_seconds: float, counters: int) -> int:
    """The wait of the ticket with `position` tickets before it: those tickets shared among the
    counters calling today, each taking today's average time (10 minutes until someone was served)."""
    per_ticket = average_service_minutes(served, service_seconds)
    return int(math.ceil(position * per_ticket / max(1, counters)))
