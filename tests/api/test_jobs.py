"""R12, R16 and closures end to end, through the gateway, the scheduler and the pump: SMS that is
never lost (retries, dead letters, redrive), the day-before reminders' and the no-show sweep's
schedules and DynamoDB writes (their rules: tests/unit/test_job_services.py), and hall closures."""

from __future__ import annotations

from datetime import datetime

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.reminders import REMINDER_TIME
from hallbook.services.seed import ADMIN_LOGIN, ADMIN_PASSWORD, STAFF_PASSWORD, seed_local_accounts
from hallbook.store.outbox import OutboxItem
from local.template import read_sam_template, schedules
from tests.polling import eventually
from tests.support import (
    OFFICE,
    SERVICE,
    auth,
    login,
    open_office,
    problem,
    put_test_office,
    registered,
    release_days,
    sms_texts,
)

pytestmark = [pytest.mark.R4, pytest.mark.R12, pytest.mark.R16]

DAY = "2026-09-15"  # Tuesday, tomorrow at START (Monday 2026-09-14 09:00)
WEDNESDAY = "2026-09-16"
OTHER_OFFICE = "other-hall"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def office(system):
    return open_office(system)


def status(citizen, booking_id: str) -> str:
    r = citizen.get(f"/v1/bookings/{booking_id}")
    assert r.status == 200, r.text
    return r.json()["status"]


def job(system, name: str, **extra) -> dict:
    result = system.functions.invoke("JobsFunction", {"job": name, **extra})
    system.pump.drain()
    return result


def move_clock(api, instant: str) -> list[str]:
    """POST /local/clock, as a person trying local mode does; the schedules it fired."""
    r = api.invoke("POST", "/local/clock", body={"now": instant})
    assert r.status == 200 and not r.json()["failed"], r.text
    return r.json()["fired"]


def queue_depth(system, logical_id: str) -> int:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=system.aws.url)
    attributes = sqs.get_queue_attributes(
        QueueUrl=system.resources.ref(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


# ---------------------------------------------------------------- SMS never lost (R16)


def test_sms_failing_for_a_while_is_delivered_exactly_once_after_recovery(office, api, notifier, monkeypatch):
    monkeypatch.setattr(notifier, "RETRY_BASE_SECONDS", 1)  # retries after 1 s, 2 s, 4 s, ...
    citizens = [registered(office) for _ in range(3)]
    assert api.invoke("POST", "/local/sms-provider", body={"failing": True}).json() == {"failing": True}
    bookings = [c.book(DAY).json() for c in citizens]
    assert all(b["status"] == "booked" for b in bookings)  # a failing SMS never undoes a booking
    tried = lambda: all(OutboxItem.get(f"{b['booking_id']}#booked").attempts >= 2 for b in bookings)  # noqa: E731
    eventually(tried, step=office.pump.drain)  # the second try fails too
    assert all(not sms_texts(office, c.phone, b["reference"]) for c, b in zip(citizens, bookings))

    api.invoke("POST", "/local/sms-provider", body={"failing": False})
    eventually(
        lambda: all(sms_texts(office, c.phone, b["reference"]) for c, b in zip(citizens, bookings)),
        step=office.pump.drain,
    )
    for citizen, booking in zip(citizens, bookings):
        assert len(sms_texts(office, citizen.phone, booking["reference"])) == 1
        assert status(citizen, booking["booking_id"]) == "booked"
        item = OutboxItem.get(f"{booking['booking_id']}#booked")
        assert item.status == "sent" and item.attempts >= 3
    assert queue_depth(office, "SmsQueue") == 0 and queue_depth(office, "SmsDLQ") == 0


def test_sms_failing_for_good_lands_in_the_dlq_alarmed_then_redrive_delivers_once(
    office, api, notifier, monkeypatch, capsys
):
    monkeypatch.setattr(notifier, "RETRY_BASE_SECONDS", 0)  # every retry at once: straight to the DLQ
    citizen = registered(office)
    api.invoke("POST", "/local/sms-provider", body={"failing": True})
    booking = citizen.book(DAY).json()
    office.pump.drain()
    assert queue_depth(office, "SmsDLQ") == 1  # ApproximateNumberOfMessagesVisible: what SmsDLQAlarm watches
    assert queue_depth(office, "SmsQueue") == 0
    assert '"SmsSendFailed"' in capsys.readouterr().out  # the notifier's metric, one per failed try
    assert status(citizen, booking["booking_id"]) == "booked"
    assert not sms_texts(office, citizen.phone, booking["reference"])

    api.invoke("POST", "/local/sms-provider", body={"failing": False})
    assert job(office, "redrive_sms") == {"job": "redrive_sms", "moved": 1}
    assert len(sms_texts(office, citizen.phone, booking["reference"])) == 1
    assert job(office, "redrive_sms")["moved"] == 0
    assert len(sms_texts(office, citizen.phone, booking["reference"])) == 1
    assert queue_depth(office, "SmsDLQ") == 0


def test_template_alarms_on_the_sms_dlq_and_notifier_errors():
    resources = read_sam_template()["Resources"]
    dlq = resources["SmsDLQAlarm"]["Properties"]
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible" and dlq["Threshold"] == 0
    assert dlq["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["SmsDLQ", "QueueName"]}
    errors = resources["NotifierErrorsAlarm"]["Properties"]
    assert errors["MetricName"] == "Errors" and errors["Dimensions"][0]["Value"] == {"Ref": "NotifierFunction"}
    assert all(p["AlarmActions"] == [{"Ref": "AlarmTopic"}] for p in (dlq, errors))


# ---------------------------------------------------------------- reminders (R16)


def test_schedules_fire_in_shanghai_time_with_the_jobs_inputs():
    by_input = {s.input_json: s for s in schedules(read_sam_template())}
    reminders = by_input['{"job": "reminders"}']
    assert reminders.expression == f"cron({REMINDER_TIME.minute} {REMINDER_TIME.hour} * * ? *)"
    assert reminders.timezone == by_input['{"job": "sweep"}'].timezone == "Asia/Shanghai"


def test_the_schedule_sends_tomorrows_reminders_once_even_run_twice(office, api):
    """R16 through the scheduler and the pump (which bookings, and a late booking's own reminder:
    tests/unit/test_job_services.py); a second run is refused by the outbox's condition."""
    early = registered(office)
    b_early = early.book(DAY).json()
    fired = move_clock(api, "2026-09-14T16:01+08:00")
    assert "hallbook-dev-day-before-reminders" in fired
    (text,) = sms_texts(office, early.phone, "提醒")
    assert b_early["reference"] in text
    assert job(office, "reminders") == {"job": "reminders", "bookings": 1, "written": 0, "already": 1}
    assert len(sms_texts(office, early.phone, "提醒")) == 1


# ---------------------------------------------------------------- no-show sweep (R12)


def test_sweep_marks_no_shows_after_the_slot_end_once_even_run_twice(office, api):
    """R12 through the scheduler, the sparse index and the pump (the rule's variations, the catch-up,
    the warning and the suspension: tests/unit/test_job_services.py)."""
    first, second = registered(office), registered(office)
    b_first = first.book(DAY, start="09:00").json()  # ends 09:30
    b_second = second.book(DAY, start="09:30").json()  # ends 10:00

    office.clock.set(at("2026-09-15T09:00"))  # nothing is due before; the test stays short
    fired = move_clock(api, "2026-09-15T09:45+08:00")
    assert "hallbook-dev-no-show-sweep" in fired
    for c in (first, second):
        c.login()
    assert status(first, b_first["booking_id"]) == "no_show"
    assert status(second, b_second["booking_id"]) == "booked"  # its slot has not ended
    (text,) = sms_texts(office, first.phone, "爽约")
    assert b_first["reference"] in text

    assert job(office, "sweep", days_back=7) == {  # run twice: the same
        "job": "sweep",
        "due": 0,
        "no_shows": 0,
        "suspended": 0,
        "skipped": 0,
        "slots": 0,
        "waitlist": {"job": "waitlist", "due": 0, "timed_out": 0, "offered": 0, "returned": 0, "ended": 0},
    }
    assert len(sms_texts(office, first.phone, "爽约")) == 1
    assert first.get("/v1/me").json()["restrictions"]["no_shows_in_six_months"] == 1


# ---------------------------------------------------------------- closures


@pytest.fixture
def two_offices(office):
    put_test_office(capacity=3, office_id=OTHER_OFFICE)
    release_days(office_id=OTHER_OFFICE)
    seed_local_accounts([OFFICE])
    return office


def test_closure_cancels_exactly_that_days_bookings_at_that_office_and_tells_each_citizen(two_offices, api):
    first, second, other_day, other_office = (registered(two_offices) for _ in range(4))
    b_first = first.book(DAY, start="09:00").json()
    b_second = second.book(DAY, start="09:30").json()
    b_other_day = other_day.book(WEDNESDAY).json()
    b_other_office = other_office.book(DAY, office=OTHER_OFFICE).json()
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)

    r = api.invoke(
        "POST", f"/v1/offices/{OFFICE}/closures", headers=auth(admin), body={"date": DAY, "reason": "停电检修"}
    )
    assert r.status == 201, r.text
    assert r.json() == {
        "office_id": OFFICE,
        "date": DAY,
        "reason": "停电检修",
        "already_closed": False,
        "slots_closed": 3,
        "bookings_cancelled": 2,
        "cancelled_now": 2,
    }
    for citizen, booking in ((first, b_first), (second, b_second)):
        view = citizen.get(f"/v1/bookings/{booking['booking_id']}").json()
        assert view["status"] == "cancelled" and view["cancelled_by"] == "hall"
        told = sms_texts(two_offices, citizen.phone, "暂停办理")
        assert len(told) == 1 and "停电检修" in told[0] and booking["reference"] in told[0]
        assert citizen.get("/v1/me").json()["restrictions"]["cancellations_this_month"] == 0  # not counted
    assert status(other_day, b_other_day["booking_id"]) == "booked"
    assert status(other_office, b_other_office["booking_id"]) == "booked"
    assert not sms_texts(two_offices, other_day.phone, "暂停办理") and not sms_texts(
        two_offices, other_office.phone, "暂停办理"
    )

    # the day is no longer bookable, nor shown
    assert problem(other_day.book(DAY, service="HR_BIRTH", start="10:00"), 409, "NO_SUCH_SLOT")
    days = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, "from": DAY, "to": DAY})
    assert days.json()["days"] == []

    again = api.invoke(
        "POST", f"/v1/offices/{OFFICE}/closures", headers=auth(admin), body={"date": DAY, "reason": "another reason"}
    )
    assert again.status == 201 and again.json() == {**r.json(), "already_closed": True, "cancelled_now": 0}
    assert (
        len(sms_texts(two_offices, first.phone, "暂停办理")) == 1
        and len(sms_texts(two_offices, second.phone, "暂停办理")) == 1
    )
    log = api.invoke("GET", "/v1/audit", headers=auth(admin)).json()["entries"]
    closes = [e for e in log if e["action"] == "office.close_day"]
    assert len(closes) == 1 and closes[0]["target"] == f"OFFICE#{OFFICE}"  # who closed which day, once


def test_closure_route_is_for_administrators_only(two_offices, api):
    citizen = registered(two_offices)
    body = {"date": DAY, "reason": "停电检修"}
    path = f"/v1/offices/{OFFICE}/closures"
    problem(api.invoke("POST", path, body=body), 401, "UNAUTHENTICATED")
    problem(api.invoke("POST", path, headers=auth(citizen.token), body=body), 403, "FORBIDDEN")
    staff = login(api, f"staff@{OFFICE}", STAFF_PASSWORD)
    problem(api.invoke("POST", path, headers=auth(staff), body=body), 403, "FORBIDDEN")
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    problem(
        api.invoke("POST", path, headers=auth(admin), body={"date": "2026-09-13", "reason": "x"}),
        422,
        "VALIDATION_ERROR",
    )  # the past
    problem(api.invoke("POST", "/v1/offices/nope/closures", headers=auth(admin), body=body), 404, "NOT_FOUND")


def test_two_no_shows_of_one_subject_in_one_run_both_count_and_writes_are_optimistic(office, api):
    from hallbook.services import sweep
    from hallbook.store import bookings as store
    from hallbook.store import catalog
    from hallbook.store.bookings import SubjectMoved

    catalog.put_service(
        {
            "code": "HR_BIRTH",
            "name_zh": "出生登记",
            "name_en": "Birth registration",
            "appointment_required": True,
            "materials": [],
            "notice": "请准时到达",
        }
    )  # an adult's, here
    catalog.invalidate_cache()
    citizen = registered(office)
    first = citizen.book(DAY, start="09:00").json()
    r = citizen.book(DAY, service="HR_BIRTH", start="10:00")
    assert r.status == 201, r.text
    office.clock.set(at(f"{DAY}T12:00"))
    now = office.clock.now()
    booked = {b.booking_id: b for b in store.get_bookings(store.due_for_sweep(datetime.fromisoformat(DAY).date(), now))}
    assert set(booked) == {first["booking_id"], r.json()["booking_id"]}

    stale = store.get_subject(citizen.id_number)
    until = "2027-03-15T00:00:00+08:00"  # as a third no-show would start it (R12): written with the no-show
    assert store.mark_no_show(booked[first["booking_id"]], stale, now, [], until) is True
    assert store.get_subject(citizen.id_number).noshow_until == until
    with pytest.raises(SubjectMoved):  # the no-shows changed since `stale` was read
        store.mark_no_show(booked[r.json()["booking_id"]], stale, now, [], None)
    assert store.mark_no_show(booked[first["booking_id"]], store.get_subject(citizen.id_number), now, [], None) is False

    result = sweep.sweep(now)  # reads the subject again: the second no-show is recorded too
    assert (result.no_shows, result.skipped) == (1, 0)
    subject = store.get_subject(citizen.id_number)
    assert [d.isoformat() for d in subject.no_shows] == [DAY, DAY] and not subject.active_services
    assert subject.noshow_until == until  # never shortened
