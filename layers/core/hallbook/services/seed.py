"""Load the demo catalogue (data/demo.json) into the catalogue table: local mode and tests."""
from __future__ import annotations

import json
from pathlib import Path

from ..store import catalog


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
