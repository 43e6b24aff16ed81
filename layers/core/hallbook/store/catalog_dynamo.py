"""The catalog aggregate on DynamoDB as store.ports.catalog.CatalogStore: store/catalog.py's entities and
store/slots.py's day plan, as they are (one object, so that the services reach both through
`stores().catalog_admin`). Each method reads its module's function when called, so a test that replaces
one replaces it here."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.timetable import Slot
from . import catalog, slots
from .audit import AuditEntry, entry_item
from .bookings import Booking, get_bookings, office_day_bookings
from .catalog import Catalog
from .slots import SlotState


class DynamoCatalog:
    def load_catalog(self, max_age: float = catalog.CACHE_SECONDS) -> Catalog:
        return catalog.load_catalog(max_age)

    def get_entity(self, entity_type: str, key: str) -> dict[str, Any] | None:
        return catalog.get_entity(entity_type, key)

    def put_entity(self, entity_type: str, key: str, body: dict[str, Any]) -> None:
        catalog.put_entity(entity_type, key, body)

    def put_audited(
        self, entity_type: str, key: str, body: dict[str, Any], note: AuditEntry, before: dict[str, Any] | None
    ) -> None:
        catalog.put_entity_with(entity_type, key, body, [entry_item(note)], before)

    def invalidate_cache(self) -> None:
        catalog.invalidate_cache()

    def released_days(self, office_id: str, first: date, last: date) -> dict[date, str]:
        return slots.released_days(office_id, first, last)

    def mark_days_released(self, office_id: str, fingerprints: dict[date, str]) -> None:
        slots.mark_days_released(office_id, fingerprints)

    def existing_starts(self, office_id: str, service_code: str, first: date, last: date) -> set[tuple[date, str]]:
        return slots.existing_starts(office_id, service_code, first, last)

    def create_unopened_slots(self, office_id: str, planned: list[Slot]) -> int:
        return slots.create_unopened_slots(office_id, planned)

    def create_slots_if_missing(self, office_id: str, planned: list[Slot]) -> int:
        return slots.create_slots_if_missing(office_id, planned)

    def set_capacity_keeping_bookings(
        self, office_id: str, service_code: str, day: date, start: str, capacity: int, end: str | None = None
    ) -> tuple[SlotState, SlotState] | None:
        return slots.set_capacity_keeping_bookings(office_id, service_code, day, start, capacity, end)

    def retime_slot(
        self, state: SlotState, capacity: int | None, end: str | None = None
    ) -> tuple[SlotState, SlotState] | None:
        return slots.retime_slot(state, capacity, end)

    def retime_slots(self, changes: list[tuple[SlotState, int | None, str | None]]) -> int:
        return slots.retime_slots(changes)

    def close_slots_of_day(self, office_id: str, service_codes: list[str], day: date) -> list[SlotState]:
        return slots.close_slots_of_day(office_id, service_codes, day)

    def bookings_of_day(self, office_id: str, day: date) -> list[Booking]:
        return get_bookings(office_day_bookings(office_id, day))
