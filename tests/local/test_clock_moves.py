"""POST /local/clock costs what the runs cost: runs with nothing to do are left out (the hints of
the no-show sweep and of the SMS healing, local.system.next_sweep_due and next_healing_due), and
the state at the end is the one firing every run gives. The clock never moves back."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.services import accounts
from local import state
from local.scheduler import occurrences
from local.system import LocalSystem, next_healing_due, next_sweep_due
from local.template import read_sam_template, schedules
from tests.idnumbers import id_number
from tests.support import OFFICE, Citizen, auth, login, problem, put_test_office, release_days, sms_code

MONDAY, DAY, WEDNESDAY = "2026-09-14", "2026-09-15", "2026-09-16"  # START: Monday 09:00
STAFF = "staff@test-hall"
DAYS = 10  # the long move's length


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def citizen(system: LocalSystem, n: int) -> Citizen:
    """The same person in every run (tests.support.registered numbers people afresh each time)."""
    idn, phone = id_number("440305", "19850101", f"{n:03d}"), f"1360000{n:04d}"
    person = Citizen(system.gateway, idn, phone)
    r = system.gateway.invoke(
        "POST",
        "/v1/accounts",
        body={"name": "王" + "一二三四五"[n - 1], "id_number": idn, "phone": phone, "password": person.password},
    )
    assert r.status == 201, r.text
    r = system.gateway.invoke("POST", "/v1/accounts/verify", body={"id_number": idn, "code": sms_code(system, phone)})
    assert r.status == 200, r.text
    return person.login()


@contextmanager
def counted_runs(system: LocalSystem, job: str = "sweep") -> Iterator[list[str]]:
    """The instants of the runs of `job` ({"job": "sweep"}, {"job": "heal_sms"}) actually executed."""
    executed: list[str] = []
    invoke = system.functions.invoke
    wrapped = vars(system.functions).get("invoke")  # another counter's, when nested

    def counting(logical_id: str, event: Any) -> Any:
        if isinstance(event, dict) and event.get("job") == job:
            executed.append(system.clock.now().isoformat())
        return invoke(logical_id, event)

    system.functions.invoke = counting  # type: ignore[method-assign]
    try:
        yield executed
    finally:
        if wrapped is None:
            del system.functions.invoke  # the class's method again
        else:
            system.functions.invoke = wrapped  # type: ignore[method-assign]


def scenario(system: LocalSystem, move: Callable[[datetime], object], end: str = "2026-09-16T10:05+08:00") -> None:
    """A few people book: a no-show (twice), a check-in, a cancellation, reminders on the eves;
    the clock moves in steps, the last a day on, past the sweep of Wednesday's last slot (10:00, swept
    at 10:02) and no further: firing every run costs ~50 ms a run, ~780 runs to Wednesday 10:05.
    It starts on Monday at 17:00, the last hour Tuesday can be booked in (its cut-off is 18:00): the
    hours from START (09:00) to there held ~150 more runs, and no booking."""
    system.reset(at(f"{MONDAY}T17:00+08:00"))
    put_test_office(capacity=3)
    release_days()
    accounts.create_staff_account(STAFF, "staff-pass-1", "staff", "窗口", OFFICE, now())
    absent, present, cancelling = citizen(system, 1), citizen(system, 2), citizen(system, 3)
    assert absent.book(DAY, "09:00").status == 201
    checked = present.book(DAY, "09:30").json()
    cancelled = cancelling.book(WEDNESDAY, "09:00").json()
    assert cancelling.cancel(cancelled["booking_id"]).status == 200
    assert cancelling.book(WEDNESDAY, "09:30").status == 201  # rebooked, then missed

    move(at(f"{DAY}T09:20+08:00"))
    r = system.gateway.invoke(
        "POST",
        f"/v1/offices/{OFFICE}/check-ins",
        headers=auth(login(system.gateway, STAFF, "staff-pass-1")),
        body={"reference": checked["reference"]},
    )
    assert r.status == 201, r.text
    move(at(f"{DAY}T11:00+08:00"))  # the 09:00 slot has been swept
    assert absent.login().book(WEDNESDAY, "09:00").status == 201, "a second no-show to come"

    move(at(end))  # by default Wednesday 10:05: every booking has been swept or checked in
    system.pump.drain()


def snapshot(system: LocalSystem) -> dict[str, Any]:
    """Bookings, subjects (R9 locks, R11 counters, R12 no-shows and suspensions), slots and the SMS
    sent, with the ids that differ from one run to the next (booking ids, references, account ids,
    verification codes) replaced by labels that do not."""
    session = boto3.Session()
    dynamodb = session.client("dynamodb", endpoint_url=system.aws.url)

    def scan(table: str) -> list[dict[str, Any]]:
        pages = dynamodb.get_paginator("scan").paginate(TableName=system.resources.ref(table))
        return [item for page in pages for item in page["Items"]]

    bookings_table = scan("BookingsTable")
    bookings = sorted(
        (i for i in bookings_table if i["pk"]["S"].startswith("BOOKING#")),
        key=lambda i: (i["created_at"]["S"], i["date"]["S"], i["start"]["S"], i["subject_id_number"]["S"]),
    )
    labels: dict[str, str] = {}
    for n, item in enumerate(bookings):
        labels[item["booking_id"]["S"]] = f"booking-{n}"
        labels[item["reference"]["S"]] = f"reference-{n}"
        labels.setdefault(item["account_id"]["S"], f"account-of-{item['subject_id_number']['S']}")
        if "ticket_id" in item:
            labels[item["ticket_id"]["S"]] = f"ticket-{n}"
        if "sweep_day" in item:  # <day>#<shard>, the shard drawn from the booking id
            item["sweep_day"]["S"] = item["sweep_day"]["S"].partition("#")[0]

    def normalised(value: Any) -> Any:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        for token, label in sorted(labels.items(), key=lambda pair: -len(pair[0])):
            text = text.replace(token, label)
        return json.loads(text)

    subjects = [i for i in bookings_table if i["pk"]["S"].startswith("SUBJECT#")]
    slots = sorted(scan("SlotsTable"), key=lambda i: json.dumps(i, sort_keys=True))
    sms = [
        {
            "phone": m["phone"],
            "message": re.sub(r"\d{6}", "<code>", m["message"]) if "验证码" in m["message"] else m["message"],
        }
        for m in system.sms_messages()
    ]
    return normalised(
        {"bookings": bookings, "subjects": sorted(subjects, key=lambda i: i["pk"]["S"]), "slots": slots, "sms": sms}
    )


@pytest.mark.slow
def test_leaving_out_the_runs_with_nothing_to_do_ends_as_firing_every_run(system: LocalSystem) -> None:
    with counted_runs(system) as coalesced_sweeps:
        scenario(system, system.move_clock)
    coalesced = snapshot(system)

    system.reset()
    # every run of every schedule but the two that fire every minute (the waitlist timers, the draw
    # close: 1,600 runs a day that find nothing here, where nobody waits and no service is drawn)
    every_minute = {"waitlist", "draws"}
    named = frozenset(
        s.name
        for s in schedules(read_sam_template())
        if json.loads(s.input_json or "{}").get("job") not in every_minute
    )
    assert len(named) >= 5
    with counted_runs(system) as every_sweep:
        scenario(system, lambda instant: system.move_clock(instant, exhaustive=named))
    exhaustive = snapshot(system)

    statuses = sorted(b["status"]["S"] for b in exhaustive["bookings"])
    # the checked-in booking nobody called is closed by the evening job (22:30)
    assert statuses == ["cancelled", "closed_at_day_end", "no_show", "no_show", "no_show"], statuses
    assert sorted(len(s.get("no_shows", {}).get("L", [])) for s in exhaustive["subjects"]) == [0, 1, 2]
    texts = [m["message"] for m in exhaustive["sms"]]
    assert sum("已记为爽约" in t for t in texts) == 3 and sum("提醒：您明天" in t for t in texts) == 4
    assert sum("个月内已爽约" in t for t in texts) == 1  # R21: the second no-show is warned of
    assert coalesced["bookings"] == exhaustive["bookings"]
    assert coalesced["subjects"] == exhaustive["subjects"]
    # the same messages, each once (the order the pump delivers one drain's messages in is not state)
    assert sorted(coalesced["sms"], key=json.dumps) == sorted(exhaustive["sms"], key=json.dumps)
    assert coalesced["slots"] == exhaustive["slots"]
    assert len(coalesced_sweeps) < len(every_sweep) / 20, (len(coalesced_sweeps), len(every_sweep))
    assert set(coalesced_sweeps) <= set(every_sweep)


@pytest.mark.slow
def test_ten_days_on_the_demo_data_run_the_sweeps_that_have_something_to_do(system: LocalSystem) -> None:
    """Ten days (two weekends, 1,680 sweep runs, ten noon releases of the demo halls): long enough
    that a hundredth of the sweep runs is more than the few that have something to do; each noon
    release costs a second or so of CPU, so not thirty."""
    system.seed()
    put_test_office(capacity=3)
    release_days()
    absent, present = citizen(system, 1), citizen(system, 2)
    missed = absent.book(DAY, "09:00").json()
    assert present.book(WEDNESDAY, "09:30").status == 201
    start, target = system.clock.now(), system.clock.now() + timedelta(days=DAYS)
    every = [
        a
        for s in schedules(read_sam_template())
        if '"sweep"' in (s.input_json or "")
        for a in occurrences(s, start, target)
    ]

    with counted_runs(system) as executed, counted_runs(system, "heal_sms") as healed:
        r = system.gateway.invoke("POST", "/local/clock", body={"now": target.isoformat()})

    assert r.status == 200, r.text
    fired = r.json()["fired"]
    assert fired.count("hallbook-dev-noon-release") == DAYS and fired.count("hallbook-dev-day-before-reminders") == DAYS
    assert 1 <= len(executed) <= 10 < len(every) // 100, f"{len(executed)} of {len(every)} sweep runs executed"
    assert len(healed) <= 10, (
        f"{len(healed)} SMS healing runs executed"
    )  # every SMS went out at once: none to heal (every 5 minutes: 2,880 runs)
    assert fired.count("hallbook-dev-no-show-sweep") == len(executed)
    assert absent.login().get(f"/v1/bookings/{missed['booking_id']}").json()["status"] == "no_show"
    assert system.clock.now() == target


def test_the_clock_does_not_move_back(system: LocalSystem) -> None:
    api = system.gateway
    later = at("2026-09-14T12:30+08:00")
    assert api.invoke("POST", "/local/clock", body={"now": later.isoformat()}).status == 200

    body = problem(api.invoke("POST", "/local/clock", body={"now": "2026-09-14T12:29+08:00"}), 409, "INVALID_STATE")
    assert "un-run" in body["detail"] and "2026-09-14T12:30:00+08:00" in body["detail"]
    assert api.invoke("GET", "/local/clock").json() == {"now": later.isoformat()}

    same = api.invoke("POST", "/local/clock", body={"now": later.isoformat()})
    assert same.status == 200 and same.json() == {"now": later.isoformat(), "fired": [], "failed": []}


def test_the_sweep_hint_reads_the_booked_slots(system: LocalSystem) -> None:
    """From the first booked slot's end, for its day and the next (the sweep's catch-up day); None
    when nothing is booked, or only what no regular run reaches any more."""
    put_test_office(capacity=3)
    release_days()
    assert next_sweep_due(now()) is None
    person = citizen(system, 4)
    assert person.book(DAY, "09:30").status == 201
    slot_end = datetime.fromisoformat(f"{DAY}T10:00+08:00")
    assert next_sweep_due(now()) == slot_end
    assert next_sweep_due(slot_end + timedelta(hours=5)) == slot_end + timedelta(hours=5)  # due, not swept yet
    assert next_sweep_due(datetime(2026, 9, 17, tzinfo=SHANGHAI)) is None  # past every regular run's reach
    assert next_sweep_due(datetime(2026, 9, 17, tzinfo=SHANGHAI), days_back=2) is not None
    system.move_clock(slot_end + timedelta(minutes=5))
    assert next_sweep_due(now()) is None  # swept


def test_the_healing_hint_reads_the_undelivered_sms(system: LocalSystem) -> None:
    """From 3 minutes after the oldest undelivered SMS, at once while a probe failed or SmsDLQ holds
    anything; None when nothing could be done."""
    if not any('"heal_sms"' in (s.input_json or "") for s in schedules(read_sam_template())):
        pytest.skip("the template has no SMS healing schedule")
    from hallbook.services.sms_healing import OVERDUE_SECONDS

    assert next_healing_due(now()) is None
    state.SMS_PROVIDER_FAILING.set(True)  # the verification code stays undelivered
    idn, phone = id_number("440305", "19850101", "009"), "13600000009"
    r = system.gateway.invoke(
        "POST", "/v1/accounts", body={"name": "王九", "id_number": idn, "phone": phone, "password": "secret-pass-1"}
    )
    assert r.status == 201, r.text
    system.pump.drain()
    assert next_healing_due(now()) == now() + timedelta(seconds=OVERDUE_SECONDS)
    assert next_healing_due(now() + timedelta(hours=1)) == now() + timedelta(hours=1)

    system.move_clock(now() + timedelta(minutes=4))  # the healing run's probe fails: it backs off
    assert next_healing_due(now()) == now()
    state.SMS_PROVIDER_FAILING.set(False)
    system.move_clock(now() + timedelta(minutes=30))  # the probe goes out: healed
    assert next_healing_due(now()) is None

    sqs = boto3.client("sqs", endpoint_url=system.aws.url)
    sqs.send_message(QueueUrl=system.resources.ref("SmsDLQ"), MessageBody='{"message_id": "x"}')
    assert next_healing_due(now()) == now()
