"""python -m bench.notifier: SMS through the notifier in local mode, and what the no-show sweep costs.

1. Notifier: N outbox messages written at once, then the pump works them off exactly as Lambda's
   event source mappings would (outbox stream -> relay -> SmsQueue -> deliver -> SNS): messages/s
   end to end, and DynamoDB requests per message.
2. Sweep: a hall's day fully booked (slots x places, one citizen each), the clock moved past the last
   slot, one sweep run: DynamoDB requests per swept slot and per swept booking (reads and writes,
   counted with a botocore event hook), then a second run (the idle cost of every 5-minute run).
Embedded AWS is serialised moto over HTTP on this machine: absolute rates are local, not AWS's.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import botocore.session

from bench import counting

counting.install()  # before any client exists
AWS_CALLS: Counter = Counter()  # every AWS request of any client, by service.operation
_calls_lock = threading.Lock()
_create_client = botocore.session.Session.create_client


def _counting_client(self, service_name, *args, **kwargs):
    client = _create_client(self, service_name, *args, **kwargs)

    def count(model, **_):
        with _calls_lock:
            AWS_CALLS[f"{service_name}.{model.name}"] += 1

    client.meta.events.register(f"before-call.{client.meta.service_model.endpoint_prefix}", count)
    return client


botocore.session.Session.create_client = _counting_client
os.environ.setdefault("HALLBOOK_FAST_HASH", "1")

from hallbook.clock import SHANGHAI  # noqa: E402
from local.system import LocalSystem  # noqa: E402

START = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)  # Monday
DAY = START.date() + timedelta(days=1)
READS = {"GetItem", "BatchGetItem", "Query", "Scan"}


def notifier_bench(system: LocalSystem, messages: int) -> dict:
    from hallbook.store.outbox import Message, enqueue

    now = system.clock.now()
    for i in range(messages):
        enqueue(Message(f"bench-{i}", "reminder", f"139{i:08d}", f"【政务大厅预约】bench {i}", now))
    sent_before = len(system.sms_messages())
    AWS_CALLS.clear()
    with counting.attributed() as cost:
        t0 = time.perf_counter()
        while len(system.sms_messages()) - sent_before < messages:
            if not system.pump.drain():
                break
        wall = time.perf_counter() - t0
    sent = len(system.sms_messages()) - sent_before
    return {
        "messages": messages,
        "sent": sent,
        "seconds": wall,
        "per_s": sent / wall,
        "dynamodb_per_message": cost.counts["requests"] / max(sent, 1),
        "ops": dict(cost.counts),
        "aws_per_message": sum(AWS_CALLS.values()) / max(sent, 1),
        "aws_ops": {k: round(v / max(sent, 1), 2) for k, v in sorted(AWS_CALLS.items())},
    }


def put_bench_office(office_id: str, slots: int, places: int) -> list[str]:
    from hallbook.store import catalog

    catalog.put_region("shenzhen", "深圳", 14)
    catalog.put_service(
        {
            "code": "ID_RENEW",
            "name_zh": "身份证换领",
            "name_en": "ID renewal",
            "appointment_required": True,
            "materials": ["居民身份证"],
            "notice": "n",
        }
    )
    starts = [(datetime(2026, 1, 1, 9, 0) + timedelta(minutes=30 * i)) for i in range(slots)]
    catalog.put_office(
        {
            "office_id": office_id,
            "name": "基准大厅",
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
                        "capacity": places,
                    }
                    for s in starts
                ]
            },
        }
    )
    catalog.invalidate_cache()
    return [s.strftime("%H:%M") for s in starts]


def sweep_bench(system: LocalSystem, slots: int, places: int) -> dict:
    from hallbook.services import accounts, bookings, sweep
    from hallbook.services.release import release_office
    from hallbook.services.tokens import Caller
    from hallbook.store import account_claims
    from tests.idnumbers import id_number

    starts = put_bench_office("sweep-hall", slots, places)
    release_office("sweep-hall", [DAY], system.clock.now())
    now = system.clock.now()
    n = 0
    for start in starts:
        for _ in range(places):
            person = id_number("440305", f"19{60 + n // 1000:02d}0101", f"{n % 1000:03d}")
            account = accounts.register("测试", person, f"137{n:08d}", "bench-pass-1", "zh", now)
            account_claims.mark_phone_verified(account, account.code_hash)
            caller = Caller(account.account_id, "citizen", None, True)
            bookings.book(
                caller,
                bookings.BookingRequest("sweep-hall", "ID_RENEW", DAY.isoformat(), start, True),
                f"sweep-{n}",
                now,
            )
            n += 1
    system.pump.drain()
    system.clock.set(datetime.combine(DAY, datetime.min.time(), SHANGHAI) + timedelta(hours=20))
    with counting.attributed() as cost:
        t0 = time.perf_counter()
        result = sweep.sweep(system.clock.now())
        wall = time.perf_counter() - t0
    with counting.attributed() as idle:
        again = sweep.sweep(system.clock.now())
    c = cost.counts
    reads = sum(v for k, v in c.items() if k in READS)
    writes = c["write_requests"]
    swept_slots = len(result.slots)
    return {
        "bookings": n,
        "no_shows": result.no_shows,
        "slots": swept_slots,
        "seconds": wall,
        "requests": c["requests"],
        "reads": reads,
        "writes": writes,
        "ops": {k: v for k, v in c.items() if k not in ("requests", "write_requests", "write_units")},
        "reads_per_slot": reads / swept_slots,
        "writes_per_slot": writes / swept_slots,
        "requests_per_slot": c["requests"] / swept_slots,
        "requests_per_booking": c["requests"] / result.no_shows,
        "second_run_no_shows": again.no_shows,
        "second_run_requests": idle.counts["requests"],
        "second_run_ops": {
            k: v for k, v in idle.counts.items() if k not in ("requests", "write_requests", "write_units")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notifier")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--places", type=int, default=8)
    args = parser.parse_args()

    system = LocalSystem(frozen_clock=True)
    system.start(START)
    try:
        n = notifier_bench(system, args.messages)
        print(
            f"notifier: {n['sent']}/{n['messages']} SMS delivered in {n['seconds']:.2f} s = {n['per_s']:.0f} messages/s "
            f"end to end (outbox stream -> SmsQueue -> SNS), {n['dynamodb_per_message']:.1f} DynamoDB requests/message"
        )
        print(f"  DynamoDB operations: { {k: v for k, v in n['ops'].items() if k[0].isupper()} }")
        print(f"  every AWS request: {n['aws_per_message']:.1f} per message: {n['aws_ops']}")
        s = sweep_bench(system, args.slots, args.places)
        print(
            f"sweep: {s['no_shows']}/{s['bookings']} bookings in {s['slots']} slots swept in {s['seconds']:.2f} s; "
            f"{s['requests']} DynamoDB requests = {s['reads']} reads + {s['writes']} writes"
        )
        print(
            f"  per swept slot: {s['reads_per_slot']:.2f} reads, {s['writes_per_slot']:.2f} writes "
            f"({s['requests_per_slot']:.2f} requests); per swept booking {s['requests_per_booking']:.2f} requests"
        )
        print(f"  operations: {s['ops']}")
        print(
            f"  second run: {s['second_run_no_shows']} no-shows, {s['second_run_requests']} requests "
            f"{s['second_run_ops']} (every idle 5-minute run: one Query per day covered)"
        )
    finally:
        system.stop()


if __name__ == "__main__":
    main()
