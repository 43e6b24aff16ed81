"""The catalog aggregate (R3, R4, R5): services, offices, regions and administrators' calendar years.

Small and read-mostly: one item per entity under a few partitions, read whole and cached per process
for a short time, so hot paths (booking, availability) cost no catalog reads.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from ..domain.calendar import WorkCalendar, YearEntries
from ..domain.errors import InvalidState
from ..domain.timetable import SlotTemplate, check_no_overlap
from ..i18n import N_
from .base import BaseMeta, Items, latest, setting, transact

CACHE_SECONDS = 30.0


class CatalogItem(Model):
    class Meta(BaseMeta):
        table_name = setting("catalog_table")

    pk = UnicodeAttribute(hash_key=True)  # SERVICE | OFFICE | REGION | CALENDAR
    sk = UnicodeAttribute(range_key=True)  # code | office_id | region | year
    body = UnicodeAttribute()  # the entity as JSON


@dataclass(frozen=True)
class Service:
    code: str
    name_zh: str
    name_en: str
    appointment_required: bool
    materials: list[str]
    notice: str
    category: str = ""
    minor_subject: bool = False  # R2: only a minor is its subject (booked by a guardian)
    minor_allowed: bool = True  # False: the seeds make it an adult's business (joining a spouse)
    materials_en: list[str] = field(default_factory=list)
    notice_en: str = ""


@dataclass(frozen=True)
class Closure:
    date: date
    reason: str


@dataclass(frozen=True)
class Office:
    office_id: str
    name: str
    region: str
    district: str
    address: str
    mode: str  # book_first | priority
    services: list[str]
    timetable: dict[str, list[SlotTemplate]]
    closures: list[Closure] = field(default_factory=list)
    name_en: str = ""
    phone: str = ""
    kind: str = ""  # district_centre | street_hall | police_station: the API's office `kind`

    @property
    def closed_days(self) -> frozenset[date]:
        return frozenset(c.date for c in self.closures)


@dataclass(frozen=True)
class Region:
    region: str
    name_zh: str
    booking_window_days: int


def service_from(data: dict) -> Service:
    return Service(
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        appointment_required=bool(data["appointment_required"]),
        materials=list(data.get("materials", [])),
        notice=data.get("notice", ""),
        category=data.get("category", ""),
        minor_subject=bool(data.get("minor_subject", False)),
        minor_allowed=bool(data.get("minor_allowed", True)),
        materials_en=list(data.get("materials_en", [])),
        notice_en=data.get("notice_en", ""),
    )


def office_from(data: dict) -> Office:
    timetable = {
        code: [SlotTemplate(tuple(t["days"]), t["start"], t["end"], int(t["capacity"])) for t in templates]
        for code, templates in data.get("timetable", {}).items()
    }
    for templates in timetable.values():
        check_no_overlap(templates)
    if data["mode"] not in ("book_first", "priority"):
        raise ValueError(f"mode must be book_first or priority, not {data['mode']!r}")
    return Office(
        office_id=data["office_id"],
        name=data["name"],
        region=data["region"],
        district=data["district"],
        address=data["address"],
        mode=data["mode"],
        services=list(data["services"]),
        timetable=timetable,
        closures=[Closure(date.fromisoformat(c["date"]), c.get("reason", "")) for c in data.get("closures", [])],
        name_en=data.get("name_en", ""),
        phone=data.get("phone", ""),
        kind=data.get("kind", ""),
    )


def body_of(entity: Service | Office) -> dict:
    """A service or hall as its item's JSON body (every field; days as YYYY-MM-DD): what is stored,
    what the administrators' routes and the audit log show, and what its ETag hashes."""
    return json.loads(json.dumps(asdict(entity), ensure_ascii=False, default=date.isoformat))


@dataclass
class Catalog:
    services: dict[str, Service]
    offices: dict[str, Office]
    regions: dict[str, Region]
    calendar: WorkCalendar

    def booking_window_days(self, office: Office) -> int:
        region = self.regions.get(office.region)
        return region.booking_window_days if region else 14


_cache: tuple[float, Catalog] | None = None
_lock = threading.Lock()


def load_catalog(max_age: float = CACHE_SECONDS) -> Catalog:
    """The whole catalog, read at most every `max_age` seconds per process."""
    global _cache
    with _lock:
        if _cache and time.monotonic() - _cache[0] < max_age:
            return _cache[1]
    bodies: dict[str, list[dict]] = {"SERVICE": [], "OFFICE": [], "REGION": [], "CALENDAR": []}
    for pk in bodies:
        bodies[pk] = [json.loads(item.body) for item in CatalogItem.query(pk)]
    catalog = Catalog(
        services={s["code"]: service_from(s) for s in bodies["SERVICE"]},
        offices={o["office_id"]: office_from(o) for o in bodies["OFFICE"]},
        regions={
            r["region"]: Region(r["region"], r.get("name_zh", ""), int(r["booking_window_days"]))
            for r in bodies["REGION"]
        },
        calendar=WorkCalendar(
            {
                int(c["year"]): YearEntries(
                    int(c["year"]),
                    frozenset(date.fromisoformat(d) for d in c.get("holidays", [])),
                    frozenset(date.fromisoformat(d) for d in c.get("workdays", [])),
                )
                for c in bodies["CALENDAR"]
            }
        ),
    )
    with _lock:
        _cache = (time.monotonic(), catalog)
    return catalog


def invalidate_cache() -> None:
    """The catalog changed (or local mode was reset): read it again, and forget the answers cached
    from the old one (availability, full slots: store/readcache.py)."""
    global _cache
    with _lock:
        _cache = None
    from . import readcache

    readcache.clear()


def put_entity(entity_type: str, key: str, body: dict) -> None:
    CatalogItem(entity_type, key, body=_dump(body)).save()
    invalidate_cache()


def get_entity(entity_type: str, key: str) -> dict | None:
    item = latest(CatalogItem, entity_type, key)
    return None if item is None else json.loads(item.body)


def put_service(data: dict) -> Service:
    service = service_from(data)
    put_entity("SERVICE", service.code, body_of(service))
    return service


def put_office(data: dict) -> Office:
    office = office_from(data)
    put_entity("OFFICE", office.office_id, body_of(office))
    return office


def put_region(region: str, name_zh: str, booking_window_days: int) -> None:
    put_entity("REGION", region, {"region": region, "name_zh": name_zh, "booking_window_days": booking_window_days})


def calendar_body(entries: YearEntries) -> dict:
    return {
        "year": entries.year,
        "holidays": sorted(d.isoformat() for d in entries.holidays),
        "workdays": sorted(d.isoformat() for d in entries.workdays),
    }


def _dump(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def etag(body: dict | None) -> str | None:
    """The entity's version as an HTTP entity tag: a hash of what is stored (None: absent)."""
    if body is None:
        return None
    return '"' + hashlib.sha256(_dump(body).encode()).hexdigest()[:24] + '"'


class ChangedMeanwhile(InvalidState):
    """The entity is no longer what the caller read: someone else changed it at the same moment."""


def put_entity_with(entity_type: str, key: str, body: dict, also: list[Model], before: dict | None) -> None:
    """Write an entity together with other items (its audit entry) in one transaction: the change
    is never recorded without its entry, nor the entry without the change. Only if the entity is
    still `before` (what the caller read, None: absent), so two administrators changing one hall at
    once cannot silently undo each other's change (ChangedMeanwhile, 409)."""
    unchanged = CatalogItem.pk.does_not_exist() if before is None else CatalogItem.body == _dump(before)

    def build(tx: Items) -> None:
        tx.put("entity", CatalogItem(entity_type, key, body=_dump(body)), unchanged)
        for n, item in enumerate(also):
            tx.put(f"also{n}", item)

    transact(
        build,
        {
            "entity": ChangedMeanwhile(
                N_(
                    "{entity} {key} was changed by someone else at the same moment; read it again and retry.",
                    entity=entity_type.lower(),
                    key=key,
                )
            )
        },
    )
    invalidate_cache()
