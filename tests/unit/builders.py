"""What the services' tests on the in-memory stores build: a service, a hall with its timetable and the
catalog that holds them (through the store's own parsers, service_from and office_from, as an
administrator's PUT would be), and test accounts (`person`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hallbook.domain.calendar import WorkCalendar
from hallbook.store.accounts import Account
from hallbook.store.catalog import Catalog, Region, office_from, service_from
from tests.idnumbers import id_number

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


def person(
    n: int,
    created_at: datetime,
    *,
    born: str = "19900101",
    area: str = "440305",
    phone: str | None = None,
    phone_prefix: str = "138",
    name: str = "张三",
    role: str = "citizen",
    office_id: str | None = None,
    phone_verified: bool = True,
    lang: str = "zh",
    identity_verified: bool = True,
    password_hash: str = "",
    with_id_number: bool = True,
) -> Account:
    """The n-th test account, with an ID number (GB 11643, tests/idnumbers.py) of someone born in `area`
    on `born` unless `with_id_number` is false."""
    return Account(
        account_id=f"acc-{n}",
        name=name,
        id_number=id_number(area, born, f"{n % 1000:03d}") if with_id_number else None,
        phone=phone or f"{phone_prefix}{n:08d}",
        password_hash=password_hash,
        phone_verified=phone_verified,
        role=role,
        office_id=office_id,
        lang=lang,
        created_at=created_at.isoformat(),
        identity_verified=identity_verified,
    )
