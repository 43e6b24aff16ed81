"""The noon's negative cache (store/readcache.py) as a layer around the booking rule: `with_noon_cache(rule)`
runs the rule on its stores wrapped so that, before each DynamoDB request the rule makes, a slot this
environment saw full less than a second ago is refused (SLOT_FULL) without that request, and what the
reads and the transaction show is remembered.

The transaction's condition is what guards R7; this only saves reads, and the failed conditions that
still cost a write. The slot is asked about again before each request, since another request of the
environment may have filled it meanwhile:

1. before the account's read (the rule's first I/O, after its checks without I/O): refused if seen
   full; a day with a slot seen full in the last minute is read whole at most once a second
   (readcache.claim_day_read, services.catalog.learn_full_slots), then asked again;
2. before the one read of the booking's items (store.bookings.read_for_booking): refused if seen
   full; a read that finds no place left marks the slot;
3. before the transaction: refused if seen full; a transaction that fails on the slot marks it, one
   that takes its last place marks it too (and remembers the booking, so its own retry with the same
   Idempotency-Key still finds it), and any booking made drops the hall-service's cached availability.

Each refusal counts `FullSlotCacheRefusals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from .. import telemetry
from ..domain import errors
from ..domain.booking import booking_id_for
from ..store import readcache
from ..store.stores import layered, stores
from .catalog import get_office, parse_day

if TYPE_CHECKING:
    from ..store.accounts import Account
    from ..store.base import Guard
    from ..store.bookings import Booking, RescheduleKey, Subject
    from ..store.outbox import Message
    from ..store.ports.accounts import AccountReader
    from ..store.ports.bookings import BookingStore
    from ..store.slots import SlotState
    from ..store.waitlist import Place
    from .bookings import BookingRequest
    from .tokens import Caller


class BookingRule(Protocol):
    def __call__(
        self,
        caller: Caller,
        request: BookingRequest,
        idempotency_key: str | None,
        now: datetime,
        copy_to: tuple[tuple[str, str, str], ...] = (),
        guard: Guard | None = None,
    ) -> tuple[Booking, bool]: ...


def with_noon_cache(rule: BookingRule) -> BookingRule:
    """`rule`, run on stores that consult and feed this environment's noon caches."""

    def book(
        caller: Caller,
        request: BookingRequest,
        idempotency_key: str | None,
        now: datetime,
        copy_to: tuple[tuple[str, str, str], ...] = (),
        guard: Guard | None = None,
    ) -> tuple[Booking, bool]:
        inner = stores()
        watch = _Watch(request, lambda: booking_id_for(caller.account_id, idempotency_key) if idempotency_key else None)
        cached = replace(inner, accounts=_Accounts(inner.accounts, watch), bookings=_Bookings(inner.bookings, watch))
        with layered(cached):
            return rule(caller, request, idempotency_key, now, copy_to, guard)

    book.__doc__ = rule.__doc__
    return book


class _Watch:
    """The slot one booking asks for, as the noon caches know it. Its fields are read only once the
    rule checked the request (the rule's first I/O comes after its checks)."""

    def __init__(self, request: BookingRequest, booking_id: Callable[[], str | None]):
        self.request = request
        self._booking_id = booking_id
        self.slot_read: SlotState | None = None

    @property
    def office_id(self) -> str:
        return self.request.office_id  # the catalog's key: the hall's own id

    @property
    def day(self) -> date:
        return parse_day(self.request.date, "date")

    def refuse_if_seen_full(self, booking_id: str | None) -> None:
        """Seen full here less than a second ago (and not taken by this very booking): SLOT_FULL."""
        request = self.request
        if readcache.seen_full(self.office_id, request.service_code, self.day, request.start) and not (
            booking_id and readcache.booked_here(booking_id)
        ):
            telemetry.count("FullSlotCacheRefusals")
            raise errors.SlotFull("That slot is fully booked; please choose another.")

    def before_first_read(self) -> None:
        from .catalog import learn_full_slots

        booking_id = self._booking_id()
        self.refuse_if_seen_full(booking_id)
        office_id, service_code, day = self.office_id, self.request.service_code, self.day
        if readcache.claim_day_read(office_id, service_code, day):  # the day had a full slot a moment ago
            catalog = stores().catalog.load_catalog()
            learn_full_slots(get_office(office_id, catalog), service_code, day)
            self.refuse_if_seen_full(booking_id)

    def mark_full(self) -> None:
        readcache.mark_full(self.office_id, self.request.service_code, self.day, self.request.start)


class _Accounts:
    """The account read is the booking rule's first I/O: the cache is asked before it."""

    def __init__(self, inner: AccountReader, watch: _Watch):
        self._inner, self._watch = inner, watch

    def get_account(self, account_id: str) -> Account | None:
        return self._inner.get_account(account_id)

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        return self._inner.get_accounts(account_ids)

    def get_verified_citizen(self, account_id: str) -> Account | None:
        self._watch.before_first_read()
        return self._inner.get_verified_citizen(account_id)


class _Bookings:
    def __init__(self, inner: BookingStore, watch: _Watch):
        self._inner, self._watch = inner, watch

    def get_booking(self, booking_id: str) -> Booking | None:
        return self._inner.get_booking(booking_id)

    def get_subject(self, id_number: str) -> Subject:
        return self._inner.get_subject(id_number)

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]:
        return self._inner.get_subjects(id_numbers)

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        self._watch.refuse_if_seen_full(booking_id)
        existing, subject, slot = self._inner.read_for_booking(
            booking_id, id_number, office_id, service_code, day, start
        )
        self._watch.slot_read = slot
        if existing is None and slot is not None and not slot.closed and slot.remaining <= 0:
            self._watch.mark_full()
        return existing, subject, slot

    def book_slot(
        self,
        booking: Booking,
        message: Message,
        now: datetime,
        slot_ends_at: datetime,
        also: tuple[Message, ...] = (),
        slot_was_open: bool = False,
        guard: Guard | None = None,
    ) -> None:
        self._watch.refuse_if_seen_full(booking.booking_id)
        try:
            self._inner.book_slot(booking, message, now, slot_ends_at, also, slot_was_open, guard)
        except errors.SlotFull:
            self._watch.mark_full()
            raise
        readcache.forget_availability(booking.office_id, booking.service_code)
        slot = self._watch.slot_read
        if slot is not None and slot.booked + 1 >= slot.capacity:  # the last place: the next attempts need no read
            self._watch.mark_full()
            readcache.remember_booking(booking.booking_id)  # its own retry (same Idempotency-Key) still finds it

    def cancel_booking(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        by: str,
        reason: str | None,
        messages: list[Message],
        count_against_subject: bool,
        delayed_place: Place | None = None,
    ) -> None:
        self._inner.cancel_booking(booking, subject, now, by, reason, messages, count_against_subject, delayed_place)

    def move_booking(
        self,
        booking: Booking,
        moved: Booking,
        now: datetime,
        slot_ends_at: datetime,
        messages: list[Message],
        delayed_place: Place,
        key_id: str | None = None,
    ) -> None:
        self._inner.move_booking(booking, moved, now, slot_ends_at, messages, delayed_place, key_id)

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None:
        return self._inner.get_reschedule_key(key_id)

    def pseudonymise_for_account(self, account_id: str, pseudonym: Callable[[str], str]) -> int:
        return self._inner.pseudonymise_for_account(account_id, pseudonym)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        return self._inner.list_for_account(account_id, limit, cursor)
