"""Scenarios 5 and 3 on one day D, the first working day ahead: a citizen who does not come (the
reminder the day before, cancellation closed from 18:00, the no-show after the slot's end), and one
who does (check-in by reference within the window, a walk-in ticket at a `priority` hall, booking
tickets called first, completion, the display board). The clock only moves forward: D's bookings are
made first (module fixture), then the clock visits D-1 18:01, D 10:15 and D 10:40."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from blackbox_support import Api, assert_problem, at, availability, booked, register

pytestmark = [pytest.mark.R10, pytest.mark.R12, pytest.mark.R14, pytest.mark.R15, pytest.mark.R16]

PRIORITY_OFFICE = "gz-tianhe-yuangang-ps"  # mode priority: walk-ins allowed, bookings called first
BOOK_FIRST_OFFICE = "gz-tianhe-centre"
NO_SHOW_OFFICE = "sz-futian-centre"
SERVICE = "ID_RENEW"
CHECK_IN_START = "11:00"  # PRIORITY_OFFICE's 11:00-11:30 slot: check-in opens 10:30
NO_SHOW_START = "09:00"  # NO_SHOW_OFFICE's 09:00-10:00 slot
STAFF_PASSWORD = "local-staff-pass"


def board_once(api: Api, office: str, shows: Callable[[dict], bool], what: str, timeout: float = 5) -> dict:
    """The display board `hall` serves, polled until it `shows` what it should; fails naming `what`
    and the last board when it has not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not shows(board := api.get(f"{office}/queue").json()):
        assert time.monotonic() < deadline, f"the board did not show {what} within {timeout:g} s: {board}"
        time.sleep(0.2)
    return board


@pytest.fixture(scope="module")
def office_day(server: Api) -> dict:
    api = server
    now = api.now()
    a_days = availability(api, PRIORITY_OFFICE, SERVICE)
    b_days = availability(api, NO_SHOW_OFFICE, SERVICE)
    for day in sorted(set(a_days) & set(b_days)):
        if (
            at(date.fromisoformat(day) - timedelta(days=1), "15:00") > now
            and a_days[day].get(CHECK_IN_START, {}).get("remaining")
            and b_days[day].get(NO_SHOW_START, {}).get("remaining")
        ):
            break
    else:
        pytest.fail("no day with both slots free")
    comer, latecomer, absentee = register(api), register(api), register(api)
    visit = booked(api, comer, PRIORITY_OFFICE, SERVICE, day, CHECK_IN_START)
    later = booked(api, latecomer, PRIORITY_OFFICE, SERVICE, day, CHECK_IN_START)  # booked after `visit`
    assert later["created_at"] > visit["created_at"]
    return {
        "day": day,
        "comer": comer,
        "latecomer": latecomer,
        "absentee": absentee,
        "visit": visit,
        "later": later,
        "missed": booked(api, absentee, NO_SHOW_OFFICE, SERVICE, day, NO_SHOW_START),
    }


def test_reminder_the_day_before_and_no_cancelling_after_six_pm(api: Api, office_day: dict) -> None:
    day, absentee, missed = office_day["day"], office_day["absentee"], office_day["missed"]
    api.move_clock(at(date.fromisoformat(day) - timedelta(days=1), "18:01"))
    # R16: the reminder went out at 16:00 the day before
    api.wait_sms(absentee.phone, lambda m: missed["reference"] in m and "提醒" in m, "reminding of the booking")
    # R10: from 18:00 the day before, cancelling is closed
    reply = api.post(f"/v1/bookings/{missed['booking_id']}/cancel", token=api.login(absentee.phone, absentee.password))
    assert_problem(reply, 409, "CANCEL_CLOSED")


def test_no_show_after_the_slot_ends(api: Api, office_day: dict) -> None:
    """R12: not checked in by the end of its slot: no_show, counted, told by SMS."""
    day, absentee, missed = office_day["day"], office_day["absentee"], office_day["missed"]
    api.move_clock(at(day, "10:15"))  # the slot ended at 10:00; the sweep runs every 5 minutes
    token = api.login(absentee.phone, absentee.password)
    reply = api.get(f"/v1/bookings/{missed['booking_id']}", token=token)
    assert reply.status == 200, reply
    assert reply.json()["status"] == "no_show", reply
    restrictions = api.get("/v1/me", token=token).json()["restrictions"]
    assert restrictions["no_shows_in_six_months"] == 1, restrictions
    assert restrictions["suspended_until"] is None, restrictions  # one no-show suspends nothing
    api.wait_sms(absentee.phone, lambda m: missed["reference"] in m and "爽约" in m, "telling of the no-show")

    staff = api.login(f"staff@{NO_SHOW_OFFICE}", STAFF_PASSWORD)
    assert_problem(
        api.post(f"/v1/offices/{NO_SHOW_OFFICE}/check-ins", {"reference": missed["reference"]}, token=staff),
        409,
        "CHECK_IN_CLOSED",
    )
    assert_problem(api.post(f"/v1/bookings/{missed['booking_id']}/cancel", token=token), 409, "NOT_CANCELLABLE")


def test_check_in_walk_in_call_next_complete_and_board(api: Api, office_day: dict) -> None:
    day, comer, visit = office_day["day"], office_day["comer"], office_day["visit"]
    staff = api.login(f"staff@{PRIORITY_OFFICE}", STAFF_PASSWORD)
    office = f"/v1/offices/{PRIORITY_OFFICE}"
    token = api.login(comer.phone, comer.password)

    # roles: a citizen, or staff of another hall, may not use this hall's staff routes
    assert_problem(api.post(f"{office}/check-ins", {"reference": visit["reference"]}, token=token), 403, "FORBIDDEN")
    other_staff = api.login(f"staff@{BOOK_FIRST_OFFICE}", STAFF_PASSWORD)
    assert_problem(api.post(f"{office}/queue/next", {"counter": "1"}, token=other_staff), 403, "FORBIDDEN")
    # R4: a book_first hall issues no walk-in tickets for bookable business
    assert_problem(
        api.post(f"/v1/offices/{BOOK_FIRST_OFFICE}/tickets", {"service_code": SERVICE}, token=other_staff),
        409,
        "BOOKING_REQUIRED",
    )

    opens = at(day, CHECK_IN_START) - timedelta(minutes=30)
    if api.now() < opens - timedelta(minutes=2):  # R14: not before the slot's start minus 30 minutes
        assert_problem(
            api.post(f"{office}/check-ins", {"reference": visit["reference"]}, token=staff), 409, "CHECK_IN_CLOSED"
        )
    api.move_clock(at(day, CHECK_IN_START) - timedelta(minutes=20))
    # sessions last 2 hours of the local clock, which may just have moved days
    staff = api.login(f"staff@{PRIORITY_OFFICE}", STAFF_PASSWORD)
    token = api.login(comer.phone, comer.password)

    # a walk-in first; then the booking made later checks in (by ID number), then the one made first
    reply = api.post(f"{office}/tickets", {"service_code": "WALK_CONSULT"}, token=staff)
    assert reply.status == 201, reply
    walk_in = reply.json()
    assert walk_in["kind"] == "walk_in" and walk_in["number"].startswith("B") and walk_in["status"] == "waiting"

    latecomer, later = office_day["latecomer"], office_day["later"]
    reply = api.post(f"{office}/check-ins", {"id_number": latecomer.id_number}, token=staff)
    assert reply.status == 201, reply
    second = reply.json()["ticket"]
    assert second["booking_id"] == later["booking_id"] and second["number"].startswith("A"), second
    assert latecomer.id_number not in reply.text  # masked in the booking shown to staff

    reply = api.post(f"{office}/check-ins", {"reference": visit["reference"]}, token=staff)
    assert reply.status == 201, reply
    ticket, checked_in = reply.json()["ticket"], reply.json()["booking"]
    assert ticket["kind"] == "booking" and ticket["number"].startswith("A") and ticket["status"] == "waiting"
    assert ticket["booking_id"] == visit["booking_id"]
    assert checked_in["status"] == "checked_in"
    assert api.get(f"/v1/bookings/{visit['booking_id']}", token=token).json()["status"] == "checked_in"
    assert_problem(
        api.post(f"{office}/check-ins", {"reference": visit["reference"]}, token=staff), 409, "INVALID_STATE"
    )

    # the board: numbers only; booking tickets ahead of the earlier walk-in, and among themselves in the
    # order the bookings were made, not the order of arrival (R15)
    board = api.get(f"{office}/queue")
    assert board.status == 200, board
    order = [ticket["number"], second["number"], walk_in["number"]]
    assert [w["number"] for w in board.json()["waiting"]] == order, board
    # R13: the citizen sees their ticket and how many are called before it
    late_token = api.login(latecomer.phone, latecomer.password)
    queue = api.get(f"/v1/bookings/{later['booking_id']}", token=late_token).json()["queue"]
    assert queue == {"ticket": second["number"], "ahead": 1}, queue
    for secret in (comer.id_number, comer.phone, comer.name, visit["reference"], latecomer.id_number):
        assert secret not in board.text, secret

    reply = api.post(f"{office}/queue/next", {"counter": "1"}, token=staff)
    assert reply.status == 200, reply
    called = reply.json()
    assert called["ticket_id"] == ticket["ticket_id"] and called["status"] == "called" and called["counter"] == "1"
    # the board is cached for up to a second (the API stage cache, simulated by local mode): it shows
    # the call within that
    board = board_once(api, office, lambda b: b["last_called"] is not None, "the first call")
    assert board["last_called"]["number"] == ticket["number"], board
    assert [w["number"] for w in board["waiting"]] == order[1:], board
    listed = api.get("/v1/bookings", token=late_token).json()["bookings"]
    assert [b["queue"] for b in listed if b["booking_id"] == later["booking_id"]] == [
        {"ticket": second["number"], "ahead": 0}
    ], listed

    reply = api.post(f"{office}/tickets/{ticket['ticket_id']}/complete", token=staff)
    assert reply.status == 200, reply
    assert reply.json()["ticket"]["status"] == "done"
    assert reply.json()["booking"]["status"] == "completed"
    assert api.get(f"/v1/bookings/{visit['booking_id']}", token=token).json()["status"] == "completed"
    assert_problem(api.post(f"{office}/tickets/{ticket['ticket_id']}/complete", token=staff), 409, "INVALID_STATE")

    for expected, counter in ((second, "2"), (walk_in, "1")):
        reply = api.post(f"{office}/queue/next", {"counter": counter}, token=staff)
        assert reply.status == 200, reply
        assert reply.json()["ticket_id"] == expected["ticket_id"] and reply.json()["counter"] == counter, reply
        reply = api.post(f"{office}/tickets/{expected['ticket_id']}/complete", token=staff)
        assert reply.status == 200, reply
    assert reply.json()["booking"] is None  # the walk-in's
    assert_problem(api.post(f"{office}/queue/next", {"counter": "1"}, token=staff), 404, "QUEUE_EMPTY")
    board = board_once(api, office, lambda b: not b["waiting"], "an empty queue")  # cached for up to a second, as above
    # R15a: a completed call leaves the board
    assert board["waiting"] == [], board
    assert (board["last_called"] or {}).get("number") in (None, walk_in["number"]), board
