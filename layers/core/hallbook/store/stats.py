"""Statistics counters (GET /v1/stats): one item per hall, service and day, kept in the
slots table beside the slots they count (`STATS#<office_id>` / `<date>#<service_code>`, a partition of
its own - office ids never contain `#`, so no slot key starts with `STATS#`).

Why the slots table and not a table of its own: every function that makes these events already writes
that table (no new table, policy or variable for six functions), a day's capacity and places taken are
the slots' own `capacity` and `booked` (read from the same table, never from the bookings), and one
Query of a hall's partition returns every service's counters of a date range.

Counters are ADDed inside the transaction of the event they count - the cancellation, the no-show, the
check-in, the walk-in ticket, the completion - so a retried or failed transaction never counts twice or
never. Not the booking itself: its slot's `booked` already counts it, and a counter item per hall and
day inside the noon rush's transaction would make every booking of that day conflict with the others.
Calling a ticket adds its wait with one UpdateItem right after the claim (the claim transaction does
not know when the ticket was issued). A day is the appointment's (the slot's, or the ticket's) day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import BaseMeta, Items, setting

PREFIX = "STATS#"
COUNT_NAMES = (
    "cancelled_citizen",
    "cancelled_operator",
    "cancelled_hall",
    "no_shows",
    "checked_in",
    "walk_ins",
    "called",
    "wait_seconds",
    "completed",
    "service_seconds",
)


class StatsItem(Model):
    class Meta(BaseMeta):
        table_name = setting("slots_table")

    pk = UnicodeAttribute(hash_key=True)  # STATS#{office_id}
    sk = UnicodeAttribute(range_key=True)  # {date}#{service_code}
    cancelled_citizen = NumberAttribute(null=True)
    cancelled_operator = NumberAttribute(null=True)
    cancelled_hall = NumberAttribute(null=True)
    no_shows = NumberAttribute(null=True)
    checked_in = NumberAttribute(null=True)
    walk_ins = NumberAttribute(null=True)
    called = NumberAttribute(null=True)
    wait_seconds = NumberAttribute(null=True)
    completed = NumberAttribute(null=True)
    service_seconds = NumberAttribute(null=True)


@dataclass
class DayCounts:
    office_id: str
    service_code: str
    date: date
    counts: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.counts.get(name, 0)


def _item(office_id: str, service_code: str, day: date) -> StatsItem:
    return StatsItem(f"{PREFIX}{office_id}", f"{day.isoformat()}#{service_code}")


def _actions(counts: dict[str, float]) -> list:
    unknown = set(counts) - set(COUNT_NAMES)
    if unknown:
        raise ValueError(f"unknown counts {sorted(unknown)}")
    return [getattr(StatsItem, name).add(int(round(value))) for name, value in counts.items()]


def count_in(tx: Items, office_id: str, service_code: str, day: date, **counts: float) -> None:
    """Add `counts` to the day's item as part of the transaction being built (created on first use)."""
    tx.update("stats", _item(office_id, service_code, day), _actions(counts))


def count(office_id: str, service_code: str, day: date, **counts: float) -> None:
    """Add `counts` to the day's item with one UpdateItem."""
    _item(office_id, service_code, day).update(actions=_actions(counts))


def cancelled_count_name(by: str) -> str:
    """The count a cancellation by `by` (citizen, operator, hall) adds to."""
    return f"cancelled_{by}" if f"cancelled_{by}" in COUNT_NAMES else "cancelled_citizen"


def days_between(office_id: str, first: date, last: date) -> list[DayCounts]:
    """Every service's counters of a hall from `first` to `last`: one Query (paged by pynamodb)."""
    result = []
    for item in StatsItem.query(
        f"{PREFIX}{office_id}", StatsItem.sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~")
    ):
        day, service_code = item.sk.split("#", 1)
        counts = {name: float(getattr(item, name) or 0) for name in COUNT_NAMES}
        result.append(DayCounts(office_id, service_code, date.fromisoformat(day), counts))
    return result
