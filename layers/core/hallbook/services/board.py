"""What a hall shows (R13, R15): the counter console's day list, the display board (numbers only,
the waiting tickets in call order with their estimated wait), a ticket's place in the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..domain.queue import ahead_of, average_service_minutes, call_order, estimated_wait_minutes
from ..store.stores import stores
from ..store.tickets import Ticket
from .catalog import get_office

log = logging.getLogger(__name__)
BOARD_SHOWS = 50  # waiting tickets listed on the board (all are counted in `waiting_count`)


@dataclass(frozen=True)
class DayTickets:
    """Every ticket of a hall on one day, in the order issued."""

    office_id: str
    date: date
    tickets: list[Ticket]


def day_tickets(office_id: str, now: datetime) -> DayTickets:
    """The counter console's day list: every ticket of the hall today, in the order issued."""
    office = get_office(office_id, stores().catalog.load_catalog())
    today = now.date()
    tickets = sorted(stores().tickets.tickets_of(office.office_id, today), key=lambda t: (t.issued_at, t.number))
    return DayTickets(office.office_id, today, tickets)


def board(office_id: str, now: datetime) -> dict[str, Any]:
    """What the hall's screens show: numbers only - the tickets being served at each counter (a
    completed, skipped or transferred ticket leaves at once), the paused counters, the waiting
    tickets in call order with their estimated wait (the first 50; `waiting_count` counts all), the
    last call (while it is being served: the board announces it) and the hall's sound setting.
    One eventually consistent Query of small items (the board item and the waiting entries)."""
    office = get_office(office_id, stores().catalog.load_catalog())
    today = now.date()
    state, waiting = stores().tickets.queue_of(office.office_id, today, consistent=False)
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
    state, waiting = stores().tickets.queue_of(office_id, day, consistent=False)
    return ahead_of(ticket_id, waiting, state.calls)
