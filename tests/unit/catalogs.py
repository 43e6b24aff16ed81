"""Test catalogs for the services' tests on the in-memory stores: a service, a hall with its timetable
and the catalog that holds them, built through the store's own parsers (service_from, office_from) as
an administrator's PUT would be."""

from __future__ import annotations

from typing import Any

from hallbook.domain.calendar import WorkCalendar
from hallbook.store.catalog import Catalog, Region, office_from, service_from

WEEKDAYS = [1, 2, 3, 4, 5]


def service(code: str, required: bool = True, subject: str = "self_or_minor") -> dict[str, Any]:
    return {
        "code": code,
        "name_zh": code,
        "name_en": code,
        "appointment_required": required,
        "materials": [],
        "notice": "",
        "subject": subject,
    }


def slots(*times: tuple[str, str, int]) -> list[dict[str, Any]]:
    """Weekday slots (start, end, capacity)."""
    return [{"days": WEEKDAYS, "start": start, "end": end, "capacity": capacity} for start, end, capacity in times]


def hall(
    office_id: str,
    services: list[str],
    timetable: dict[str, list[dict[str, Any]]],
    *,
    mode: str = "priority",
    name: str = "测试大厅",
    name_en: str = "Test hall",
    region: str = "shenzhen",
) -> dict[str, Any]:
    district, address = (
        ("龙华区", "海口市龙华区测试路1号") if region == "haikou" else ("福田区", "深圳市福田区测试路1号")
    )
    return {
        "office_id": office_id,
        "name": name,
        "name_en": name_en,
        "region": region,
        "district": district,
        "address": address,
        "mode": mode,
        "services": services,
        "timetable": timetable,
    }


REGIONS = {"shenzhen": Region("shenzhen", "深圳", 14), "haikou": Region("haikou", "海口", 14)}


def catalog(services: list[dict[str, Any]], halls: list[dict[str, Any]]) -> Catalog:
    return Catalog(
        services={s["code"]: service_from(s) for s in services},
        offices={h["office_id"]: office_from(h) for h in halls},
        regions={name: REGIONS[name] for name in {h["region"] for h in halls}},
        calendar=WorkCalendar(),
    )
