"""R8a: a booking moved to another slot in one transaction, and the reschedule's Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from ...domain.booking import Status
from ...domain.errors import NoSuchSlot, SlotFull
from ..base import BaseMeta, Cancelled, Items, latest, setting, transact
from ..outbox import Message, send_with
from ..slots import SlotItem, get_slot, slot_item
from .conditions import NEW_ITEM, BookingMoved, moves_as_read, slot_has_room
from .items import Booking, BookingItem, booking_key, office_day_key, sweep_key


class RescheduleItem(Model):
    """R8a: an Idempotency-Key of a reschedule (`RESCHEDULE#<hash of the caller and the key>`), written
    in the move's transaction: a retry finds it and answers the booking without moving it twice."""

    class Meta(BaseMeta):
        table_name = setting("bookings_table")

    pk = UnicodeAttribute(hash_key=True)
    booking_id = UnicodeAttribute()
    office_id = UnicodeAttribute()
    date = UnicodeAttribute()
    start = UnicodeAttribute()
    created_at = UnicodeAttribute()


@dataclass(frozen=True)
class RescheduleKey:
    key_id: str  # RESCHEDULE#<hash>
    booking_id: str
    office_id: str
    date: date
    start: str


class ReplayedReschedule(Exception):
    """The reschedule's Idempotency-Key was already used (store.bookings.get_reschedule_key tells for what)."""


def get_reschedule_key(key_id: str) -> RescheduleKey | None:
    item = latest(RescheduleItem, key_id)
    if item is None:
        return None
    return RescheduleKey(item.pk, item.booking_id, item.office_id, date.fromisoformat(item.date), item.start)


def move_booking(
    booking: Booking,
    moved: Booking,
    now: datetime,
    slot_ends_at: datetime,
    messages: list[Message],
    delayed_place: Model,
    key_id: str | None = None,
) -> None:
    """R8a: move a `booked` booking to another slot of its service in ONE transaction: the new slot's
    place is taken (`booked < capacity`, not closed: R7) in the same write that keeps the old one taken
    as a delayed place (`held` + 1 and the place's item, as a citizen's cancellation does: R18, R19),
    and the booking changes only if it is still `booked` where it was read (its `moves` as read), so two
    moves or a move and a cancellation can never both succeed. The subject's R9 lock on the service is
    untouched (it stays the one active booking) and no cancellation is counted (R11). `key_id`: the
    Idempotency-Key's record, written only if absent.
    Raises SlotFull or NoSuchSlot (the new slot), BookingMoved, ReplayedReschedule."""
    new_slot = slot_item(moved.office_id, moved.service_code, moved.date, moved.start)
    old_slot = slot_item(booking.office_id, booking.service_code, booking.date, booking.start)
    as_read = moves_as_read(booking)

    def build(tx: Items) -> None:
        tx.update("slot", new_slot, [SlotItem.booked.add(1)], slot_has_room())
        tx.update("old_slot", old_slot, [SlotItem.held.add(1)], SlotItem.booked > 0)
        tx.put("place", delayed_place, NEW_ITEM)
        tx.update(
            "booking",
            BookingItem(booking_key(booking.booking_id)),
            [
                BookingItem.office_id.set(moved.office_id),
                BookingItem.date.set(moved.date.isoformat()),
                BookingItem.start.set(moved.start),
                BookingItem.end.set(moved.end),
                BookingItem.office_day.set(office_day_key(moved.office_id, moved.date)),
                BookingItem.sweep_day.set(sweep_key(slot_ends_at.date(), booking.booking_id)),
                BookingItem.sweep_at.set(f"{slot_ends_at.isoformat()}#{booking.booking_id}"),
                BookingItem.moves.set(moved.moves),
                BookingItem.updated_at.set(now.isoformat()),
            ],
            (BookingItem.status == Status.BOOKED.value) & as_read,
        )
        if key_id is not None:
            tx.put(
                "key",
                RescheduleItem(
                    key_id,
                    booking_id=booking.booking_id,
                    office_id=moved.office_id,
                    date=moved.date.isoformat(),
                    start=moved.start,
                    created_at=now.isoformat(),
                ),
                RescheduleItem.pk.does_not_exist(),
            )
        send_with(tx, messages)

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed("key"):
            raise ReplayedReschedule() from None
        if cancelled.failed("booking") or cancelled.failed("old_slot"):
            raise BookingMoved() from None
        if cancelled.failed("slot"):
            state = get_slot(moved.office_id, moved.service_code, moved.date, moved.start)
            if state is None or state.closed:
                raise NoSuchSlot("There is no slot at that date and time.") from None
            raise SlotFull("That slot has just been fully booked; please choose another.") from None
        raise
