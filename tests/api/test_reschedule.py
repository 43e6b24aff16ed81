"""R8a through the gateway: a booking moves in one step, is not a cancellation, gives one SMS with both
times, is idempotent, closes at the cut-off, and someone else's booking is 404."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI
from hallbook.store import slots as slot_store
from hallbook.store.bookings import get_subject
from tests.support import OFFICE, SERVICE, auth, open_office, problem, registered

DAY = "2026-09-15"  # Tuesday, tomorrow
OTHER = "2026-09-16"

pytestmark = pytest.mark.R8a


@pytest.fixture
def office(system):
    return open_office(system, capacity=2)


def move(citizen, booking_id: str, key: str | None = "m1", **body):
    return citizen.api.invoke(
        "POST", f"/v1/bookings/{booking_id}/reschedule", headers=auth(citizen.token, key), body=body
    )


def slot(day: str, start: str):
    return slot_store.get_slot(OFFICE, SERVICE, datetime.fromisoformat(day).date(), start)


def test_a_booking_moves_keeps_its_reference_frees_the_old_place_late_and_sends_one_sms(office):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    r = move(citizen, booking["booking_id"], date=OTHER, start="09:30")
    assert r.status == 200, r.text
    moved = r.json()
    assert (moved["date"], moved["start"], moved["end"], moved["status"]) == (OTHER, "09:30", "10:00", "booked")
    assert moved["reference"] == booking["reference"] and moved["booking_id"] == booking["booking_id"]
    assert slot(OTHER, "09:30").booked == 1
    old = slot(DAY, "09:00")
    assert old.booked == 1 and old.held == 1  # R19: the old place is a delayed place, not free at once
    subject = get_subject(citizen.id_number)
    assert subject.cancel_count == 0 and subject.active_services == {SERVICE}  # R11: not a cancellation
    assert citizen.get(f"/v1/bookings/{booking['booking_id']}").json()["date"] == OTHER
    office.pump.drain()
    texts = [m["message"] for m in office.sms_messages(citizen.phone) if "改" in m["message"]]
    assert len(texts) == 1 and "9月16日 09:30" in texts[0] and "9月15日 09:00" in texts[0], texts


def test_the_same_key_replays_and_another_key_moves_again(office):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    first = move(citizen, booking["booking_id"], "k", date=OTHER, start="09:00").json()
    again = move(citizen, booking["booking_id"], "k", date=OTHER, start="09:00")
    assert again.status == 200 and again.json() == first
    assert slot(OTHER, "09:00").booked == 1
    problem(move(citizen, booking["booking_id"], "k", date=OTHER, start="09:30"), 422, "VALIDATION_ERROR")
    back = move(citizen, booking["booking_id"], "k2", date=DAY, start="09:30")
    assert back.status == 200 and back.json()["date"] == DAY
    office.pump.drain()
    assert len([m for m in office.sms_messages(citizen.phone) if "改" in m["message"]]) == 2


def test_moving_to_where_it_is_changes_nothing(office):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    r = move(citizen, booking["booking_id"], None, date=DAY, start="09:00")
    assert r.status == 200 and r.json()["date"] == DAY
    assert slot(DAY, "09:00").booked == 1 and slot(DAY, "09:00").held == 0


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"date": "2026-09-14", "start": "09:00"}, 409, "OUTSIDE_WINDOW"),
        ({"date": "2026-09-19", "start": "09:00"}, 409, "NO_SUCH_SLOT"),
        ({"date": OTHER, "start": "09:15"}, 409, "NO_SUCH_SLOT"),
        ({"date": OTHER, "start": "09:00", "office_id": "nope"}, 404, "NOT_FOUND"),
        ({"date": "16/09/2026", "start": "09:00"}, 422, "VALIDATION_ERROR"),
        ({"date": OTHER}, 422, "VALIDATION_ERROR"),
        ({"date": OTHER, "start": "09:00", "service_code": "HR_BIRTH"}, 422, "VALIDATION_ERROR"),
    ],
)
def test_refusals(office, body, status, code):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    problem(move(citizen, booking["booking_id"], **body), status, code)
    assert citizen.get(f"/v1/bookings/{booking['booking_id']}").json()["date"] == DAY


def test_a_full_slot_is_refused_and_the_booking_stays(office):
    citizen, a, b = registered(office), registered(office), registered(office)
    a.book(OTHER)
    b.book(OTHER)
    booking = citizen.book(DAY).json()
    problem(move(citizen, booking["booking_id"], date=OTHER, start="09:00"), 409, "SLOT_FULL")
    assert slot(DAY, "09:00").booked == 1 and slot(DAY, "09:00").held == 0


def test_closed_at_the_cut_off(office):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    office.clock.set(datetime(2026, 9, 14, 18, 0, tzinfo=SHANGHAI))
    citizen.login()
    problem(move(citizen, booking["booking_id"], date=OTHER, start="09:00"), 409, "CANCEL_CLOSED")


def test_a_cancelled_booking_cannot_move(office):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    assert citizen.cancel(booking["booking_id"]).status == 200
    problem(move(citizen, booking["booking_id"], date=OTHER, start="09:00"), 409, "NOT_CANCELLABLE")


@pytest.mark.R13
def test_someone_elses_booking_is_not_found(office):
    owner, attacker = registered(office), registered(office)
    booking = owner.book(DAY).json()
    problem(move(attacker, booking["booking_id"], date=OTHER, start="09:00"), 404, "NOT_FOUND")
    problem(move(attacker, "0" * 32, date=OTHER, start="09:00"), 404, "NOT_FOUND")
    assert owner.get(f"/v1/bookings/{booking['booking_id']}").json()["date"] == DAY
    assert slot(OTHER, "09:00") is None or slot(OTHER, "09:00").booked == 0


@pytest.mark.R23
def test_a_move_cannot_reach_a_drawn_day_before_its_draw(office, api):
    """R23 with R8a: a drawn day's places are the draw's until it is done; a reschedule is no way round."""
    from tests.api.test_draws import DAY as DRAWN_DAY
    from tests.api.test_draws import NOON, _seeded_admin
    from tests.support import login

    citizen = registered(office)
    booking = citizen.book(DAY).json()
    _seeded_admin(office)
    admin = login(api, "admin", "local-admin-pass")
    r = api.invoke("PUT", f"/v1/regions/shenzhen/draws/{SERVICE}", headers=auth(admin), body={"entry_minutes": 10})
    assert r.status == 200, r.text
    office.move_clock(NOON + timedelta(seconds=30))
    citizen.login()
    problem(move(citizen, booking["booking_id"], date=DRAWN_DAY, start="09:00"), 409, "DRAW_OPEN")
    assert move(citizen, booking["booking_id"], date=OTHER, start="09:30").status == 200  # a day not drawn
