"""R23 and R19 figures for bench/results.json, each runnable alone (they merge their keys into the file):

    python -m bench.draws draw [--entries 100000 --places 2000]   # a draw at its close
    python -m bench.draws r19 [--returns 100]                      # the spread of cancelled places' returns
    python -m bench.draws imports [--tries 5]                      # handler import / the platform's own

`make bench` runs all three (python -m bench). The draw: `--entries` citizens enter the draw of one
day of 10 halls (`--places` places in all); a sample of entries goes through services.draw_entries.enter
(what one entry costs), the rest are written straight to the table (setup, not measured); then the draw
job runs once at the close and once more (idempotent: the second run must write nothing). DynamoDB
requests and write units are counted per phase (bench/counting.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("HALLBOOK_FAST_HASH", "1")

from bench import counting  # noqa: E402

counting.install()  # before any client exists
from hallbook.clock import SHANGHAI  # noqa: E402

NOON = datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI)
DAY = date(2026, 9, 28)  # opened by the noon release of 2026-09-14 (shenzhen: 14 days)
HALLS = 10
SLOTS = 10
RESULTS = "bench/results.json"
# on paper, DynamoDB in-region: a request's typical latency by operation (ms), the job being sequential
PAPER_MS = {
    "Query": 12.0,
    "GetItem": 4.0,
    "BatchGetItem": 10.0,
    "PutItem": 6.0,
    "UpdateItem": 6.0,
    "TransactWriteItems": 15.0,
    "BatchWriteItem": 12.0,
}


def _system(now: datetime):
    from local.system import LocalSystem

    system = LocalSystem(frozen_clock=True)
    system.start(now)
    return system


def _halls(places: int) -> list[str]:
    """HALLS halls of one district offering ID_RENEW, SLOTS slots each, `places` places in all."""
    from hallbook.store import catalog

    catalog.put_region("shenzhen", "深圳", 14)
    catalog.put_service(
        {"code": "ID_RENEW", "name_zh": "身份证换领", "name_en": "ID renewal", "appointment_required": True,
         "materials": ["居民身份证"], "notice": "n"}
    )  # fmt: skip
    capacity = max(1, places // (HALLS * SLOTS))
    offices = []
    for h in range(HALLS):
        starts = [datetime(2026, 1, 1, 9, 0) + timedelta(minutes=30 * i) for i in range(SLOTS)]
        office_id = f"draw-hall-{h:02d}"
        catalog.put_office(
            {
                "office_id": office_id,
                "name": f"摇号大厅{h}",
                "region": "shenzhen",
                "district": "福田区",
                "address": "深圳",
                "mode": "priority",
                "services": ["ID_RENEW"],
                "timetable": {
                    "ID_RENEW": [
                        {
                            "days": [1, 2, 3, 4, 5],
                            "start": s.strftime("%H:%M"),
                            "end": (s + timedelta(minutes=30)).strftime("%H:%M"),
                            "capacity": capacity,
                        }
                        for s in starts
                    ]
                },
            }
        )
        offices.append(office_id)
    catalog.invalidate_cache()
    from hallbook.services.release import release_office

    for office_id in offices:
        release_office(office_id, [DAY])
    return offices


def _bulk_accounts(n: int, first: int) -> list:
    """`n` verified citizens' accounts written straight to the table (setup, not what is measured)."""
    from hallbook.store.accounts import Account, AccountItem, new_account_item
    from tests.idnumbers import id_number

    accounts = []
    for i in range(first, first + n):
        accounts.append(
            Account(
                account_id=uuid.uuid4().hex,
                name="测试",
                id_number=id_number("440305", f"19{40 + i // 1000 % 60:02d}{1 + i // 60000:02d}01", f"{i % 1000:03d}"),
                phone=f"13{i:09d}",
                password_hash="x",
                phone_verified=True,
                role="citizen",
                office_id=None,
                lang="zh",
                created_at=NOON.isoformat(),
                identity_verified=True,
                identity_source="bench",
                identity_checked_at=NOON.isoformat(),
            )
        )
    with AccountItem.batch_write() as batch:
        for account in accounts:
            batch.save(new_account_item(account))
    return accounts


def draw_bench(entries: int = 100_000, places: int = 2_000, sample: int = 200) -> dict:
    from hallbook.domain import draw as rules
    from hallbook.services import draw_entries, draw_run, draw_settings, draws
    from hallbook.services.tokens import Caller
    from hallbook.store import draws as store
    from hallbook.store.bookings import BookingItem
    from hallbook.store.draws import DrawItem, Entry, entry_item

    system = _system(NOON - timedelta(hours=1))
    try:
        offices = _halls(places)
        admin = Caller("bench-admin", "admin", None, True)
        draw_settings.mark_drawn(admin, "shenzhen", "ID_RENEW", 10, NOON - timedelta(hours=1))
        system.move_clock(NOON + timedelta(seconds=1))
        draw_id = rules.draw_id("shenzhen", "ID_RENEW", DAY)
        print(f"draw {draw_id}: {draws.places_of(store.get_draw(draw_id), load())} places, {entries} entries")

        # a sample through the service, one entry each (what a citizen's POST costs in DynamoDB)
        people = _bulk_accounts(entries, 0)
        sample = min(sample, entries)
        with counting.attributed() as entered:
            for n, account in enumerate(people[:sample]):
                starts = None if n % 3 == 0 else ["09:00", "09:30", "10:00"][: 1 + n % 3]
                draw_entries.enter(
                    Caller(account.account_id, "citizen", None, True),
                    draw_entries.EntryRequest(
                        offices[n % HALLS], "ID_RENEW", DAY.isoformat(), starts, None, n % 20 == 0, n % 2 == 0
                    ),
                    f"k{n}",
                    NOON + timedelta(seconds=2),
                )
        started = time.perf_counter()
        draw = store.get_draw(draw_id)
        with DrawItem.batch_write() as batch:  # the rest straight to the table (setup)
            for n, account in enumerate(people[sample:], start=sample):
                starts = None if n % 3 == 0 else [["09:00"], ["09:30", "09:00"], ["10:00", "09:00", "11:00"]][n % 3]
                batch.save(
                    entry_item(
                        Entry(
                            uuid.uuid4().hex, draw_id, account.account_id, account.id_number or "", offices[n % HALLS],
                            "ID_RENEW", DAY, tuple(starts) if starts else None, n % 2 == 0, n % 20 == 0, "entered",
                            (NOON + timedelta(seconds=3)).isoformat(), draw.closes_at, request_hash="bench",
                        )
                    )
                )  # fmt: skip
        setup = time.perf_counter() - started
        print(f"  {entries - sample} entries written in {setup:.1f} s (setup)")

        close = draw.closes_at + rules.SETTLE
        system.clock.set(close)
        started = time.perf_counter()
        with counting.attributed(everywhere=True) as job:
            result = draw_run.run_draw(draw_id, close)
        wall = time.perf_counter() - started
        with counting.attributed(everywhere=True) as again:
            second = draw_run.run_draw(draw_id, close + timedelta(minutes=1))
        booked = [i for i in BookingItem.scan() if i.date == DAY.isoformat() and i.status == "booked"]
        counts = Counter((i.office_id, i.start) for i in booked)
        capacity = max(1, places // (HALLS * SLOTS))
        over = sum(max(0, n - capacity) for n in counts.values())
        winners = result.winners
        ops = {k: v for k, v in job.counts.items() if k not in ("requests", "write_requests", "write_units")}
        # the writes go WORKERS at a time (services.draw_run._carry_out: winners' transactions, waitlist joins,
        # losers' batches); the reads (the entries' Query, the accounts' BatchGetItem) in turn
        parallel = ("TransactWriteItems", "BatchWriteItem", "UpdateItem", "PutItem")
        paper_s = (
            sum(PAPER_MS.get(op, 10.0) * n / (draw_run.WORKERS if op in parallel else 1) for op, n in ops.items())
            / 1000
        )
        figures = {
            "draw_entries": entries,
            "draw_places": places,
            "draw_winners": winners,
            "draw_entry_requests": entered.counts["requests"] / sample,
            "draw_entry_wcu": entered.counts["write_units"] / sample,
            "draw_requests_per_entry": job.counts["requests"] / entries,
            "draw_wcu_per_entry": job.counts["write_units"] / entries,
            "draw_requests_per_winner": job.counts["requests"] / max(winners, 1),
            "draw_wcu_per_winner": job.counts["write_units"] / max(winners, 1),
            "draw_seconds_embedded": wall,
            "draw_seconds_paper": paper_s,
            "draw_overbooked": over,
            "draw_second_run_writes": again.counts["write_requests"],
        }
        print(
            f"  the draw: {result.summary()} in {wall:.1f} s here; {job.counts['requests']} requests "
            f"({dict(sorted(ops.items()))}), {job.counts['write_units']} WCU; on paper, sequential: {paper_s:.1f} s"
        )
        print(
            f"  second run: {second.outcome}, {again.counts['requests']} requests, {again.counts['write_requests']} writes"
        )
        print(f"  one entry (services.draw_entries.enter, {sample} of them): {json.dumps(dict(entered.counts))}")
        return figures
    finally:
        system.stop()


def load():
    from hallbook.store.catalog import load_catalog

    return load_catalog(max_age=0)


def r19_bench(returns: int = 100) -> dict:
    """`returns` bookings cancelled at one instant; the clock then moves a minute at a time (the
    WaitlistTimers schedule fires each minute): the minute each place came back, and how many distinct."""
    from hallbook.services import bookings
    from hallbook.services.tokens import Caller
    from hallbook.store import waitlist as wait_store

    start = datetime(2026, 9, 14, 10, 0, tzinfo=SHANGHAI)
    system = _system(start - timedelta(hours=1))
    try:
        offices = _halls(returns)
        day = date(2026, 9, 16)
        from hallbook.services.release import release_office

        for office_id in offices:
            release_office(office_id, [day])
        people = _bulk_accounts(returns, 500_000)
        system.move_clock(start)
        made = []
        for n, account in enumerate(people):
            caller = Caller(account.account_id, "citizen", None, True)
            start_at = f"{9 + (n // HALLS % SLOTS) // 2:02d}:{30 * ((n // HALLS % SLOTS) % 2):02d}"
            request = bookings.BookingRequest(offices[n % HALLS], "ID_RENEW", day.isoformat(), start_at, True)
            made.append((caller, bookings.book(caller, request, None, start)[0]))
        for caller, booking in made:
            bookings.cancel(caller, booking.booking_id, start)
        pending = {
            p.place_id: p.return_at
            for office_id in offices
            for p in wait_store.places_of_day(office_id, "ID_RENEW", day)
        }
        came_back: dict[str, datetime] = {}
        minute = start.replace(second=0)
        while pending.keys() - came_back.keys() and minute < start + timedelta(minutes=40):
            minute += timedelta(minutes=1)
            system.move_clock(minute)
            left = {p.place_id for office_id in offices for p in wait_store.places_of_day(office_id, "ID_RENEW", day)}
            for place_id in pending.keys() - left - came_back.keys():
                came_back[place_id] = minute
        late = [p for p, at in came_back.items() if at - pending[p] > timedelta(minutes=1)]
        distinct = len(set(came_back.values()))
        print(
            f"R19: {len(pending)} cancelled places came back in {distinct} distinct minutes between "
            f"{min(came_back.values()).strftime('%H:%M')} and {max(came_back.values()).strftime('%H:%M')} "
            f"(cancelled at {start.strftime('%H:%M')}); {len(late)} more than a minute after their instant"
        )
        return {"r19_distinct_return_minutes_per_100": distinct * 100 / max(len(pending), 1)}
    finally:
        system.stop()


def import_bench(tries: int = 5) -> dict:
    from bench.__main__ import HANDLERS, import_times
    from hallbook.config import Settings

    # a handler reads its settings at import (template Globals): stand-ins, as the unit tests' (no AWS call at import)
    for name, spec in Settings.model_fields.items():
        if spec.is_required():
            os.environ.setdefault(name.upper(), f"bench-{name.replace('_', '-')}")
    os.environ.setdefault("JWT_LOCAL_KEY", "bench-key-that-is-long-enough-for-hs256-signing")
    os.environ.setdefault("AWS_REGION", "cn-north-1")

    imports = import_times(tries, HANDLERS)
    api = {fn: ms for fn, ms in imports["with_bytecode"].items() if fn != "key_rotation"}
    floor = imports["platform"]["floor"]
    for fn, ms in sorted(api.items()):
        print(f"import {fn:12} {ms:.0f} ms = {ms / floor:.2f} x the platform's {floor:.0f} ms")
    return {
        "import_ratio_to_platform": max(api.values()) / floor,
        "import_ms_max": max(imports["with_bytecode"].values()),
        "import_ms_platform_floor": floor,
        **{f"import_ms_{fn}": ms for fn, ms in imports["with_bytecode"].items()},
        **{f"import_ms_{fn}_without_bytecode": ms for fn, ms in imports["without_bytecode"].items()},
    }


def merge(path: str, figures: dict) -> None:
    """Into results.json, keeping every other key."""
    results = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    results.update(figures)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in results.items()}, f, indent=2, sort_keys=True
        )
        f.write("\n")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["draw", "r19", "imports"])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--places", type=int, default=2_000)
    parser.add_argument("--returns", type=int, default=100)
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args()
    if args.what == "draw":
        figures = draw_bench(args.entries, args.places)
    elif args.what == "r19":
        figures = r19_bench(args.returns)
    else:
        figures = import_bench(args.tries)
    print(json.dumps(figures, indent=1), file=sys.stderr)
    merge(args.results, figures)


if __name__ == "__main__":
    main()
