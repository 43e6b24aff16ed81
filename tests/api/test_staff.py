"""R14, R15 at the hall through the gateway: check-in's status, codes and body, what its DynamoDB
lookups (reference, account and subject indexes) and transaction (the R9 lock released) show,
concurrent counters and check-ins, completion, the display board's caching, and the role and office
checks on every staff route. The rules (the window's edges, which booking an ID number checks in, the
call order, numbering, counter names) are checked on the in-memory hall day:
tests/unit/test_counter_services.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.domain import errors
from hallbook.domain.queue import Kind, Waiting, call_order, estimated_wait_minutes, ticket_number
from hallbook.services import accounts, checkin
from hallbook.services import tickets as ticket_service
from tests.idnumbers import id_number
from tests.support import (
    CHILD_SERVICE,
    OFFICE,
    SERVICE,
    WALK_IN,
    auth,
    link_guardian,
    login,
    put_test_office,
    registered,
    release_days,
    run_at_once,
)

pytestmark = [pytest.mark.R14, pytest.mark.R15]

DAY = "2026-09-15"  # Tuesday, tomorrow at START
OTHER = "other-hall"  # a book_first hall


def at(hhmm: str, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00")


@pytest.fixture
def offices(system):
    put_test_office(capacity=3)  # priority
    put_test_office(capacity=3, office_id=OTHER, mode="book_first")
    for office in (OFFICE, OTHER):
        release_days(office_id=office)
    return system


class StaffTokens:
    """staff[office]: a token of that hall's staff, from a login at the clock's current instant
    (tokens last two hours; tests move the clock by days)."""

    def __init__(self, api, offices):
        self.api = api
        for office in offices:
            accounts.create_staff_account(f"staff@{office}", "staff-pass-1", "staff", "窗口", office, now())

    def __getitem__(self, office: str) -> str:
        return login(self.api, f"staff@{office}", "staff-pass-1")


@pytest.fixture
def staff(offices, api):
    return StaffTokens(api, (OFFICE, OTHER))


def check_in(api, token, body, office=OFFICE):
    return api.invoke("POST", f"/v1/offices/{office}/check-ins", headers=auth(token), body=body)


def call_next(api, token, counter="1", office=OFFICE):
    return api.invoke("POST", f"/v1/offices/{office}/queue/next", headers=auth(token), body={"counter": counter})


def walk_in(api, token, service=WALK_IN, office=OFFICE):
    return api.invoke("POST", f"/v1/offices/{office}/tickets", headers=auth(token), body={"service_code": service})


# ---------------------------------------------------------------- check-in (R14)


@pytest.mark.parametrize(
    "when, status",
    [
        ("08:29", 409),  # start - 31 min (each edge: tests/unit/test_counter_services.py)
        ("08:30", 201),  # start - 30 min: open
    ],
)
def test_check_in_window_edges(system, staff, api, when, status):
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()  # slot 09:00-09:30
    system.clock.set(at(when))
    r = check_in(api, staff[OFFICE], {"reference": booking["reference"]})
    assert r.status == status, r.text
    if status == 409:
        assert r.json()["code"] == "CHECK_IN_CLOSED" and "08:30-09:30" in r.json()["detail"]
    else:
        body = r.json()
        assert body["ticket"]["number"] == "A001" and body["ticket"]["kind"] == "booking"
        assert body["ticket"]["status"] == "waiting" and body["ticket"]["booking_id"] == booking["booking_id"]
        assert body["booking"]["status"] == "checked_in"
        assert citizen.login().get(f"/v1/bookings/{booking['booking_id']}").json()["status"] == "checked_in"


def test_check_in_by_reference_is_forgiving_once_only_and_for_this_office(system, staff, api):
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    system.clock.set(at("08:45"))
    spoken = booking["reference"].replace("-", " ").lower().replace("0", "o").replace("1", "l")
    r = check_in(api, staff[OTHER], {"reference": booking["reference"]}, office=OTHER)
    assert r.status == 404 and r.json()["code"] == "NOT_FOUND"  # another hall's: as unknown, staff learn nothing of it
    assert "测试大厅" not in r.json()["detail"] and DAY not in r.json()["detail"]
    r = check_in(api, staff[OFFICE], {"reference": spoken})
    assert r.status == 201, r.text
    r = check_in(api, staff[OFFICE], {"reference": booking["reference"]})
    assert r.status == 409 and r.json()["code"] == "INVALID_STATE"


def test_check_in_releases_the_one_booking_lock(system, staff, api):
    """R9, in the check-in transaction: checked in, the booking no longer holds the subject's lock."""
    citizen = registered(system)
    first = citizen.book(DAY, "09:00").json()
    assert citizen.book("2026-09-17", "09:00").json()["code"] == "ALREADY_BOOKED"
    system.clock.set(at("09:00"))
    assert check_in(api, staff[OFFICE], {"reference": first["reference"]}).status == 201
    assert citizen.login().book("2026-09-17", "09:00").status == 201  # R9: checked in is no longer active


def test_check_in_by_the_id_number_of_the_guardian_who_booked(system, staff, api):
    """The bookings made from an account (its index), found by the account holder's ID number; which
    booking is picked when: tests/unit/test_counter_services.py."""
    guardian = registered(system)
    child = id_number("440305", "20200301", "123")
    link_guardian(system, guardian, child)
    minor = guardian.book(DAY, "10:00", service=CHILD_SERVICE, subject_id_number=child).json()
    assert minor["status"] == "booked", minor
    system.clock.set(at("09:45"))
    r = check_in(api, staff[OFFICE], {"id_number": guardian.id_number})  # the minor's, through the guardian
    assert r.status == 201 and r.json()["booking"]["booking_id"] == minor["booking_id"], r.text
    assert child not in r.text and guardian.id_number not in r.text  # masked


def test_check_in_by_minor_id_number_without_guardian(system, staff, api):
    guardian = registered(system)
    child = id_number("440305", "20210501", "124")
    link_guardian(system, guardian, child)
    minor = guardian.book(DAY, "10:00", service=CHILD_SERVICE, subject_id_number=child).json()
    system.clock.set(at("10:05"))
    r = check_in(api, staff[OFFICE], {"id_number": child})
    assert r.status == 201 and r.json()["booking"]["booking_id"] == minor["booking_id"]


# ---------------------------------------------------------------- tickets and the queue (R15)


def test_walk_ins_only_at_priority_offices(system, staff, api):
    system.clock.set(at("09:00"))
    r = walk_in(api, staff[OFFICE])
    assert r.status == 201 and r.json()["number"] == "B001" and r.json()["kind"] == "walk_in"
    assert r.json()["ticket_id"] == "20260915-B001"
    r = walk_in(api, staff[OTHER], service=SERVICE, office=OTHER)
    assert r.status == 409 and r.json()["code"] == "BOOKING_REQUIRED"


def test_call_order_rule():
    t = datetime(2026, 9, 15, 8, 0, tzinfo=SHANGHAI)
    walk = Waiting("w", "B001", Kind.WALK_IN, t - timedelta(minutes=10), "2026-09-15T07:50:00+08:00")
    late = Waiting("l", "A001", Kind.BOOKING, t, "2026-09-14T10:00:00+08:00")
    early = Waiting("e", "A002", Kind.BOOKING, t, "2026-09-14T09:00:00+08:00")
    assert [w.number for w in call_order([walk, late, early])] == ["A002", "A001", "B001"]
    assert ticket_number(Kind.BOOKING, 1) == "A001" and ticket_number(Kind.WALK_IN, 1234) == "B1234"
    assert estimated_wait_minutes(3, 0, 0, 1) == 30 and estimated_wait_minutes(3, 2, 600, 2) == 8


def test_two_counters_calling_at_once_never_get_the_same_ticket(system, staff, api):
    system.clock.set(at("09:00"))
    for _ in range(6):
        assert walk_in(api, staff[OFFICE]).status == 201
    results = run_at_once([lambda c=c: ticket_service.call_next(OFFICE, str(c), now()) for c in range(1, 9)])
    numbers = [r.number for r in results if not isinstance(r, Exception)]
    empty = [r for r in results if isinstance(r, errors.QueueEmpty)]
    assert sorted(numbers) == [f"B00{i}" for i in range(1, 7)], results
    assert len(empty) == 2 and len(results) == 8


def test_two_check_ins_at_once_get_different_numbers(system, staff, api):
    citizens = [registered(system) for _ in range(3)]
    refs = [c.book(DAY, "09:00").json()["reference"] for c in citizens]
    system.clock.set(at("09:00"))
    results = run_at_once(
        [lambda ref=ref: checkin.check_in(OFFICE, ref, None, now()) for ref in refs]
        + [lambda: ticket_service.walk_in(OFFICE, WALK_IN, now())]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    numbers = sorted(r.ticket.number for r in results[:3])
    assert numbers == ["A001", "A002", "A003"] and results[3].number == "B001"


def test_complete_marks_the_ticket_done_and_the_booking_completed(system, staff, api):
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    system.clock.set(at("09:00"))
    ticket = check_in(api, staff[OFFICE], {"reference": booking["reference"]}).json()["ticket"]
    complete = f"/v1/offices/{OFFICE}/tickets/{ticket['ticket_id']}/complete"
    r = api.invoke("POST", complete, headers=auth(staff[OFFICE]))
    assert r.status == 409 and r.json()["code"] == "INVALID_STATE"  # not called yet
    assert call_next(api, staff[OFFICE], "5").json()["ticket_id"] == ticket["ticket_id"]
    system.clock.set(at("09:12"))
    r = api.invoke("POST", complete, headers=auth(staff[OFFICE]))
    assert r.status == 200, r.text
    assert r.json()["ticket"]["status"] == "done" and r.json()["booking"]["status"] == "completed"
    assert citizen.login().get(f"/v1/bookings/{booking['booking_id']}").json()["status"] == "completed"
    r = api.invoke("POST", f"/v1/offices/{OFFICE}/tickets/20260915-A999/complete", headers=auth(staff[OFFICE]))
    assert r.status == 404 and r.json()["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- the display board


def test_display_board_numbers_only_cheap_to_poll(system, staff, api):
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    system.clock.set(at("09:00"))
    check_in(api, staff[OFFICE], {"reference": booking["reference"]})
    walk_in(api, staff[OFFICE])
    walk_in(api, staff[OFFICE])
    call_next(api, staff[OFFICE], "3")
    r = api.invoke("GET", f"/v1/offices/{OFFICE}/queue")
    assert r.status == 200 and r.headers["cache-control"] == "public, max-age=5" and r.headers["etag"]
    board = r.json()
    assert board["last_called"]["number"] == "A001" and board["last_called"]["counter"] == "3"
    assert board["counters"] == [{"counter": "3", "number": "A001", "paused": False}]
    assert [w["number"] for w in board["waiting"]] == ["B001", "B002"] and board["waiting_count"] == 2
    assert [w["estimated_wait_minutes"] for w in board["waiting"]] == [0, 10] and board["estimated_wait_minutes"] == 20
    for secret in (citizen.id_number, citizen.phone, "李四", booking["reference"], booking["booking_id"]):
        assert secret not in r.text
    again = api.invoke("GET", f"/v1/offices/{OFFICE}/queue", headers={"If-None-Match": r.headers["etag"]})
    assert again.status == 304 and again.body == b""
    assert api.invoke("GET", "/v1/offices/nope/queue").status == 404


def test_empty_board(system, staff, api):
    board = api.invoke("GET", f"/v1/offices/{OFFICE}/queue").json()
    assert board["waiting"] == [] and board["last_called"] is None and board["estimated_wait_minutes"] == 0


# ---------------------------------------------------------------- roles and offices, on every staff route

STAFF_ROUTES = [
    ("POST", "/v1/offices/{office}/check-ins", {"reference": "ABCD-EFGH"}),
    ("POST", "/v1/offices/{office}/tickets", {"service_code": WALK_IN}),
    ("POST", "/v1/offices/{office}/queue/next", {"counter": "1"}),
    ("POST", "/v1/offices/{office}/tickets/20260915-B001/complete", None),
]


@pytest.mark.parametrize("method, path, body", STAFF_ROUTES)
def test_staff_of_another_office_a_citizen_and_an_operator_are_refused(system, staff, api, method, path, body):
    citizen = registered(system)
    accounts.create_staff_account("op1", "operator-pass-1", "operator", "话务员", None, now())
    operator = login(api, "op1", "operator-pass-1")
    for token in (staff[OTHER], citizen.token, operator):
        r = api.invoke(method, path.format(office=OFFICE), headers=auth(token), body=body)
        assert r.status == 403 and r.json()["code"] == "FORBIDDEN", (token, r.text)
    r = api.invoke(method, path.format(office=OFFICE), body=body)
    assert r.status == 401 and r.json()["code"] == "UNAUTHENTICATED"
    system.clock.set(at("09:00"))
    walk_in(api, staff[OFFICE])  # so that every route has something to act on for its own staff
    own = api.invoke(method, path.format(office=OFFICE), headers=auth(staff[OFFICE]), body=body)
    assert own.status != 403, own.text


def test_an_administrator_may_act_for_any_office(system, staff, api):
    accounts.create_staff_account("boss", "admin-pass-1", "admin", "管理员", None, now())
    system.clock.set(at("09:00"))
    token = login(api, "boss", "admin-pass-1")
    assert walk_in(api, token).status == 201


def test_local_mode_seeds_the_logins_the_spec_names(system, api, monkeypatch):
    monkeypatch.setattr("hallbook.services.release.release_booking_window", lambda **_: 0)  # the logins, not the slots
    offices = system.seed()
    priority = next(o for o in offices if o == "gz-tianhe-yuangang-ps")
    staff = login(api, f"staff@{priority}", "local-staff-pass")
    assert walk_in(api, staff, office=priority).status == 201
    assert walk_in(api, staff, office=offices[0]).json()["code"] == "FORBIDDEN"  # another hall
    admin = login(api, "admin", "local-admin-pass")
    assert api.invoke("GET", "/v1/audit", headers=auth(admin)).status == 200
    operator = login(api, "operator", "local-operator-pass")
    assert api.invoke("GET", "/v1/me", headers=auth(operator)).json()["role"] == "operator"


def test_two_bookings_open_at_once_for_one_id_number_ask_for_the_reference(system, staff, api):
    guardian = registered(system)
    child = id_number("440305", "20200301", "125")
    link_guardian(system, guardian, child)
    own = guardian.book(DAY, "09:00").json()  # check-in 08:30-09:30
    guardian.book(DAY, "10:00", service=CHILD_SERVICE, subject_id_number=child)  # check-in 09:30-11:00
    system.clock.set(at("09:30"))
    r = check_in(api, staff[OFFICE], {"id_number": guardian.id_number})
    assert r.status == 422 and r.json()["code"] == "VALIDATION_ERROR", r.text
    assert {m["service_code"] for m in r.json()["matches"]} == {SERVICE, CHILD_SERVICE}
    assert child not in r.text and guardian.id_number not in r.text
    assert check_in(api, staff[OFFICE], {"reference": own["reference"]}).status == 201
