"""make bench: the noon rush, the availability rush, the release fan-out, the SMS path and handler
import times, in local mode's embedded AWS (serialised moto). Prints the figures kept in
bench/README.md and writes the machine-checkable ones to bench/results.json (`--results`).
`--quick` is a run of seconds with the same keys (what tests/local/test_bench_results.py runs)."""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the rush logs nothing per booking
os.environ.setdefault("HALLBOOK_FAST_HASH", "1")  # registering 300 citizens is not what is measured

from bench import counting  # noqa: E402

counting.install()  # before any client exists
from bench import city_noon  # noqa: E402
from bench import notifier as sms_bench  # noqa: E402  (its AWS-request hook, also before any client)
from bench import sms as sms_cost  # noqa: E402
from bench.office_put import OFFICE as OFFICE_PUT  # noqa: E402
from bench.office_put import office_put_bench  # noqa: E402
from hallbook.clock import SHANGHAI  # noqa: E402
from hallbook.config import reset_settings  # noqa: E402
from local.system import LocalSystem  # noqa: E402

NOON = datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI)
DAY = date(2026, 9, 28)  # the day the noon release of 2026-09-14 opens (14 days ahead)


def put_bench_office(office_id: str, services: list[str], slots_per_day: int, capacity: int) -> None:
    from hallbook.store import catalog

    catalog.put_region("shenzhen", "深圳", 14)
    for code in services:
        catalog.put_service(
            {
                "code": code,
                "name_zh": code,
                "name_en": code,
                "appointment_required": True,
                "materials": ["居民身份证"],
                "notice": "n",
            }
        )
    timetable = {}
    for code in services:
        starts = [datetime(2026, 1, 1, 9, 0) + timedelta(minutes=30 * i) for i in range(slots_per_day)]
        timetable[code] = [
            {
                "days": [1, 2, 3, 4, 5],
                "start": s.strftime("%H:%M"),
                "end": (s + timedelta(minutes=30)).strftime("%H:%M"),
                "capacity": capacity,
            }
            for s in starts
        ]
    catalog.put_office(
        {
            "office_id": office_id,
            "name": office_id,
            "region": "shenzhen",
            "district": "福田区",
            "address": "深圳",
            "mode": "priority",
            "services": services,
            "timetable": timetable,
        }
    )


def citizens(n: int):
    from hallbook.services import accounts
    from hallbook.services.tokens import Caller
    from hallbook.store import account_claims
    from tests.idnumbers import id_number

    out = []
    for i in range(n):
        person = id_number("440305", f"19{50 + i // 1000:02d}0101", f"{i % 1000:03d}")
        account = accounts.register("测试", person, f"139{i:08d}", "bench-pass-1", "zh", NOW_FOR_SETUP)
        account_claims.mark_phone_verified(account, account.code_hash)
        out.append(Caller(account.account_id, "citizen", None, True))
    return out


NOW_FOR_SETUP = NOON - timedelta(minutes=5)


def rush(system: LocalSystem, callers, workers: int, slots: list[str], office_id: str, service: str) -> dict:
    from hallbook.domain.errors import DomainError, SlotFull
    from hallbook.services import bookings
    from hallbook.store import readcache

    outcomes = []
    environments: dict[int, readcache.ReadCaches] = {}

    def citizen(caller):
        # each worker is one Lambda environment, with its own caches, serving one request at a time
        with readcache.environment(environments.setdefault(threading.get_ident(), readcache.ReadCaches())):
            attempts(caller)

    def attempts(caller):
        order = slots[:]
        random.shuffle(order)
        for start in order:
            request = bookings.BookingRequest(office_id, service, DAY.isoformat(), start, True)
            t0 = time.perf_counter()
            with counting.attributed() as cost:
                try:
                    bookings.book(caller, request, f"rush-{caller.account_id}-{start}", system.clock.now())
                    result = "booked"
                except SlotFull:
                    result = "full"
                except DomainError as e:
                    result = e.code
                except Exception as e:  # noqa: BLE001 - counted as an error
                    result = f"error:{type(e).__name__}"
            outcomes.append((result, time.perf_counter() - t0, cost.counts))
            if result != "full":
                return

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(citizen, callers))
    wall = time.perf_counter() - t0
    return {"outcomes": outcomes, "wall": wall}


def summarise(run: dict) -> dict:
    out = run["outcomes"]
    booked = [o for o in out if o[0] == "booked"]
    full = [o for o in out if o[0] == "full"]
    errors = [o for o in out if o[0] not in ("booked", "full")]
    lat = sorted(o[1] for o in out)

    def per(group, key):
        return sum(o[2][key] for o in group) / len(group) if group else 0.0

    return {
        "attempts": len(out),
        "bookings": len(booked),
        "refused_full": len(full),
        "errors": len(errors),
        "error_kinds": sorted({o[0] for o in errors}),
        "bookings_per_s": len(booked) / run["wall"],
        "attempts_per_s": len(out) / run["wall"],
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
        "req_per_booking": per(booked, "requests"),
        "writes_per_booking": per(booked, "write_requests"),
        "wcu_per_booking": per(booked, "write_units"),
        "req_per_refused": per(full, "requests"),
        "writes_per_refused": per(full, "write_requests"),
        "refused_ops": {
            op: round(n / len(full), 4)
            for op, n in sorted(sum((o[2] for o in full), Counter()).items())
            if op not in ("requests", "write_requests", "write_units")
        }
        if full
        else {},
    }


def overbooked(office_id: str, service: str) -> int:
    from hallbook.store.bookings import BookingItem
    from hallbook.store.slots import slots_between

    booked_by_start = {}
    for item in BookingItem.scan(BookingItem.office_id == office_id):
        if item.status == "booked":
            booked_by_start[item.start] = booked_by_start.get(item.start, 0) + 1
    bad = 0
    for slot in slots_between(office_id, service, DAY, DAY):
        n = booked_by_start.get(slot.start, 0)
        bad += max(0, n - slot.capacity) + (slot.booked != n)
    return bad


def floor(workers: int, calls: int = 2000) -> float:
    """Conditional UpdateItem calls/s against the same embedded AWS: the local ceiling."""
    import boto3

    client = boto3.client("dynamodb")
    client.put_item(TableName="SlotsTable", Item={"pk": {"S": "floor"}, "sk": {"S": "x"}, "n": {"N": "0"}})

    def one(_):
        try:
            client.update_item(
                TableName="SlotsTable",
                Key={"pk": {"S": "floor"}, "sk": {"S": "x"}},
                UpdateExpression="SET n = n + :one",
                ConditionExpression="n < :cap",
                ExpressionAttributeValues={":one": {"N": "1"}, ":cap": {"N": "1000000"}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            pass

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(calls)))
    return calls / (time.perf_counter() - t0)


def pad_bookings(n: int) -> None:
    """Make the bookings table big (as after months of use) to show booking time does not grow."""
    from hallbook.store.bookings import BookingItem

    with BookingItem.batch_write() as batch:
        for i in range(n):
            batch.save(
                BookingItem(
                    f"BOOKING#pad{i}",
                    booking_id=f"pad{i}",
                    reference="PADD-0000",
                    account_id=f"a{i}",
                    subject_id_number="x",
                    office_id="elsewhere",
                    service_code="S",
                    date="2026-01-01",
                    start="09:00",
                    end="09:30",
                    status="completed",
                    created_at="2026-01-01T00:00:00+08:00",
                )
            )


def release_bench(system: LocalSystem, offices: int, services: int, slots_per_day: int) -> dict:
    from hallbook.services.release import plan_release, release_office
    from hallbook.store.catalog import invalidate_cache

    codes = [f"SVC{i}" for i in range(services)]
    for h in range(offices):
        put_bench_office(f"rel-{h:03d}", codes, slots_per_day, 5)
    invalidate_cache()
    at = NOON + timedelta(days=1)  # the next noon: one new day per hall (the staged day is new)
    plans = [p for p in plan_release(at) if p.office_id.startswith("rel-")]
    with counting.attributed() as cost:
        t0 = time.perf_counter()
        written = sum(release_office(p.office_id, [p.days[-1]], at).written for p in plans)
        wall = time.perf_counter() - t0
    with counting.attributed() as again:
        t1 = time.perf_counter()
        rewritten = sum(release_office(p.office_id, [p.days[-1]], at).written for p in plans)
        wall2 = time.perf_counter() - t1
    return {
        "offices": offices,
        "slots": written,
        "seconds": wall,
        "requests": cost.counts["requests"],
        "write_requests": cost.counts["write_requests"],
        "write_units": cost.counts["write_units"],
        "second_run_writes": rewritten,
        "second_run_requests": again.counts["requests"],
        "second_run_seconds": wall2,
    }


HANDLERS = ("citizen_api", "staff_api", "admin_api", "operator_api", "jobs", "notifier", "key_rotation")


def import_times(tries: int = 5, handlers: tuple[str, ...] = HANDLERS) -> dict[str, dict[str, float]]:
    """Per handler, as a deployed function starts: its directory (Lambda's /var/task) and the layer
    (/opt/python) on the path, nothing else writable. The tree is built here from what each handler
    imports in this environment (layers/core, and the packages' x86 builds from the venv: the
    layer's own are arm64), copied without bytecode: `without_bytecode` is a cold start of what
    `sam build` alone ships; `with_bytecode` the same tree after make sam-build's step
    (local/bytecode.py). Each figure: the median of `tries` runs (CPU seconds of the process) of
    `python -I -B -X importtime` importing `app` (its imports and module body) and leaving at once
    (`os._exit`: an environment's init ends there; the interpreter's teardown, a last full garbage
    collection included, is no part of a cold start), runs interleaved, minus the median of `tries`
    bare interpreter starts that leave the same way; `platform` the same for PLATFORM_FLOOR alone.
    Medians, not the best run: on a shared machine the best of a few runs is a matter of luck, and
    the two figures of the ratio should be the same statistic of the same kind of run.
    Tracing as deployed (POWERTOOLS_TRACE_DISABLED=false)."""
    from local.bytecode import compile_tree

    handlers = tuple(fn for fn in handlers if os.path.exists(f"functions/{fn}/app.py"))
    environment = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "false"}
    plain = statistics.median(_interpreter_start() for _ in range(tries))
    out: dict[str, dict[str, float]] = {"without_bytecode": {}, "with_bytecode": {}}
    with tempfile.TemporaryDirectory(prefix="hallbook-lambda-") as scratch:
        root = Path(scratch)
        _lambda_tree(root, handlers, environment)
        opt = str(root / "opt")
        codes = {
            fn: f"import sys; sys.path[:0] = [{str(root / 'task' / fn)!r}, {opt!r}]; import app; {LEAVE}"
            for fn in handlers
        }
        # the fixed platform alone, same tree: what no handler of ours can go below
        floor = f"import sys; sys.path[:0] = [{opt!r}]; " + "; ".join(f"import {m}" for m in PLATFORM_FLOOR)
        floor += f"; {LEAVE}"
        for mode in ("without_bytecode", "with_bytecode"):
            if mode == "with_bytecode":
                compile_tree(root)
                codes["platform floor"] = floor
            runs: dict[str, list[float]] = {name: [] for name in codes}
            for _ in range(tries):  # interleaved: the machine's speed drifts, the comparison should not
                for name, code in codes.items():
                    runs[name].append(_timed([sys.executable, "-I", "-B", "-X", "importtime", "-c", code], environment))
            out[mode] = {name: 1000 * (statistics.median(t) - plain) for name, t in runs.items()}
    out["platform"] = {"floor": out["with_bytecode"].pop("platform floor")}
    return out


# what every API handler imports before any line of ours: pynamodb (and so botocore), Powertools'
# logger, metrics and REST resolver (with its validation's parameters), pydantic and pydantic-settings
PLATFORM_FLOOR = (
    "pynamodb.models",
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi.params",
    "pydantic",
    "pydantic_settings",
)


def _lambda_tree(root: Path, handlers: tuple[str, ...], environment: dict) -> None:
    """root/task/<handler> and root/opt: each handler's directory, and every top-level package or
    module (with every *.dist-info, for importlib.metadata) its import loads from outside the
    standard library, copied without __pycache__."""
    no_cache = shutil.ignore_patterns("__pycache__")
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    places = {Path(p).resolve() for p in sys.path if p and Path(p).is_dir()} - {stdlib}
    tops: set[Path] = set()
    for fn in handlers:
        shutil.copytree(f"functions/{fn}", root / "task" / fn, ignore=no_cache)
        listing = (
            f"import sys; sys.path[:0] = ['functions/{fn}', 'layers/core']; import app, json; "
            "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", listing], capture_output=True, check=True, text=True, env=environment
        )
        for name in json.loads(done.stdout.strip().splitlines()[-1]):
            path = Path(name).resolve() if name else None
            if path is None or path.is_relative_to(stdlib) or path.is_relative_to(Path(f"functions/{fn}").resolve()):
                continue
            base = max((b for b in places if path.is_relative_to(b)), key=lambda b: len(b.parts), default=None)
            if base is not None:
                tops.add(base / path.relative_to(base).parts[0])
    opt = root / "opt"
    opt.mkdir(parents=True)
    for top in sorted(tops):
        if top.is_dir():
            shutil.copytree(top, opt / top.name, ignore=no_cache, dirs_exist_ok=True)
        else:
            shutil.copy2(top, opt / top.name)
    for base in places:
        for info in base.glob("*.dist-info"):
            shutil.copytree(info, opt / info.name, ignore=no_cache, dirs_exist_ok=True)


def _timed(command: list[str], environment: dict) -> float:
    """The CPU seconds (user + system) the command's process used: unlike its wall time, not inflated
    when other processes share the machine's cores (the ratio to the platform is taken on a
    machine 9 sessions share), and an import is CPU work (its files are in the page cache)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, capture_output=True, check=True, env=environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# how every timed run ends: as an environment's init does, without the interpreter's teardown
LEAVE = "import os; os._exit(0)"


def _interpreter_start() -> float:
    return _timed([sys.executable, "-I", "-B", "-c", LEAVE], dict(os.environ))


# ------------------------------------------------------------ the availability rush

READ_OPS = ("GetItem", "BatchGetItem", "Query", "Scan")


def availability_rush(
    system: LocalSystem,
    office_id: str,
    service: str,
    environments: int,
    per_environment: int,
    seconds: float,
    edge: bool,
) -> dict:
    """Phones polling `GET /v1/offices/{id}/availability` through the gateway and the citizen API's
    handler: `environments` Lambda environments (each its own caches: hallbook.store.readcache),
    `per_environment` requests each, spread over `seconds` of simulated time (the clock moves a step
    per request). `edge`: with the gateway's stage cache (local/edge_cache.py) in front, or not.
    DynamoDB read requests counted on the calling thread."""
    from collections import Counter
    from contextlib import nullcontext

    try:
        from hallbook.store import readcache
    except ImportError:  # before the caches existed: every request is its own Query
        readcache = None
    caches = [readcache.ReadCaches() for _ in range(environments)] if readcache else [None] * environments
    edge_cache = getattr(system.gateway, "edge_cache", None)
    if edge_cache is not None:
        edge_cache.clear()
        edge_cache.enabled = edge
    total = environments * per_environment
    order = [i % environments for i in range(total)]
    random.shuffle(order)  # API Gateway spreads requests over the environments
    step = timedelta(seconds=seconds / total)
    statuses: Counter = Counter()
    try:
        with counting.attributed() as cost:
            for env in order:
                with readcache.environment(caches[env]) if readcache else nullcontext():
                    r = system.gateway.invoke(
                        "GET", f"/v1/offices/{office_id}/availability", query={"service": service}
                    )
                statuses[r.status] += 1
                system.clock.advance(step)
    finally:
        if edge_cache is not None:
            edge_cache.enabled = True
            edge_cache.clear()
    reads = sum(cost.counts[k] for k in READ_OPS)
    return {
        "requests": total,
        "reads": reads,
        "dynamodb_requests": cost.counts["requests"],
        "reads_per_request": reads / total,
        "statuses": dict(statuses),
    }


def slot_item_bytes(office_id: str, service: str) -> float:
    """The mean size of a slot item as DynamoDB counts it (attribute names + values), measured."""
    import boto3

    items = boto3.client("dynamodb").query(
        TableName="SlotsTable",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"{office_id}#{service}"}},
    )["Items"]
    sizes = [sum(len(name) + len(str(next(iter(value.values())))) for name, value in item.items()) for item in items]
    return sum(sizes) / len(sizes) if sizes else 200.0


# ------------------------------------------------------------ the city on paper (bench/README.md)

PARTITION_RCU = 3000  # DynamoDB: read units/s one partition serves (strongly consistent 4 KB reads)
PARTITION_WCU = 1000  # write units/s per partition
BOOKING_WINDOW_SLOTS = 14 * 16  # a hall-service's availability Query: 14 days x 16 half-hour slots (09:00-17:00)
SLOT_READ_RCU = 1.0  # a refused attempt's read of the slot item: strongly consistent, < 4 KB


def query_rcu(item_bytes: float, items: int = BOOKING_WINDOW_SLOTS) -> float:
    """Read units of one eventually consistent Query returning `items` items of `item_bytes`."""
    return max(0.5, math.ceil(item_bytes * items / 4096) * 0.5)


def paper(results: dict, item_bytes: float, refused_attempts: int) -> dict:
    """What one hall-service (one partition key of SlotsTable) absorbs on real DynamoDB with the
    requests per call measured here: its partition's read units divided by what each call costs it."""
    rcu = query_rcu(item_bytes)
    reads = max(results["availability_reads_per_request"], 1e-6)
    # a measured 0 means "fewer than one in this run": count one, so the figure stays a measurement
    refused = max(results["refused_attempt_requests"], 1 / max(refused_attempts, 1))
    return {
        "paper_availability_reads_per_s_per_hall_service": PARTITION_RCU / (rcu * reads),
        "paper_attempts_per_s_per_hall_service": PARTITION_RCU / (refused * SLOT_READ_RCU),
        "paper_availability_query_rcu": rcu,
    }


def write_results(path: str, results: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in results.items()}, f, indent=2, sort_keys=True
        )
        f.write("\n")
    print(f"wrote {path}")


def side_run(what: str, extra: list[str], results: str, at_once: bool) -> Callable[[], dict]:
    """`python -m bench.draws <what>` into a scratch file; a function that waits for it (starting it
    then, unless `at_once`) and answers its figures. The notifier's pace lifted, as in this run."""
    scratch = Path(tempfile.mkdtemp(prefix=f"hallbook-bench-{what}-")) / "results.json"
    command = [sys.executable, "-m", "bench.draws", what, *extra, "--results", str(scratch)]
    environment = {**os.environ, "SMS_RATE_PER_SECOND": "100000"}
    started = subprocess.Popen(command, env=environment) if at_once else None

    def finish() -> dict:
        process = started or subprocess.Popen(command, env=environment)
        if process.wait() != 0:
            raise SystemExit(f"python -m bench.draws {what} failed ({process.returncode})")
        figures = json.loads(scratch.read_text(encoding="utf-8"))
        shutil.rmtree(scratch.parent, ignore_errors=True)
        return figures

    return finish


QUICK = {
    "citizens": 12,
    "workers": 4,
    "slots": 2,
    "capacity": 3,
    "pad": 0,
    "release_halls": 1,
    "availability_envs": 8,
    "availability_requests": 10,
    "sms_messages": 10,
    "import_tries": 1,
    "import_handlers": "citizen_api",
    "floor_calls": 200,
    "draw_entries": 300,
    "draw_places": 20,
    "r19_returns": 20,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--pad", type=int, default=5000)
    parser.add_argument("--release-halls", type=int, default=100)
    parser.add_argument("--availability-envs", type=int, default=8)
    parser.add_argument("--availability-requests", type=int, default=200, help="per environment")
    parser.add_argument("--availability-seconds", type=float, default=5.0)
    parser.add_argument("--sms-messages", type=int, default=300)
    parser.add_argument("--import-tries", type=int, default=5)
    parser.add_argument("--import-handlers", default=",".join(HANDLERS), help="comma-separated")
    parser.add_argument("--floor-calls", type=int, default=2000)
    parser.add_argument("--draw-entries", type=int, default=100_000, help="R23: entries of the draw (bench/draws.py)")
    parser.add_argument("--draw-places", type=int, default=2_000)
    parser.add_argument("--r19-returns", type=int, default=100)
    parser.add_argument("--results", default="bench/results.json")
    parser.add_argument("--quick", action="store_true", help="a run of seconds: the same keys, small numbers")
    args = parser.parse_args()
    if args.quick:
        for k, v in QUICK.items():
            setattr(args, k, v)
    random.seed(7)
    began = time.perf_counter()

    def phase(name: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {name}", file=sys.stderr)

    # R23's draw and R19's returns, each in its own process (its own embedded AWS): after this run's
    # phases, or (--quick, whose figures are not measurements) beside them
    others = [
        (what, side_run(what, extra, args.results, at_once=args.quick))
        for what, extra in (
            ("draw", ["--entries", str(args.draw_entries), "--places", str(args.draw_places)]),
            ("r19", ["--returns", str(args.r19_returns)]),
        )
    ]
    system = LocalSystem(frozen_clock=True)
    system.start(NOW_FOR_SETUP)
    # the notifier paces SMS to the provider's rate in real time (hallbook/notify/pacing.py): what is
    # counted here is requests per message, which the pace does not change, so the bench lifts it
    os.environ["SMS_RATE_PER_SECOND"] = "100000"
    reset_settings()
    put_bench_office("rush-hall", ["ID_RENEW"], args.slots, args.capacity)
    slots = [(datetime(2026, 1, 1, 9, 0) + timedelta(minutes=30 * i)).strftime("%H:%M") for i in range(args.slots)]
    people = citizens(args.citizens)
    phase("citizens registered")
    system.pump.drain()
    system.move_clock(NOON)  # the noon schedule fires: fan-out release through the queue
    phase("noon released")
    print(f"noon rush: {args.citizens} citizens, {args.workers} at once, {args.slots} slots x {args.capacity} places")
    first = summarise(rush(system, people, args.workers, slots, "rush-hall", "ID_RENEW"))
    bad = overbooked("rush-hall", "ID_RENEW")
    for k, v in first.items():
        print(f"  {k:20} {v:.2f}" if isinstance(v, float) else f"  {k:20} {v}")
    print(f"  {'overbooked':20} {bad}")
    raw = floor(args.workers, args.floor_calls)
    phase("rush and floor done")
    print(
        f"  raw floor: conditional UpdateItem {raw:.0f} calls/s; booking attempts/s = "
        f"{first['attempts_per_s'] / raw:.2f} of it"
    )

    avail = availability_rush(
        system,
        "rush-hall",
        "ID_RENEW",
        args.availability_envs,
        args.availability_requests,
        args.availability_seconds,
        edge=False,
    )
    edge = availability_rush(
        system,
        "rush-hall",
        "ID_RENEW",
        args.availability_envs,
        args.availability_requests,
        args.availability_seconds,
        edge=True,
    )
    print(
        f"availability rush: {args.availability_envs} environments x {args.availability_requests} requests over "
        f"{args.availability_seconds:.0f} s simulated: {avail['reads']} DynamoDB reads = "
        f"{avail['reads_per_request']:.3f} per request {avail['statuses']}; behind the stage cache: "
        f"{edge['reads']} reads = {edge['reads_per_request']:.4f} per request"
    )
    item_bytes = slot_item_bytes("rush-hall", "ID_RENEW")
    phase("availability rush done")

    if not args.quick:  # the table-size and release figures: not keys of results.json
        pad_bookings(args.pad)
        put_bench_office("rush-hall-2", ["ID_RENEW"], args.slots, args.capacity)
        system.move_clock(NOON + timedelta(minutes=1))
        from hallbook.services.release import release_office

        release_office("rush-hall-2", [DAY])
        again = summarise(rush(system, people, args.workers, slots, "rush-hall-2", "ID_RENEW"))
        print(
            f"same rush with {args.pad} more items in BookingsTable: p50 {again['p50_ms']:.1f} ms "
            f"(was {first['p50_ms']:.1f}), bookings/s {again['bookings_per_s']:.1f} (was {first['bookings_per_s']:.1f}), "
            f"overbooked {overbooked('rush-office-2', 'ID_RENEW')}"
        )
        phase("second rush done")

        rel = release_bench(system, args.release_halls, 8, 12)
        print(
            f"release: {rel['offices']} offices x 8 services x one day = {rel['slots']} slots in {rel['seconds']:.2f} s, "
            f"{rel['requests']} DynamoDB requests ({rel['write_requests']} writes, {rel['write_units']} WCU); "
            f"second run: {rel['second_run_writes']} writes, {rel['second_run_requests']} requests, "
            f"{rel['second_run_seconds']:.2f} s"
        )
        per_office = rel["seconds"] / rel["offices"]
        print(
            f"  per hall {1000 * per_office:.1f} ms sequential here; 1,000 halls = {rel['slots'] * 10} slots, "
            f"{rel['write_requests'] * 10} write requests"
        )
        phase("release done")

    system.pump.drain()
    if not args.quick:  # the demo halls: the largest hall's PUT
        system.reset(NOW_FOR_SETUP, seed=True)
    put_office = "rush-hall" if args.quick else OFFICE_PUT
    put = office_put_bench(system, put_office, 4 if args.quick else 40)
    print(
        f"PUT /v1/offices/{put_office}: {put['office_put_timetable_rows']} timetable rows, every capacity one "
        f"lower, {put['office_put_bookings']} bookings: answered in {put['office_put_seconds']:.2f} s; its slots' job "
        f"{put['office_put_settle_seconds']:.1f} s; bookings lost {put['office_put_bookings_lost']}, counters wrong "
        f"{put['office_put_counters_wrong']}"
    )
    phase("office put done")
    if not args.quick:
        system.reset(NOW_FOR_SETUP)
    sms = sms_bench.notifier_bench(system, args.sms_messages)
    print(f"sms: {sms['sent']} delivered, {sms['aws_per_message']:.2f} AWS requests per message {sms['aws_ops']}")
    system.stop()
    phase("sms done")

    imports = import_times(args.import_tries, tuple(args.import_handlers.split(",")))
    phase("imports done")
    for fn, ms in imports["with_bytecode"].items():
        print(
            f"import {fn:12} {ms:.0f} ms with the build's bytecode, {imports['without_bytecode'][fn]:.0f} ms without "
            "(python -I -B -X importtime, a deployed function's path, tracing on, minus a bare interpreter)"
        )
    print(f"import of the platform alone ({', '.join(PLATFORM_FLOOR)}): {imports['platform']['floor']:.0f} ms")

    results = {
        "availability_reads_per_request": avail["reads_per_request"],
        "availability_reads_per_request_behind_stage_cache": edge["reads_per_request"],
        "refused_attempt_requests": first["req_per_refused"],
        "writes_per_booking": first["writes_per_booking"],
        "overbooked": bad,
        "attempts_floor_ratio": first["attempts_per_s"] / raw,
        "import_ms_max": max(imports["with_bytecode"].values()),
        "sms_requests_per_message": sms["aws_per_message"],
    }
    results.update(paper(results, item_bytes, first["refused_full"]))
    results.update({f"import_ms_{fn}": ms for fn, ms in imports["with_bytecode"].items()})
    results.update({f"import_ms_{fn}_without_bytecode": ms for fn, ms in imports["without_bytecode"].items()})
    results["import_ms_platform_floor"] = imports["platform"]["floor"]
    api_imports = [ms for fn, ms in imports["with_bytecode"].items() if fn != "key_rotation"]
    results["import_ratio_to_platform"] = max(api_imports) / imports["platform"]["floor"]  # <= 1.25
    # the noon at a city's scale, on paper (bench/city_noon.py): a model of the template's limits
    city = city_noon.run(
        city_noon.City(halls=10, phones=20_000) if args.quick else None, plot_to=None if args.quick else city_noon.PLOT
    )
    results.update({key: value for key, value in city.items() if key != "details"})
    print("city noon (model): " + json.dumps({key: value for key, value in city.items() if key != "details"}))
    phase("city model done")
    # The SMS segments of a booking and its reminder (bench/sms.py: texts only, no AWS)
    results.update(sms_cost.measure())
    results["office_put_seconds"] = put["office_put_seconds"]
    results["quick_run"] = 1 if args.quick else 0
    for what, done in ((what, finish()) for what, finish in others):
        results.update(done)
        phase(f"{what} done")
    write_results(args.results, results)


if __name__ == "__main__":
    main()
