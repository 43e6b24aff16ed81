"""The waitlist's transactions (R18, R19), each named by what it guarantees (store.waitlist describes
the items): an entry joins with the subject's R9 lock; a place is offered, accepted as a booking,
passed on, returned to the pool or withdrawn, each changing the slot's `held` with the place item in
one transaction. Every condition that fails is an answer (EntryMoved, PlaceMoved, or the booking's
refusals)."""

from __future__ import annotations

from datetime import datetime

from ..domain.booking import Status
from ..domain.errors import NoSuchSlot, Suspended
from ..domain.waitlist import EntryStatus, Origin, PlaceState
from .base import Cancelled, Items, transact
from .bookings import (
    Booking,
    BookingItem,
    booking_failure,
    booking_item,
    keep_service_lock,
    release_service_lock,
    slot_has_room,
    take_service_lock,
)
from .outbox import Message, send_with
from .slots import SlotItem, slot_item
from .waitlist import (
    Entry,
    EntryMoved,
    Place,
    PlaceMoved,
    WaitItem,
    due_attributes,
    entry_key,
    new_entry_item,
    next_in_queue,
    place_item,
    place_key,
)


def _place_leaves_slot(tx: Items, place: Place) -> None:
    """The place is no longer taken: its slot's `booked` and `held` - 1 together (neither below 0)."""
    tx.update(
        "slot",
        slot_item(place.office_id, place.service_code, place.date, place.start),
        [SlotItem.booked.add(-1), SlotItem.held.add(-1)],
        (SlotItem.held > 0) & (SlotItem.booked > 0),
    )


def _lock_released(tx: Items, entry: Entry) -> None:
    release_service_lock(tx, entry.subject_id_number, entry.service_code)


def _offer_to_waiting_entry(tx: Items, entry: Entry, place: Place, until: datetime, now: datetime) -> None:
    """The entry holds the offer of `place` until `until`, only while it is still waiting (label "entry")."""
    tx.update(
        "entry",
        WaitItem(entry_key(entry.entry_id)),
        [
            WaitItem.status.set(EntryStatus.OFFERED.value),
            WaitItem.place_id.set(place.place_id),
            WaitItem.offer_start.set(place.start),
            WaitItem.offer_end.set(place.end),
            WaitItem.offer_until.set(until.isoformat()),
            WaitItem.updated_at.set(now.isoformat()),
            WaitItem.queue.remove(),
            WaitItem.queued_at.remove(),
            WaitItem.due_part.remove(),
            WaitItem.due_at.remove(),
        ],
        WaitItem.status == EntryStatus.WAITING.value,
    )


def _ended_actions(status: EntryStatus, now: datetime) -> list:
    return [
        WaitItem.status.set(status.value),
        WaitItem.updated_at.set(now.isoformat()),
        WaitItem.queue.remove(),
        WaitItem.queued_at.remove(),
        WaitItem.due_part.remove(),
        WaitItem.due_at.remove(),
        WaitItem.place_id.remove(),
    ]


def _offered_place_actions(entry: Entry, until: datetime) -> list:
    assert entry.place_id is not None
    due = due_attributes(entry.place_id, until)
    return [
        WaitItem.state.set(PlaceState.OFFERED.value),
        WaitItem.entry_id.set(entry.entry_id),
        WaitItem.offer_until.set(until.isoformat()),
        WaitItem.return_at.remove(),
        WaitItem.due_part.set(due["due_part"]),
        WaitItem.due_at.set(due["due_at"]),
    ]


def join(entry: Entry, cut_off: datetime, now: datetime) -> None:
    """R18 with R9, R11, R12: the entry is written with the subject's lock on the service, under the
    same subject condition as a booking, with the queue's next join number. Raises AlreadyBooked or
    Suspended (store.bookings)."""
    number = next_in_queue(entry.office_id, entry.service_code, entry.date)

    def build(tx: Items) -> None:
        take_service_lock(tx, entry.subject_id_number, entry.service_code, now)
        tx.put("entry", new_entry_item(entry, cut_off, number), WaitItem.pk.does_not_exist())

    try:
        transact(build)
    except Cancelled as cancelled:
        refusal = booking_failure(_as_booking(entry), now, cancelled)
        if refusal is not None:
            raise refusal from None
        raise


def _as_booking(entry: Entry) -> Booking:
    return Booking(
        "",
        "",
        entry.account_id,
        entry.subject_id_number,
        entry.office_id,
        entry.service_code,
        entry.date,
        entry.start or "",
        "",
        Status.BOOKED.value,
        entry.created_at,
    )


def offer_delayed_place(place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]) -> None:
    """A delayed place is held for a waiting entry until `until` (no counter moves: it stays taken).
    Raises PlaceMoved (the place was taken or returned meanwhile) or EntryMoved (the entry is no
    longer waiting: try the next)."""
    entry = _with_place(entry, place)

    def build(tx: Items) -> None:
        tx.update(
            "place",
            WaitItem(place_key(place.place_id)),
            _offered_place_actions(entry, until),
            WaitItem.state == PlaceState.DELAYED.value,
        )
        _offer_to_waiting_entry(tx, entry, place, until, now)
        send_with(tx, messages)

    transact(build, {"place": PlaceMoved, "entry": EntryMoved})


def _with_place(entry: Entry, place: Place) -> Entry:
    return Entry(**{**entry.__dict__, "place_id": place.place_id})


def hold_free_place(place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]) -> None:
    """A free place (a capacity raise, a reopened slot) is taken for a waiting entry: `booked` + 1
    under book_slot's own condition (R7), `held` + 1, the place item and the offer. Raises SlotFull
    or NoSuchSlot (no free place any more) or EntryMoved."""
    entry = _with_place(entry, place)
    item = place_item(
        place,
        PlaceState.OFFERED,
        until,
        origin=Origin.FREED.value,
        entry_id=entry.entry_id,
        offer_until=until.isoformat(),
    )

    def build(tx: Items) -> None:
        tx.update(
            "slot",
            slot_item(place.office_id, place.service_code, place.date, place.start),
            [SlotItem.booked.add(1), SlotItem.held.add(1)],
            slot_has_room(),
        )
        tx.put("place", item, WaitItem.pk.does_not_exist())
        _offer_to_waiting_entry(tx, entry, place, until, now)
        send_with(tx, messages)

    try:
        transact(build, {"entry": EntryMoved})
    except Cancelled as cancelled:
        refusal = booking_failure(
            Booking("", "", "", "", place.office_id, place.service_code, place.date, place.start, place.end, "", ""),
            now,
            cancelled,
        )
        if refusal is not None:
            raise refusal from None
        raise


def accept_offer(
    entry: Entry, booking: Booking, slot_ends_at: datetime, now: datetime, messages: list[Message]
) -> None:
    """R18 with R7-R12: the offer becomes a booking in one transaction - the entry `accepted` (still
    offered, its deadline not passed), the place item gone and the slot's `held` - 1 (`booked`
    unchanged: the place was taken already, so capacity cannot be passed), the slot still open, the
    subject's lock kept (it is the entry's) and no suspension, the booking and its SMS.
    Raises EntryMoved (no longer offered, or the deadline passed), NoSuchSlot (the slot closed),
    Suspended."""
    assert entry.place_id is not None

    def build(tx: Items) -> None:
        tx.update(
            "entry",
            WaitItem(entry_key(entry.entry_id)),
            [
                WaitItem.status.set(EntryStatus.ACCEPTED.value),
                WaitItem.booking_id.set(booking.booking_id),
                WaitItem.updated_at.set(now.isoformat()),
                WaitItem.place_id.remove(),
            ],
            (WaitItem.status == EntryStatus.OFFERED.value)
            & (WaitItem.place_id == entry.place_id)
            & (WaitItem.offer_until > now.isoformat()),
        )
        # entry.place_id: asserted above, a narrowing mypy does not carry into build()
        tx.delete(
            "place",
            WaitItem(place_key(entry.place_id)),  # type: ignore[arg-type]
            (WaitItem.state == PlaceState.OFFERED.value) & (WaitItem.entry_id == entry.entry_id),
        )
        tx.update(
            "slot",
            slot_item(booking.office_id, booking.service_code, booking.date, booking.start),
            [SlotItem.held.add(-1)],
            SlotItem.pk.exists()
            & (SlotItem.held > 0)
            & (SlotItem.closed.does_not_exist() | (SlotItem.closed == False)),  # noqa: E712
        )
        keep_service_lock(tx, booking.subject_id_number, booking.service_code, now)
        tx.put("booking", booking_item(booking, slot_ends_at), BookingItem.pk.does_not_exist())
        send_with(tx, messages)

    try:
        transact(
            build,
            {
                "entry": EntryMoved,
                "place": EntryMoved,
                "booking": EntryMoved,
                "slot": NoSuchSlot("The hall has closed this slot."),
            },
        )
    except Cancelled as cancelled:
        if cancelled.failed("subject"):
            refusal = booking_failure(booking, now, cancelled)
            raise (refusal if isinstance(refusal, Suspended) else EntryMoved()) from None
        raise


def pass_offer_on(
    entry: Entry, status: EntryStatus, return_at: datetime, now: datetime, messages: list[Message]
) -> None:
    """An offer ends without a booking (declined, timed out): the entry ends and frees the subject's
    lock, and its place is delayed again until `return_at` (still taken: no counter moves).
    Raises EntryMoved if the entry no longer holds that offer."""
    assert entry.place_id is not None
    due = due_attributes(entry.place_id, return_at)

    def build(tx: Items) -> None:
        tx.update(
            "entry",
            WaitItem(entry_key(entry.entry_id)),
            _ended_actions(status, now),
            (WaitItem.status == EntryStatus.OFFERED.value) & (WaitItem.place_id == entry.place_id),
        )
        # entry.place_id: asserted above, a narrowing mypy does not carry into build()
        tx.update(
            "place",
            WaitItem(place_key(entry.place_id)),  # type: ignore[arg-type]
            [
                WaitItem.state.set(PlaceState.DELAYED.value),
                WaitItem.entry_id.remove(),
                WaitItem.offer_until.remove(),
                WaitItem.return_at.set(return_at.isoformat()),
                WaitItem.due_part.set(due["due_part"]),
                WaitItem.due_at.set(due["due_at"]),
            ],
            (WaitItem.state == PlaceState.OFFERED.value) & (WaitItem.entry_id == entry.entry_id),
        )
        _lock_released(tx, entry)
        send_with(tx, messages)

    transact(build, {"entry": EntryMoved, "place": EntryMoved})


def return_to_pool(place: Place, now: datetime) -> None:
    """A delayed place becomes free: its item goes and the slot's `booked` and `held` drop by one,
    together. Raises PlaceMoved if it is no longer delayed (offered or returned by another run)."""

    def build(tx: Items) -> None:
        tx.delete("place", WaitItem(place_key(place.place_id)), WaitItem.state == PlaceState.DELAYED.value)
        _place_leaves_slot(tx, place)

    transact(build, {"place": PlaceMoved})


def end_entry(entry: Entry, status: EntryStatus, now: datetime, messages: list[Message]) -> None:
    """A waiting entry ends (the citizen left, the cut-off came) and frees the subject's lock.
    Raises EntryMoved if it is no longer waiting (offered meanwhile, or ended by another run)."""

    def build(tx: Items) -> None:
        tx.update(
            "entry",
            WaitItem(entry_key(entry.entry_id)),
            _ended_actions(status, now),
            WaitItem.status == EntryStatus.WAITING.value,
        )
        _lock_released(tx, entry)
        send_with(tx, messages)

    transact(build, {"entry": EntryMoved})


def withdraw_place(place: Place, entry: Entry | None, now: datetime, messages: list[Message]) -> None:
    """A hall closure: the place goes (`booked` and `held` - 1; the slot is closed, nobody can take it)
    and the entry it was offered to, if any, ends with its lock freed. Raises PlaceMoved."""

    def build(tx: Items) -> None:
        condition = WaitItem.state == place.state
        if entry is not None:
            condition &= WaitItem.entry_id == entry.entry_id
        tx.delete("place", WaitItem(place_key(place.place_id)), condition)
        _place_leaves_slot(tx, place)
        if entry is not None:
            tx.update(
                "entry",
                WaitItem(entry_key(entry.entry_id)),
                _ended_actions(EntryStatus.ENDED, now),
                (WaitItem.status == EntryStatus.OFFERED.value) & (WaitItem.place_id == place.place_id),
            )
            _lock_released(tx, entry)
        send_with(tx, messages)

    transact(build, {"place": PlaceMoved, "entry": PlaceMoved})
