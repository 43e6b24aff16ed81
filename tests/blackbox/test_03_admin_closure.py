"""Scenario 4: an administrator closes a hall for a day that has a booking: the hall cancels it and
the citizen is told by SMS; it does not count against the citizen."""

from __future__ import annotations

from datetime import date

import pytest
from blackbox_support import Api, assert_problem, availability, book, booked, past_the_caches, register

pytestmark = [pytest.mark.R4, pytest.mark.R11]

OFFICE = "hk-longhua-jinmao-ps"
SERVICE = "ID_RENEW"


def test_closure_cancels_the_days_bookings_and_tells_the_citizen(api: Api) -> None:
    admin = api.login("admin", "local-admin-pass")
    citizen = register(api)
    day = max(availability(api, OFFICE, SERVICE))  # the last released day: no other scenario uses it
    booking = booked(api, citizen, OFFICE, SERVICE, day, "09:00")
    api.wait_sms(citizen.phone, lambda m: booking["reference"] in m and "预约成功" in m, "confirming the booking")

    closure = {"date": day, "reason": "停电检修"}
    # only administrators close halls
    assert_problem(api.post(f"/v1/offices/{OFFICE}/closures", closure, token=citizen.token), 403, "FORBIDDEN")
    staff = api.login(f"staff@{OFFICE}", "local-staff-pass")
    assert_problem(api.post(f"/v1/offices/{OFFICE}/closures", closure, token=staff), 403, "FORBIDDEN")
    assert_problem(api.post(f"/v1/offices/{OFFICE}/closures", closure), 401, "UNAUTHENTICATED")
    assert_problem(api.post("/v1/offices/no-such-hall/closures", closure, token=admin), 404, "NOT_FOUND")

    reply = api.post(f"/v1/offices/{OFFICE}/closures", closure, token=admin)
    assert reply.status in (200, 201), reply
    assert reply.json().get("bookings_cancelled", 1) >= 1, reply

    got = api.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token)
    assert got.status == 200, got
    assert got.json()["status"] == "cancelled", got
    message = api.wait_sms(
        citizen.phone, lambda m: booking["reference"] in m and "已取消" in m, "telling of the closure"
    )
    closed = date.fromisoformat(day)
    assert "停电检修" in message and f"{closed.month}月{closed.day}日" in message, message
    past_the_caches(api)  # the first read's answer may be served for ~2 s more (stage cache, then environment's)
    assert day not in availability(api, OFFICE, SERVICE), "a closed day offers no slots"
    assert api.get("/v1/me", token=citizen.token).json()["restrictions"]["cancellations_this_month"] == 0

    # the closed day cannot be booked
    other = register(api)
    assert_problem(book(api, other, OFFICE, SERVICE, day, "10:00"), 409, "NO_SUCH_SLOT")
