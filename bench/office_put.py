"""PUT /v1/offices/{office_id} for the largest demo hall: local mode with the demo data and
the booking window released, some bookings on its slots, then an administrator changes every capacity
of gz-tianhe-centre (one place fewer on each row, so slots holding more bookings than their new
capacity exist) through the gateway, as the console does. Measured: the request's wall time; checked:
no booking lost, every counter equal to its bookings.

`python -m bench.office_put` runs it alone (seconds) and updates `office_put_seconds` in
bench/results.json; `make bench` runs it with the rest."""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

OFFICE = "gz-tianhe-centre"
NOW = "2026-09-14T09:00+08:00"


def _shrunk(body: dict[str, Any]) -> dict[str, Any]:
    """The hall as an administrator sends it back: every capacity one lower (at least 1)."""
    timetable = {
        code: [{**row, "capacity": max(1, int(row["capacity"]) - 1)} for row in rows]
        for code, rows in body["timetable"].items()
    }
    keep = ("name", "name_en", "region", "district", "address", "mode", "services", "phone", "kind")
    return {**{k: body[k] for k in keep if k in body}, "timetable": timetable}


def book_some(office_id: str, bookings: int) -> int:
    """Fill the first slots of tomorrow's services with bookings (in the store, as citizens would)."""
    from hallbook.clock import now
    from hallbook.services import accounts
    from hallbook.services import bookings as booking_service
    from hallbook.services.tokens import Caller
    from hallbook.store import account_claims
    from hallbook.store import slots as slot_store
    from hallbook.store.catalog import load_catalog
    from tests.idnumbers import id_number

    catalog = load_catalog(max_age=0)
    office = catalog.offices[office_id]
    day = now().date() + timedelta(days=1)
    made = 0
    for i in range(bookings):
        person = id_number("440106", f"1970{1 + i // 28:02d}{1 + i % 28:02d}", f"{i % 1000:03d}")
        account = accounts.register("测试", person, f"137{i:08d}", "bench-pass-1", "zh", now())
        account_claims.mark_phone_verified(account, account.code_hash)
        caller = Caller(account.account_id, "citizen", None, True)
        for code in office.services:
            if code not in office.timetable or not catalog.services[code].appointment_required:
                continue
            free = [s for s in slot_store.slots_between(office_id, code, day, day) if s.remaining > 0]
            if not free:
                continue
            request = booking_service.BookingRequest(office_id, code, day.isoformat(), free[0].start, True)
            try:
                booking_service.book(caller, request, f"bench-put-{i}", now())
                made += 1
                break
            except Exception:  # noqa: BLE001 - a refusal (limits, minors' services): try the next service
                continue
    return made


def counters_agree(office_id: str) -> tuple[int, int]:
    """(bookings still booked on the hall's slots, slots whose bookings differ from their counter)."""
    from hallbook.clock import now
    from hallbook.domain.booking import Status
    from hallbook.store import bookings as booking_store
    from hallbook.store import slots as slot_store
    from hallbook.store.catalog import load_catalog

    office = load_catalog(max_age=0).offices[office_id]
    first = now().date()
    booked, wrong = 0, 0
    for day in (first + timedelta(days=i) for i in range(1, 17)):
        found = booking_store.get_bookings(booking_store.office_day_bookings(office_id, day))
        live = [b for b in found if b.status == Status.BOOKED.value]
        booked += len(live)
        for code in office.timetable:
            for slot in slot_store.slots_between(office_id, code, day, day, consistent=True):
                n = sum(1 for b in live if b.service_code == code and b.start == slot.start)
                wrong += n != slot.bookings
    return booked, wrong


def office_put_bench(system: Any, office: str = OFFICE, bookings: int = 40) -> dict[str, float]:
    """The hall's PUT through the gateway, with `bookings` bookings on its slots first."""
    admin = system.gateway.invoke("POST", "/v1/sessions", body={"login": "admin", "password": "local-admin-pass"})
    if admin.status != 200:  # not seeded (the quick run): the administrator local mode seeds
        from hallbook.clock import now
        from hallbook.services import accounts

        accounts.create_staff_account("admin", "local-admin-pass", "admin", "管理员", None, now())
        admin = system.gateway.invoke("POST", "/v1/sessions", body={"login": "admin", "password": "local-admin-pass"})
    token = admin.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    made = book_some(office, bookings)
    system.pump.drain()
    booked_before, _ = counters_agree(office)
    got = system.gateway.invoke("GET", f"/v1/offices/{office}", headers=auth)
    body, tag = got.json(), got.headers.get("etag", "")
    rows = sum(len(v) for v in body["timetable"].values())
    t0 = time.perf_counter()
    put = system.gateway.invoke("PUT", f"/v1/offices/{office}", headers={**auth, "If-Match": tag}, body=_shrunk(body))
    seconds = time.perf_counter() - t0
    if put.status != 200:
        raise RuntimeError(f"PUT answered {put.status}: {put.body[:500]!r}")
    t1 = time.perf_counter()
    system.pump.drain()  # the slots' job, if any, runs to its end
    settle = time.perf_counter() - t1
    booked_after, wrong = counters_agree(office)
    return {
        "office_put_seconds": seconds,
        "office_put_settle_seconds": settle,
        "office_put_timetable_rows": rows,
        "office_put_bookings": made,
        "office_put_bookings_lost": booked_before - booked_after,
        "office_put_counters_wrong": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=40)
    parser.add_argument("--results", default="bench/results.json")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("HALLBOOK_FAST_HASH", "1")
    from local.environment import set_base_environment

    set_base_environment()
    from local.system import LocalSystem

    system = LocalSystem(frozen_clock=True, stage_cache=False)
    system.start(datetime.fromisoformat(NOW))
    try:
        system.seed()
        result = office_put_bench(system, OFFICE, args.bookings)
    finally:
        system.stop()
    for k, v in result.items():
        print(f"  {k:30} {v:.3f}" if isinstance(v, float) else f"  {k:30} {v}")
    path = Path(args.results)
    figures = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    figures["office_put_seconds"] = round(result["office_put_seconds"], 4)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"updated office_put_seconds in {path}")


if __name__ == "__main__":
    main()
