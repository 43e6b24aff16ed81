"""The waitlist aggregate's port (R18, R19): what services/waitlist/ reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.waitlist import EntryStatus
    from ..bookings import Booking
    from ..outbox import Message
    from ..waitlist import Entry, Place


class WaitlistStore(Protocol):
    """The waitlist aggregate: entries and the places kept for them (store/waitlist.py describes
    them). Each write below is one step, all or nothing, that moves the slot's `booked`/`held`, the
    subject's R9 lock and the SMS with the entry or place; a condition that no longer holds is an
    answer: EntryMoved, PlaceMoved, or a booking's refusal."""

    def get_entry(self, entry_id: str) -> Entry | None: ...

    def get_place(self, place_id: str) -> Place | None: ...

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        """The account's entries (its own and its minors'), newest first."""
        ...

    def waiting_entries(self, office_id: str, service_code: str, day: date) -> list[Entry]:
        """The entries still waiting for a hall's service on `day`, in join order (may lag a write:
        every write that acts on one is conditioned on its status)."""
        ...

    def places_of_day(self, office_id: str, service_code: str, day: date) -> list[Place]: ...

    def due_keys(self, now: datetime) -> list[str]:
        """The keys of what is due at `now` (to the second): waiting entries past their cut-off,
        offers past their deadline, delayed places past their return."""
        ...

    def get_items(self, keys: list[str]) -> list[Entry | Place]:
        """The entries and places of `keys` as stored now (those that still exist)."""
        ...

    def join(self, entry: Entry, cut_off: datetime, now: datetime) -> None:
        """R18 with R9, R11, R12: the entry joins its queue (the next join number) with the subject's
        lock on the service, under a booking's subject condition. Raises AlreadyBooked, Suspended."""
        ...

    def offer_delayed_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """A delayed place is held for a waiting entry until `until` (it stays taken). Raises PlaceMoved
        (no longer delayed), EntryMoved (the entry no longer waiting)."""
        ...

    def hold_free_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """A free place is taken (R7's condition) and held for a waiting entry. Raises EntryMoved,
        SlotFull, NoSuchSlot."""
        ...

    def accept_offer(
        self, entry: Entry, booking: Booking, slot_ends_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """R18 with R7-R12: the offer (still held, before its deadline) becomes `booking` - the place
        leaves `held`, `booked` unchanged, the subject's lock kept. Raises EntryMoved, NoSuchSlot (the
        slot closed), Suspended."""
        ...

    def pass_offer_on(
        self, entry: Entry, status: EntryStatus, return_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """An offer ends unbooked (`status`): the entry ends, its lock freed, its place delayed again
        until `return_at`. Raises EntryMoved."""
        ...

    def return_to_pool(self, place: Place, now: datetime) -> None:
        """A delayed place becomes free (`booked` and `held` - 1). Raises PlaceMoved."""
        ...

    def end_entry(self, entry: Entry, status: EntryStatus, now: datetime, messages: list[Message]) -> None:
        """A waiting entry ends (`status`) and frees its lock. Raises EntryMoved."""
        ...

    def withdraw_place(self, place: Place, entry: Entry | None, now: datetime, messages: list[Message]) -> None:
        """A hall's closure: the place goes and the entry it was offered to ends. Raises PlaceMoved."""
        ...
