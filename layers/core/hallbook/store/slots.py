"""The slot aggregate (R6, R7): one item per hall, service, day and start, holding capacity and the
places taken. `release_slot` is idempotent; places are only ever taken inside a booking transaction
whose condition is `booked < capacity` (see store.bookings.book_slot)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from ..config import settings
from ..domain.timetable import Slot
from .base import BaseMeta

KEEP_DAYS = 400  # slots expire (TTL) a while after their day; bookings keep their own copy


class SlotItem(Model):
    class Meta(BaseMeta):
        table_name = settings().slots_table

    pk = UnicodeAttribute(hash_key=True)  # {office_id}#{service_code}
    sk = UnicodeAttribute(range_key=True)  # {date}#{start}
    office_id = UnicodeAttribute()
    service_code = UnicodeAttribute()
    date = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    capacity = NumberAttribute()
    booked = NumberAttribute(default=0)
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

    @property
    def remaining(self) -> int:
        return 0 if self.closed else max(0, self.capacity - self.booked)


def slot_pk(office_id: str, service_code: str) -> str:
    return f"{office_id}#{service_code}"


def slot_sk(day: date, start: str) -> str:
    return f"{day.isoformat()}#{start}"


def _state(item: SlotItem) -> SlotState:
    return SlotState(item.office_id, item.service_code, date.fromisoformat(item.date), item.start, item.end,
                     int(item.capacity), int(item.booked or 0), bool(item.closed))


def release_slot(office_id: str, slot: Slot) -> None:
    """Make a slot exist with its capacity. Idempotent: places already booked are never reset, and a
    second run writes the same values again (one write, no read)."""
    item = SlotItem(slot_pk(office_id, slot.service_code), slot_sk(slot.day, slot.start))
    epoch = int((slot.ends_at + timedelta(days=KEEP_DAYS)).timestamp())
    item.update(actions=[
        SlotItem.office_id.set(office_id),
        SlotItem.service_code.set(slot.service_code),
        SlotItem.date.set(slot.day.isoformat()),
        SlotItem.start.set(slot.start),
        SlotItem.end.set(slot.end),
        SlotItem.capacity.set(SlotItem.capacity | slot.capacity),
        SlotItem.booked.set(SlotItem.booked | 0),
        SlotItem.expires_at.set(epoch),
    ])


def get_slot(office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
    try:
        return _state(SlotItem.get(slot_pk(office_id, service_code), slot_sk(day, start), consistent_read=True))
    except SlotItem.DoesNotExist:
        return None


def slots_between(office_id: str, service_code: str, first: date, last: date) -> list[SlotState]:
    """Every slot of a hall's service from `first` to `last` inclusive: one Query."""
    items = SlotItem.query(
        slot_pk(office_id, service_code),
        SlotItem.sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~"),
    )
    return [_state(i) for i in items]
