"""Load the demo catalogue (data/demo.json) into the catalogue table: local mode and tests."""
from __future__ import annotations

import json
from pathlib import Path

from ..clock import now
from ..domain.errors import IdTaken
from ..store import catalog
from . import accounts

ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "local-admin-pass"
STAFF_PASSWORD = "local-staff-pass"
OPERATOR_LOGIN, OPERATOR_PASSWORD = "operator", "local-operator-pass"


def load_demo_data(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for region, info in data["regions"].items():
        catalog.put_region(region, info.get("name_zh", ""), int(info["window_days"]))
    for service in data["services"]:
        catalog.put_service(service)
    for office in data["offices"]:
        catalog.put_office(office)
    catalog.invalidate_cache()
    return data


def seed_local_accounts(office_ids: list[str]) -> None:
    """Local mode's logins: `admin`, `operator` and `staff@<office_id>` for every demo office."""
    wanted = [(ADMIN_LOGIN, ADMIN_PASSWORD, "admin", "管理员", None),
              (OPERATOR_LOGIN, OPERATOR_PASSWORD, "operator", "114话务员", None)]
    wanted += [(f"staff@{o}", STAFF_PASSWORD, "staff", f"{o} 窗口", o) for o in office_ids]
    for login, password, role, name, office_id in wanted:
        try:
            accounts.create_staff_account(login, password, role, name, office_id, now())
        except IdTaken:
            pass  # already seeded
