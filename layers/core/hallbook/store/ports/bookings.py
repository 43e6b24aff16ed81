"""The booking aggregate's port: what `services.bookings`, `services.reschedule` and their eligibility
checks (services/eligibility.py) read and write - bookings, subjects and slots, and the readers of the
catalog, guardian links and R22's counters they need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..base import Guard
    from ..bookings import Booking, RescheduleKey, Subject
    from ..catalog import Catalog
    from ..guardians import Guardians
    from ..outbox import Message
    from ..slots import SlotState
    from ..waitlist import Place


class BookingStore(Protocol):
    """The booking aggregate: bookings, their subjects (R9's lock, R11/R12's counters) and the slots'
    places they take, each change written with its outbox messages (R16) in one step."""

    def get_booking(self, booking_id: str) -> Booking | None: ...

    def get_subject(self, id_number: str) -> Subject: ...

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        """The idempotency probe, the subject and the slot, read together and strongly consistent."""
        ...

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
        """Take one place (`booked < capacity`, not closed: R7), the subject's lock on the service (R9;
        not suspended: R11, R12), the booking and its SMS, all or nothing. Raises ReplayedBooking (the
        id exists), SlotFull, NoSuchSlot (SlotFull when `slot_was_open`), AlreadyBooked, Suspended,
        GuardMoved."""
        ...

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
        """A `booked` booking as read (its `moves`) becomes cancelled with the subject's lock released,
        its R11 counter (optimistic on `subject`) and the SMS, all or nothing; the place is freed or,
        with `delayed_place`, stays taken as that place (R18, R19). Raises NotCancellable, BookingMoved,
        SubjectMoved."""
        ...

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
        """R8a: the new place taken and the old one kept as `delayed_place`, the booking moved (only if
        still `booked` where read), the Idempotency-Key's record and the SMS, all or nothing. Raises
        ReplayedReschedule, BookingMoved, SlotFull, NoSuchSlot."""
        ...

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None: ...

    def pseudonymise_for_account(self, account_id: str, pseudonym: Callable[[str], str]) -> int:
        """PIPL, an account's closure: in each booking it made that is no longer `booked`, the subject's ID
        number replaced by its pseudonym and a newborn's name removed; the number of bookings rewritten."""
        ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        """The account's bookings, newest first, a page at a time (cursor: the next page's)."""
        ...

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]:
        """Many subjects at once, strongly consistent (one with no record: an empty Subject)."""
        ...


class SlotReader(Protocol):
    def get_slot(self, office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
        """One slot as stored now (strongly consistent)."""
        ...

    def slots_between(
        self, office_id: str, service_code: str, first: date, last: date, consistent: bool = False
    ) -> list[SlotState]: ...


class CatalogReader(Protocol):
    def load_catalog(self, max_age: float = ...) -> Catalog: ...


class GuardianReader(Protocol):
    def get(self, minor_id_number: str) -> Guardians:
        """A minor's guardian links (none: an empty Guardians), strongly consistent."""
        ...


class FlagCounters(Protocol):
    """R22's advisory counters (services.flags)."""

    def record(
        self, pattern: str, key: str, subject: str, event: dict[str, Any], now: datetime
    ) -> list[dict[str, Any]]:
        """Add `event` to the pattern's events of `key`; the events kept."""
        ...

    def raise_flag(self, pattern: str, key: str, count: int, evidence: list[dict[str, Any]], now: datetime) -> bool:
        """Raise the flag unless it is raised already (True when this raised it)."""
        ...
