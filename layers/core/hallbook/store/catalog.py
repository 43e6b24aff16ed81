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

from ..domain.booking_window import DEFAULT_WINDOW_DAYS
from ..domain.calendar import WorkCalendar, YearEntries
from ..domain.errors import InvalidState
from ..domain.timetable import SlotTemplate, check_no_overlap
from ..i18n import N_
from .base import BaseMeta, Items, latest, setting, transact

CACHE_SECONDS = 30.0


class CatalogItem(Model):
    class Meta(BaseMeta):
        table_name = setting("catalog_table")

    pk = UnicodeAttribute(hash_key=True)  # SERVICE | OFFICE | REGION | CALENDAR | DRAW
    sk = UnicodeAttribute(range_key=True)  # code | office_id | region | year | <region>#<service code>
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
    subject: str = "self_or_minor"  # R2: whom it is for - self | minor | newborn | self_or_minor


SUBJECTS = ("self", "minor", "newborn", "self_or_minor")


def service_subject(data: dict) -> str:
    """R2: a service's `subject`; without one (older bodies), from minor_subject/minor_allowed."""
    subject = data.get("subject")
    if subject is None:
        if data.get("minor_subject"):
            return "minor"
        return "self_or_minor" if data.get("minor_allowed", True) else "self"
    if subject not in SUBJECTS:
        raise ValueError(
            N_("subject must be one of {allowed}, not {value}.", allowed=list(SUBJECTS), value=str(subject))
        )
    return str(subject)


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
    # R15a: a skipped ticket comes back after this many calls; the board's announcements
    skip_returns_after: int = 3
    board_sound: str = "off"  # off | zh | zh_en: the board says each call aloud (Chinese, then English)

    @property
    def closed_days(self) -> frozenset[date]:
        return frozenset(c.date for c in self.closures)


@dataclass(frozen=True)
class Region:
    region: str
    name_zh: str
    booking_window_days: int


def service_from(data: dict) -> Service:
    subject = service_subject(data)
    return Service(
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        appointment_required=bool(data["appointment_required"]),
        materials=list(data.get("materials", [])),
        notice=data.get("notice", ""),
        category=data.get("category", ""),
        minor_subject=subject == "minor",  # kept in step with `subject`
        minor_allowed=subject in ("minor", "self_or_minor"),
        materials_en=list(data.get("materials_en", [])),
        notice_en=data.get("notice_en", ""),
        subject=subject,
    )


def office_from(data: dict) -> Office:
    timetable = {
        code: [SlotTemplate(tuple(t["days"]), t["start"], t["end"], int(t["capacity"])) for t in templates]
        for code, templates in data.get("timetable", {}).items()
    }
    for templates in timetable.values():
        check_no_overlap(templates)
    if data["mode"] not in ("book_first", "priority"):
        raise ValueError(N_("mode must be book_first or priority, not {value}.", value=str(data["mode"])))
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
        skip_returns_after=int(data.get("skip_returns_after", 3)),
        board_sound=_board_sound(data.get("board_sound", "off")),
    )


BOARD_SOUNDS = ("off", "zh", "zh_en")


def _board_sound(value: str) -> str:
    if value not in BOARD_SOUNDS:
        raise ValueError(
            N_("board_sound must be one of {allowed}, not {value}.", allowed=list(BOARD_SOUNDS), value=str(value))
        )
    return value


def body_of(entity: Service | Office) -> dict:
    """A service or hall as its item's JSON body (every field; days as YYYY-MM-DD): what is stored,
    what the administrators' routes and the audit log show, and what its ETag hashes."""
    return json.loads(json.dumps(asdict(entity), ensure_ascii=False, default=date.isoformat))


@dataclass(frozen=True)
class DrawSetting:
    """R23: a service drawn in a region (hallbook.domain.draw) for the days from `from_day` (the first
    the noon release opened after it was marked) up to `until_day` (the last opened before it was
    unmarked; None while it is marked)."""

    region: str
    service_code: str
    entry_minutes: int
    from_day: date
    until_day: date | None = None
    changed_at: str = ""

    def covers(self, day: date) -> bool:
        return self.from_day <= day and (self.until_day is None or day <= self.until_day)

    def body(self) -> dict:
        return {
            "region": self.region,
            "service_code": self.service_code,
            "entry_minutes": self.entry_minutes,
            "from_day": self.from_day.isoformat(),
            "until_day": self.until_day.isoformat() if self.until_day else None,
            "changed_at": self.changed_at,
        }


def draw_setting_from(data: dict) -> DrawSetting:
    return DrawSetting(
        data["region"],
        data["service_code"],
        int(data["entry_minutes"]),
        date.fromisoformat(data["from_day"]),
        date.fromisoformat(data["until_day"]) if data.get("until_day") else None,
        data.get("changed_at", ""),
    )


@dataclass
class Catalog:
    services: dict[str, Service]
    offices: dict[str, Office]
    regions: dict[str, Region]
    calendar: WorkCalendar
    draws: dict[tuple[str, str], DrawSetting] = field(default_factory=dict)  # (region, service code): R23

    def booking_window_days(self, office: Office) -> int:
        region = self.regions.get(office.region)
        return region.booking_window_days if region else DEFAULT_WINDOW_DAYS

    def drawn(self, office: Office, service_code: str, day: date) -> DrawSetting | None:
        """R23: the draw setting that makes `day` of this hall's service a drawn day, if one does."""
        setting = self.draws.get((office.region, service_code))
        return setting if setting is not None and setting.covers(day) else None


_cache: tuple[float, Catalog] | None = None
_lock = threading.Lock()


def load_catalog(max_age: float = CACHE_SECONDS) -> Catalog:
    """The whole catalog, read at most every `max_age` seconds per process."""
    global _cache
    with _lock:
        if _cache and time.monotonic() - _cache[0] < max_age:
            return _cache[1]
    bodies: dict[str, list[dict]] = {pk: [] for pk in PARTITIONS}
    for pk in bodies:
        bodies[pk] = [json.loads(item.body) for item in CatalogItem.query(pk)]
    catalog = catalog_of(bodies)
    with _lock:
        _cache = (time.monotonic(), catalog)
    return catalog


PARTITIONS = ("SERVICE", "OFFICE", "REGION", "CALENDAR", "DRAW")


def catalog_of(bodies: dict[str, list[dict]]) -> Catalog:
    """The catalog from its items' bodies by partition (what load_catalog reads; the in-memory fake's too)."""
    return Catalog(
        services={s["code"]: service_from(s) for s in bodies["SERVICE"]},
        offices={o["office_id"]: office_from(o) for o in bodies["OFFICE"]},
        regions={
            r["region"]: Region(r["region"], r.get("name_zh", ""), int(r["booking_window_days"]))
            for r in bodies["REGION"]
        },
        calendar=WorkCalendar(
            {int(c["year"]): _year_entries(c) for c in bodies["CALENDAR"] if not c.get("bundled")},
            {int(c["year"]): _year_entries(c) for c in bodies["CALENDAR"] if c.get("bundled")},
        ),
        draws={(d["region"], d["service_code"]): draw_setting_from(d) for d in bodies["DRAW"]},
    )


def _year_entries(body: dict) -> YearEntries:
    return YearEntries(
        int(body["year"]),
        frozenset(date.fromisoformat(d) for d in body.get("holidays", [])),
        frozenset(date.fromisoformat(d) for d in body.get("workdays", [])),
    )


def bundled_key(year: int) -> str:
    """The CALENDAR item of a year's schedule from the `holidays` package (the administrator's is `year`)."""
    return f"{year}#bundled"


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
    put_entity("REGION", region, region_body(Region(region, name_zh, booking_window_days)))


def region_body(region: Region) -> dict:
    return {"region": region.region, "name_zh": region.name_zh, "booking_window_days": region.booking_window_days}


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
