"""The catalog aggregate's port (R3-R6): what the administrators' services (services/catalog_admin.py,
timetables.py, calendar_years.py, closures.py, draw_settings.py) and the day plan (services/release.py,
calendar_sync.py, day_cancellation.py) write - the catalog's entities, each with its audit entry, and the
released slots of the halls' days, whose bookings are never dropped."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ...domain.timetable import Slot
    from ..audit import AuditEntry
    from ..bookings import Booking
    from ..catalog import Catalog
    from ..slots import SlotState


class CatalogStore(Protocol):
    """The catalog's entities (SERVICE, OFFICE, REGION, CALENDAR, DRAW: one JSON body each, its ETag a
    hash of it) and the day plan: the released slots and the record of the days released (R6)."""

    def load_catalog(self, max_age: float = ...) -> Catalog:
        """The whole catalog (max_age 0: as stored now)."""
        ...

    def get_entity(self, entity_type: str, key: str) -> dict[str, Any] | None: ...

    def put_entity(self, entity_type: str, key: str, body: dict[str, Any]) -> None:
        """Unconditionally (a bundled year's schedule, which only the noon run writes)."""
        ...

    def put_audited(
        self, entity_type: str, key: str, body: dict[str, Any], note: AuditEntry, before: dict[str, Any] | None
    ) -> None:
        """The entity and its audit entry, all or nothing, only while the entity is still `before` (None:
        absent). Raises store.catalog.ChangedMeanwhile."""
        ...

    def invalidate_cache(self) -> None:
        """This process's cached catalog and the answers derived from it are read again."""
        ...

    # ---------------------------------------------------------------- the day plan (R6)

    def released_days(self, office_id: str, first: date, last: date) -> dict[date, str]:
        """The hall's days released from `first` to `last`, with their plan's fingerprint."""
        ...

    def mark_days_released(self, office_id: str, fingerprints: dict[date, str]) -> None: ...

    def existing_starts(self, office_id: str, service_code: str, first: date, last: date) -> set[tuple[date, str]]:
        """(day, start) of the slots already released."""
        ...

    def create_unopened_slots(self, office_id: str, slots: list[Slot]) -> int:
        """Slots of days nobody can book yet, written unread (a put over an existing one, places 0)."""
        ...

    def create_slots_if_missing(self, office_id: str, slots: list[Slot]) -> int:
        """Slots of days that may be open: one that exists is never touched. How many were written."""
        ...

    def set_capacity_keeping_bookings(
        self, office_id: str, service_code: str, day: date, start: str, capacity: int, end: str | None = None
    ) -> tuple[SlotState, SlotState] | None:
        """A released slot's capacity and end become these and it opens; `booked` is never touched.
        (before, after), or None when it does not exist."""
        ...

    def retime_slot(
        self, state: SlotState, capacity: int | None, end: str | None = None
    ) -> tuple[SlotState, SlotState] | None:
        """A slot as read: `capacity` None closes it, otherwise capacity and end become these and it
        opens; `booked` is never touched (a slot left with more bookings than places is full). (before as
        read, after), or None when it is gone."""
        ...

    def retime_slots(self, changes: list[tuple[SlotState, int | None, str | None]]) -> int:
        """retime_slot for many. How many were written."""
        ...

    def close_slots_of_day(self, office_id: str, service_codes: list[str], day: date) -> list[SlotState]:
        """Every released slot of the hall's day closed (no booking can take it), each as closed: its
        `booked` then final. Idempotent."""
        ...

    def bookings_of_day(self, office_id: str, day: date) -> list[Booking]:
        """The hall's bookings of the day, every status (the index behind it may lag a booking just made)."""
        ...
