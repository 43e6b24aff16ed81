"""R8a through the gateway: a booking moves in one step, is not a cancellation, gives one SMS with both
times, is idempotent, closes at the cut-off, and someone else's booking is 404."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

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


# The rules' refusals (window, slot, hall, cut-off, full, cancelled, someone else's) are checked on the
# in-memory stores (tests/unit/test_booking_services.py); here what the request's model refuses.
@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"date": OTHER}, 422, "VALIDATION_ERROR"),
        ({"date": OTHER, "start": "09:00", "service_code": "HR_BIRTH"}, 422, "VALIDATION_ERROR"),
    ],
)
def test_refusals(office, body, status, code):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    problem(move(citizen, booking["booking_id"], **body), status, code)
    assert citizen.get(f"/v1/bookings/{booking['booking_id']}").json()["date"] == DAY


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
