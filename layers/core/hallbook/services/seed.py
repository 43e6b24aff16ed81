"""Load the demo catalog (data/demo.json) into the catalog table, and local mode's logins and
demo residence permits: local mode and tests."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..clock import now
from ..domain.errors import IdTaken, PhoneTaken
from ..store import account_claims, catalog
from . import accounts, credentials, permits
from .tokens import Caller

ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "local-admin-pass"
STAFF_PASSWORD = "local-staff-pass"
OPERATOR_LOGIN, OPERATOR_PASSWORD = "operator", "local-operator-pass"


def load_demo_data(path: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    for region, info in data["regions"].items():
        catalog.put_region(region, info.get("name_zh", ""), int(info["booking_window_days"]))
    for service in data["services"]:
        catalog.put_service(service)
    for office in data["offices"]:
        catalog.put_office(office)
    catalog.invalidate_cache()
    return data


def seed_local_accounts(office_ids: list[str]) -> None:
    """Local mode's logins: `admin`, `operator` and `staff@<office_id>` for every demo office."""
    wanted: list[tuple[str, str, str, str, str | None]] = [
        (ADMIN_LOGIN, ADMIN_PASSWORD, "admin", "管理员", None),
        (OPERATOR_LOGIN, OPERATOR_PASSWORD, "operator", "114话务员", None),
    ]
    wanted += [(f"staff@{o}", STAFF_PASSWORD, "staff", f"{o} 窗口", o) for o in office_ids]
    hashes = {password: credentials.hasher().hash(password) for password in {w[1] for w in wanted}}  # each once
    for login, password, role, name, office_id in wanted:
        try:
            accounts.create_staff_account(login, password, role, name, office_id, now(), password_hash=hashes[password])
        except IdTaken:
            pass  # already seeded


# Local mode's demo citizens, each verified and holding a residence permit at a Haikou police station
# (R17). Expiry relative to the clock at seeding: 王海's renewal month is open, 林小梅's opens in about
# ten days, 陈琳's is months away (she can report a change of details or a lost permit).
DEMO_CITIZEN_PASSWORD = "local-citizen-1"
DEMO_PERMITS = [
    # name, ID number, phone, permit number, office, address, days until the permit expires
    (
        "王海",
        "460106199003152318",
        "13707980001",
        "HK2025000001",
        "hk-longhua-jinmao-ps",
        "海口市龙华区金贸西路20号3栋501",
        10,
    ),
    (
        "陈琳",
        "460108199207081825",
        "13707980002",
        "HK2025000002",
        "hk-meilan-haidian-ps",
        "海口市美兰区海甸五西路8号2单元302",
        200,
    ),
    (
        "林小梅",
        "460106198811224047",
        "13707980003",
        "HK2025000003",
        "hk-longhua-jinmao-ps",
        "海口市龙华区滨海大道105号1101",
        40,
    ),
]


def seed_local_permits(office_ids: list[str]) -> None:
    """The demo citizens (login: phone or ID number, password DEMO_CITIZEN_PASSWORD) with their permits,
    registered as an administrator would (audited, actor `seed`). Stations missing from the demo data
    are skipped; citizens already there are kept."""
    at = now()
    seeder = Caller(account_id="seed", role="admin")
    for name, id_number, phone, number, permit_office, address, days in DEMO_PERMITS:
        if permit_office not in office_ids:
            continue
        try:
            account = accounts.register(name, id_number, phone, DEMO_CITIZEN_PASSWORD, "zh", at)
            account_claims.mark_phone_verified(account, account.code_hash or "")
        except (IdTaken, PhoneTaken):
            pass  # already seeded
        valid_until = at.date() + timedelta(days=days)
        permits.put_permit(
            seeder,
            number,
            {
                "holder_id_number": id_number,
                "office_id": permit_office,
                "address": address,
                "valid_until": valid_until.isoformat(),
                "last_endorsed": (valid_until - timedelta(days=365)).isoformat(),
            },
            at,
        )
