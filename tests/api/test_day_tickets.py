"""GET /v1/offices/{office_id}/tickets: the counter console's day list - every ticket of the hall
today in the order issued, numbers and states only, for the hall's own staff."""

from __future__ import annotations

import pytest

from tests.api.test_staff import DAY, OFFICE, OTHER, at, call_next, check_in, offices, staff, walk_in  # noqa: F401 - fixtures
from tests.support import auth, registered

pytestmark = [pytest.mark.R15]


def day_list(api, token, office=OFFICE):
    return api.invoke("GET", f"/v1/offices/{office}/tickets", headers=auth(token))


def test_the_day_list_holds_every_ticket_of_today_in_the_order_issued(system, staff, api):
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    system.clock.set(at("08:40"))
    token = staff[OFFICE]
    assert day_list(api, token).json() == {"office_id": OFFICE, "date": DAY, "tickets": []}
    walk_in(api, token)
    system.clock.set(at("08:41"))
    check_in(api, token, {"reference": booking["reference"]})
    call_next(api, token, counter="3")  # the booking ticket goes first (R15)
    reply = day_list(api, token)
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    tickets = reply.json()["tickets"]
    assert [(t["number"], t["status"], t["counter"]) for t in tickets] == [
        ("B001", "waiting", None),
        ("A001", "called", "3"),
    ]
    assert tickets[1]["booking_id"] == booking["booking_id"]
    assert not any("id_number" in key or "name" in key for t in tickets for key in t)


def test_only_the_offices_own_staff_see_its_day(system, staff, api):
    assert day_list(api, staff[OTHER]).json()["code"] == "FORBIDDEN"
    assert api.invoke("GET", f"/v1/offices/{OFFICE}/tickets").status == 401
