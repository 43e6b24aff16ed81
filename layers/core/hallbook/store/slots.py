"""The slot aggregate (R6, R7): one item per hall, service, day and start, holding capacity and the
places taken. `release_slot` is idempotent; places are only ever taken inside a transaction whose
condition is `booked < capacity` (store.bookings.book_slot, store.waitlist_transactions.hold_free_place).

`booked` counts every place taken: bookings, and the places `held` for the waitlist or delayed
before their return to the pool (R18, R19; hallbook.domain.waitlist). `held` says how many of
`booked` are such places, each with its item in store.waitlist: `booked - held` are bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from ..clock import SHANGHAI
from ..domain.timetable import Slot
from .base import BaseMeta, Cancelled, Items, latest, saved_if, setting, transact, updated_if

TRANSACTION_LIMIT = 100
KEEP_DAYS = 400  # slots expire (TTL) a while after their day; bookings keep their own copy


class SlotItem(Model):
    class Meta(BaseMeta):
        table_name = setting("slots_table")

    pk = UnicodeAttribute(hash_key=True)  # {office_id}#{service_code}
    sk = UnicodeAttribute(range_key=True)  # {date}#{start}
    office_id = UnicodeAttribute()
    service_code = UnicodeAttribute()
    date = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    capacity = NumberAttribute()
    booked = NumberAttribute(default=0)
    held = NumberAttribute(null=True)  # of `booked`: places offered to a waitlist entry or delayed (R18, R19)
    closed = BooleanAttribute(null=True)
    expires_at = NumberAttribute(null=True)


@dataclass(frozen=True)
class SlotState:
    office_id: str
    service_code: str
    date: date
    start: str
    end: str
    capacity: int
    booked: int
    closed: bool
    held: int = 0  # of `booked`: places held for the waitlist or delayed (R18, R19), not bookings

    @property
    def remaining(self) -> int:
        """Places anybody may book now: neither a held nor a delayed place is one (R18, R19)."""
        return 0 if self.closed else max(0, self.capacity - self.booked)

    @property
    def bookings(self) -> int:
        """Places taken by bookings (the bookings of the slot not cancelled)."""
        return self.booked - self.held


class ReleasedDayItem(Model):
    """A hall's day whose planned slots are all written (R6), with the fingerprint of that plan
    (domain.timetable.plan_fingerprint): while the plan is the same, the noon release skips the day
    without reading its slots. Lives in the slots table, in a partition of its own per hall."""

    class Meta(BaseMeta):
        table_name = setting("slots_table")

    pk = UnicodeAttribute(hash_key=True)  # RELEASED#{office_id}
    sk = UnicodeAttribute(range_key=True)  # {date}
    fingerprint = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)


def released_pk(office_id: str) -> str:
    return f"RELEASED#{office_id}"


def released_days(office_id: str, first: date, last: date) -> dict[date, str]:
    """The days of a hall from `first` to `last` already released, with their plan's fingerprint:
    one Query."""
    items = ReleasedDayItem.query(
        released_pk(office_id), ReleasedDayItem.sk.between(first.isoformat(), last.isoformat())
    )
    return {date.fromisoformat(i.sk): i.fingerprint for i in items}


def mark_days_released(office_id: str, fingerprints: dict[date, str]) -> None:
    """After every planned slot of these days exists: record each day with its plan's fingerprint
    (25 to a BatchWriteItem request). Writing it again is harmless."""
    with ReleasedDayItem.batch_write() as batch:
        for day, fingerprint in fingerprints.items():
            expires = datetime.combine(day + timedelta(days=KEEP_DAYS), time(0), SHANGHAI)
            batch.save(
                ReleasedDayItem(
                    released_pk(office_id),
                    day.isoformat(),
                    fingerprint=fingerprint,
                    expires_at=int(expires.timestamp()),
                )
            )


def slot_pk(office_id: str, service_code: str) -> str:
    return f"{office_id}#{service_code}"


def slot_sk(day: date, start: str) -> str:
    return f"{day.isoformat()}#{start}"


def slot_item(office_id: str, service_code: str, day: date, start: str) -> SlotItem:
    """The slot's item by its key alone, for an update or a condition in a transaction."""
    return SlotItem(slot_pk(office_id, service_code), slot_sk(day, start))


def slot_state(item: SlotItem) -> SlotState:
    return SlotState(
        item.office_id,
        item.service_code,
        date.fromisoformat(item.date),
        item.start,
        item.end,
        int(item.capacity),
        int(item.booked or 0),
        bool(item.closed),
        int(item.held or 0),
    )


def _new_item(office_id: str, slot: Slot) -> SlotItem:
    return SlotItem(
        slot_pk(office_id, slot.service_code),
        slot_sk(slot.day, slot.start),
        office_id=office_id,
        service_code=slot.service_code,
        date=slot.day.isoformat(),
        start=slot.start,
        end=slot.end,
        capacity=slot.capacity,
        booked=0,
        expires_at=int((slot.ends_at + timedelta(days=KEEP_DAYS)).timestamp()),
    )


def existing_starts(office_id: str, service_code: str, first: date, last: date) -> set[tuple[date, str]]:
    """(day, start) of the slots already released: one Query, keys only."""
    items = SlotItem.query(
        slot_pk(office_id, service_code),
        SlotItem.sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~"),
        attributes_to_get=["sk"],
    )
    return {(date.fromisoformat(i.sk[:10]), i.sk[11:]) for i in items}


def create_unopened_slots(office_id: str, slots: list[Slot]) -> int:
    """Write slots of days nobody can book yet, 25 to a BatchWriteItem request. Only for days whose
    window opens later (checked by the caller): a plain put there cannot overwrite a booking."""
    with SlotItem.batch_write() as batch:
        for slot in slots:
            batch.save(_new_item(office_id, slot))
    return len(slots)


def create_slots_if_missing(office_id: str, slots: list[Slot]) -> int:
    """Write slots of days that may already be open, never touching one that exists: conditional
    puts, up to 100 in one transaction; if a concurrent run wrote one of them first, that chunk is
    retried item by item. Returns how many were written."""
    written = 0
    for i in range(0, len(slots), TRANSACTION_LIMIT):
        chunk = slots[i : i + TRANSACTION_LIMIT]

        def build(tx: Items, chunk: list[Slot] = chunk) -> None:
            for slot in chunk:
                tx.put("slot", _new_item(office_id, slot), SlotItem.pk.does_not_exist())

        try:
            transact(build)
            written += len(chunk)
        except Cancelled:
            written += sum(create_slot_if_missing(office_id, slot) for slot in chunk)
    return written


def create_slot_if_missing(office_id: str, slot: Slot) -> bool:
    """Write one slot unless it exists (then nothing changes: places booked are never reset)."""
    return saved_if(_new_item(office_id, slot), SlotItem.pk.does_not_exist())


def get_slot(office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
    item = latest(SlotItem, slot_pk(office_id, service_code), slot_sk(day, start))
    return None if item is None else slot_state(item)


def slots_between(
    office_id: str, service_code: str, first: date, last: date, consistent: bool = False
) -> list[SlotState]:
    """Every slot of a hall's service from `first` to `last` inclusive: one Query."""
    items = SlotItem.query(
        slot_pk(office_id, service_code),
        SlotItem.sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~"),
        consistent_read=consistent,
    )
    return [slot_state(i) for i in items]


def close_slots_of_day(office_id: str, service_codes: list[str], day: date) -> list[SlotState]:
    """A closure: mark every released slot of a hall's day closed, so book_slot's condition refuses
    them, and return each as it is once closed: its `booked` is then final, since no booking can join
    a closed slot. One Query per service; the slots not closed yet closed in transactions of 100
    (retime_slots: a big hall's day is one or two requests, not one per slot), then the services that
    had any read again, strongly consistent, for their final counts; idempotent."""
    prefix = SlotItem.sk.startswith(f"{day.isoformat()}#")
    found = {code: [slot_state(i) for i in SlotItem.query(slot_pk(office_id, code), prefix)] for code in service_codes}
    still_open = [(state, None, None) for states in found.values() for state in states if not state.closed]
    if still_open:
        retime_slots(still_open)  # type: ignore[arg-type]
        for code in sorted({state.service_code for state, _, _ in still_open}):
            found[code] = [
                slot_state(i) for i in SlotItem.query(slot_pk(office_id, code), prefix, consistent_read=True)
            ]
    return [state for code in service_codes for state in found[code]]


def set_capacity_keeping_bookings(
    office_id: str, service_code: str, day: date, start: str, capacity: int, end: str | None = None
) -> tuple[SlotState, SlotState] | None:
    """A timetable change for a released slot (open it if it was closed by an earlier change): its
    capacity becomes `capacity` and a new `end` is taken. Bookings are never touched: a slot left
    with more bookings than places is simply full (book_slot's condition is `booked < capacity`)
    until cancellations bring it under the new number. (before, after), or None if it does not exist."""
    item = latest(SlotItem, slot_pk(office_id, service_code), slot_sk(day, start))
    if item is None:
        return None
    before = slot_state(item)
    end = end or before.end
    if capacity == before.capacity and not before.closed and end == before.end:
        return before, before
    actions: list[Action] = [SlotItem.capacity.set(capacity), SlotItem.end.set(end)]
    actions += [SlotItem.closed.remove()] if before.closed else []
    item.update(actions=actions, condition=SlotItem.pk.exists())
    return before, slot_state(item)


def retime_slot(state: SlotState, capacity: int | None, end: str | None = None) -> tuple[SlotState, SlotState] | None:
    """A timetable change for a released slot already read (slots_between), in one unread UpdateItem:
    `capacity` None closes it (a slot the timetable no longer has), otherwise its capacity and end
    become the new ones and it opens if an earlier change closed it. Bookings are never touched (the
    update sets capacity, end and closed, never `booked`), so a booking made since the read is kept: a
    slot left with more bookings than places is full (book_slot's condition is `booked < capacity`)
    until cancellations bring it under. (before as read, after as written), or None if it is gone."""
    item = slot_item(state.office_id, state.service_code, state.date, state.start)
    if not updated_if(item, _retime_actions(state, capacity, end), SlotItem.pk.exists()):
        return None
    return state, slot_state(item)


def _retime_actions(state: SlotState, capacity: int | None, end: str | None) -> list[Action]:
    if capacity is None:
        return [SlotItem.closed.set(True)]
    return [SlotItem.capacity.set(capacity), SlotItem.end.set(end or state.end), SlotItem.closed.remove()]


def retime_slots(changes: list[tuple[SlotState, int | None, str | None]]) -> int:
    """retime_slot for many slots in batches: up to 100 UpdateItems in one transaction (each
    conditional on the slot existing, none touching `booked`); a batch refused because a slot is gone
    is done again slot by slot. How many were written."""
    written = 0
    for i in range(0, len(changes), TRANSACTION_LIMIT):
        chunk = changes[i : i + TRANSACTION_LIMIT]

        def build(tx: Items, chunk: list[tuple[SlotState, int | None, str | None]] = chunk) -> None:
            for n, (state, capacity, end) in enumerate(chunk):
                item = slot_item(state.office_id, state.service_code, state.date, state.start)
                tx.update(f"slot{n}", item, _retime_actions(state, capacity, end), SlotItem.pk.exists())

        try:
            transact(build)
            written += len(chunk)
        except Cancelled:
            written += sum(retime_slot(state, capacity, end) is not None for state, capacity, end in chunk)
    return written


def close_slot_keeping_bookings(office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
    """A slot a timetable change removed: no new booking can take it (book_slot's condition);
    bookings already made stay valid. Returns it as it was closed, or None if it does not exist."""
    item = latest(SlotItem, slot_pk(office_id, service_code), slot_sk(day, start))
    if item is None:
        return None
    if not item.closed:
        item.update(actions=[SlotItem.closed.set(True)], condition=SlotItem.pk.exists())
    return slot_state(item)
