"""The catalog aggregate in memory (store.ports.catalog.CatalogStore, and the booking path's
CatalogReader): the catalog's entities as the JSON bodies DynamoDB stores (so an ETag, a parse error and
an optimistic write are as there), the catalog rebuilt from them by store.catalog.catalog_of, and the day
plan on the booking fake's slots, under its lock (a slot's `booked` is the bookings', never touched)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ...domain.errors import InvalidState
from ...domain.timetable import Slot
from ...i18n import N_
from ..audit import AuditEntry
from ..bookings import Booking
from ..catalog import (
    PARTITIONS,
    Catalog,
    ChangedMeanwhile,
    body_of,
    calendar_body,
    catalog_of,
    etag,
    region_body,
)
from ..slots import SlotState
from .bookings import MemoryBookings


def bodies_of(catalog: Catalog) -> dict[tuple[str, str], dict[str, Any]]:
    """A catalog as the items store/catalog.py would hold for it."""
    calendar = catalog.calendar
    return {
        **{("SERVICE", code): body_of(s) for code, s in catalog.services.items()},
        **{("OFFICE", office_id): body_of(o) for office_id, o in catalog.offices.items()},
        **{("REGION", name): region_body(r) for name, r in catalog.regions.items()},
        **{("CALENDAR", str(y)): calendar_body(e) for y, e in calendar.admin_years.items()},
        **{
            ("CALENDAR", f"{y}#bundled"): {**calendar_body(e), "bundled": "holidays"}
            for y, e in calendar.bundled_years.items()
        },
        **{("DRAW", f"{r}#{c}"): d.body() for (r, c), d in catalog.draws.items()},
    }


class MemoryCatalog:
    """The catalog (`catalog`: as the services read it; assigning one replaces every entity) and the
    day plan of the booking fake's slots; `audit` holds the entries written with the entities."""

    def __init__(self, catalog: Catalog, bookings: MemoryBookings | None = None):
        self.bookings = bookings or MemoryBookings()
        self.bodies: dict[tuple[str, str], dict[str, Any]] = {}
        self.released: dict[tuple[str, date], str] = {}
        self.audit: list[AuditEntry] = []
        self._catalog: Catalog | None = None
        self.catalog = catalog

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = catalog_of(
                {pk: [b for (p, _), b in sorted(self.bodies.items()) if p == pk] for pk in PARTITIONS}
            )
        return self._catalog

    @catalog.setter
    def catalog(self, catalog: Catalog) -> None:
        self.bodies = bodies_of(catalog)
        self._catalog = catalog

    # ---------------------------------------------------------------- the entities

    def load_catalog(self, max_age: float = 0.0) -> Catalog:
        return self.catalog

    def get_entity(self, entity_type: str, key: str) -> dict[str, Any] | None:
        found = self.bodies.get((entity_type, key))
        return None if found is None else dict(found)

    def put_entity(self, entity_type: str, key: str, body: dict[str, Any]) -> None:
        with self.bookings.lock:
            self._put(entity_type, key, body)

    def put_audited(
        self, entity_type: str, key: str, body: dict[str, Any], note: AuditEntry, before: dict[str, Any] | None
    ) -> None:
        with self.bookings.lock:
            if etag(self.bodies.get((entity_type, key))) != etag(before):
                raise ChangedMeanwhile(
                    N_(
                        "{entity} {key} was changed by someone else at the same moment; read it again and retry.",
                        entity=entity_type.lower(),
                        key=key,
                    )
                )
            self._put(entity_type, key, body)
            self.audit.append(note)

    def _put(self, entity_type: str, key: str, body: dict[str, Any]) -> None:
        previous = self.bodies.get((entity_type, key))
        self.bodies[(entity_type, key)] = dict(body)
        try:
            self._catalog = None
            _ = self.catalog  # a body the catalog cannot read is refused, as no reader could load it
        except (KeyError, TypeError, ValueError, InvalidState):
            if previous is None:
                del self.bodies[(entity_type, key)]
            else:
                self.bodies[(entity_type, key)] = previous
            self._catalog = None
            raise

    def invalidate_cache(self) -> None:
        """Nothing is cached: every read answers the entities as they are."""

    # ---------------------------------------------------------------- the day plan

    def released_days(self, office_id: str, first: date, last: date) -> dict[date, str]:
        with self.bookings.lock:
            return {d: f for (o, d), f in self.released.items() if o == office_id and first <= d <= last}

    def mark_days_released(self, office_id: str, fingerprints: dict[date, str]) -> None:
        with self.bookings.lock:
            self.released.update({(office_id, d): f for d, f in fingerprints.items()})

    def existing_starts(self, office_id: str, service_code: str, first: date, last: date) -> set[tuple[date, str]]:
        return {(s.date, s.start) for s in self.bookings.slots_between(office_id, service_code, first, last)}

    def create_unopened_slots(self, office_id: str, slots: list[Slot]) -> int:
        with self.bookings.lock:
            for slot in slots:
                self.bookings.slots[(office_id, slot.service_code, slot.day, slot.start)] = _new(office_id, slot)
        return len(slots)

    def create_slots_if_missing(self, office_id: str, slots: list[Slot]) -> int:
        written = 0
        with self.bookings.lock:
            for slot in slots:
                key = (office_id, slot.service_code, slot.day, slot.start)
                if key not in self.bookings.slots:
                    self.bookings.slots[key] = _new(office_id, slot)
                    written += 1
        return written

    def set_capacity_keeping_bookings(
        self, office_id: str, service_code: str, day: date, start: str, capacity: int, end: str | None = None
    ) -> tuple[SlotState, SlotState] | None:
        with self.bookings.lock:
            before = self.bookings.slots.get((office_id, service_code, day, start))
            if before is None:
                return None
            return self._retime(before, capacity, end)

    def retime_slot(
        self, state: SlotState, capacity: int | None, end: str | None = None
    ) -> tuple[SlotState, SlotState] | None:
        with self.bookings.lock:
            current = self.bookings.slots.get((state.office_id, state.service_code, state.date, state.start))
            if current is None:
                return None
            return state, self._retime(current, capacity, end or state.end)[1]

    def retime_slots(self, changes: list[tuple[SlotState, int | None, str | None]]) -> int:
        return sum(self.retime_slot(state, capacity, end) is not None for state, capacity, end in changes)

    def _retime(self, current: SlotState, capacity: int | None, end: str | None) -> tuple[SlotState, SlotState]:
        if capacity is None:
            after = replace(current, closed=True)
        else:
            after = replace(current, capacity=capacity, end=end or current.end, closed=False)
        self.bookings.slots[(current.office_id, current.service_code, current.date, current.start)] = after
        return current, after

    def close_slots_of_day(self, office_id: str, service_codes: list[str], day: date) -> list[SlotState]:
        with self.bookings.lock:
            closed = []
            for key, slot in sorted(self.bookings.slots.items(), key=lambda kv: (kv[0][1], kv[0][3])):
                if key[0] == office_id and key[1] in service_codes and key[2] == day:
                    self.bookings.slots[key] = replace(slot, closed=True)
                    closed.append(self.bookings.slots[key])
            order = {code: n for n, code in enumerate(service_codes)}
            return sorted(closed, key=lambda s: (order[s.service_code], s.start))

    def bookings_of_day(self, office_id: str, day: date) -> list[Booking]:
        with self.bookings.lock:
            return [b for b in self.bookings.bookings.values() if (b.office_id, b.date) == (office_id, day)]


def _new(office_id: str, slot: Slot) -> SlotState:
    return SlotState(office_id, slot.service_code, slot.day, slot.start, slot.end, slot.capacity, 0, False)
