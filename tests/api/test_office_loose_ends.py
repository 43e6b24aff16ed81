"""Issue 14 item 6, the hall's loose ends: a window collection's completion completes its booking and
ticket; tickets and bookings left open at the end of the day are closed by the evening job; staff opening
an application see the applicant's name and phone (audited); a mail collection's SMS carries the
tracking number staff enter."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.services import accounts
from tests.api.test_applications import (  # noqa: F401
    PERMIT_OFFICE,
    STEPS,
    approved_change,
    call,
    counter_collection,
    permit_offices,
    renewal,
    tokens,
)
from tests.support import (
    OFFICE,
    WALK_IN,
    auth,
    login,
    next_working_day,
    problem,
    put_test_office,
    registered,
    release_days,
)

pytestmark = [pytest.mark.R17]


def test_a_counter_collection_completes_its_booking_and_its_ticket_leaves_the_board(
    renewal, tokens, permit_offices, api
):
    citizen = renewal[0]
    app_id, collection = counter_collection(api, tokens, renewal)
    permit_offices.clock.set(permit_offices.clock.now().replace(day=15, hour=9, minute=35))
    staff = tokens.staff()
    checked = api.invoke(
        "POST",
        f"/v1/offices/{PERMIT_OFFICE}/check-ins",
        headers=auth(staff),
        body={"reference": collection["reference"]},
    )
    assert checked.status == 201
    assert api.invoke("GET", f"/v1/offices/{PERMIT_OFFICE}/queue").json()["waiting_count"] == 1
    problem(call(api, staff, "complete", app_id, {"tracking_number": "SF1"}), 422, "VALIDATION_ERROR")  # window
    assert call(api, staff, "complete", app_id).json()["state"] == "closed"
    assert api.invoke("GET", f"/v1/offices/{PERMIT_OFFICE}/queue").json()["waiting_count"] == 0
    booking = citizen.login().get(f"/v1/bookings/{collection['booking_id']}").json()
    assert booking["status"] == "completed"


def test_staff_see_the_applicant_s_name_and_phone_audited_and_the_mail_sms_carries_the_tracking_number(
    tokens, permit_offices, api
):
    citizen = registered(permit_offices)
    app_id = approved_change(api, tokens, citizen)
    assert call(api, citizen.token, "collection", app_id, STEPS["collection"][1]).status == 200
    staff = tokens.staff()
    full = api.invoke("GET", f"/v1/offices/{PERMIT_OFFICE}/applications/{app_id}", headers=auth(staff)).json()
    assert full["applicant"] == {"name": "李四", "phone": citizen.phone}
    entry = api.invoke("GET", "/v1/audit", headers=auth(tokens.admin)).json()["entries"][0]
    assert entry["action"] == "application.contact_viewed" and entry["target"] == f"APP#{app_id}"
    assert entry["actor_role"] == "staff"
    listed = api.invoke(
        "GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(staff), query={"state": "collecting"}
    ).json()["applications"]
    assert listed[0]["applicant"] is None  # the list shows no contact
    assert citizen.get(f"/v1/applications/{app_id}").json()["applicant"] is None
    problem(
        api.invoke(
            "GET", f"/v1/offices/{PERMIT_OFFICE}/applications/{app_id}", headers=auth(tokens.staff("hk-other-ps"))
        ),
        403,
        "FORBIDDEN",
    )  # another office's staff: not even the application

    problem(call(api, staff, "complete", app_id, {"tracking_number": "<script>"}), 422, "VALIDATION_ERROR")
    assert call(api, staff, "complete", app_id, {"tracking_number": "SF1234567890"}).json()["state"] == "closed"
    permit_offices.pump.drain()
    sms = permit_offices.sms_messages(citizen.phone)[0]["message"]
    assert "快递单号SF1234567890" in sms and "证件已寄出" in sms


@pytest.mark.R14
def test_the_evening_job_closes_what_the_day_left_open(system, api):
    put_test_office(capacity=2)
    release_days()
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    day = next_working_day()
    citizen = registered(system)
    booked = citizen.book(day, "09:00").json()
    system.move_clock(datetime.combine(day, time(8, 50), SHANGHAI))
    staff = auth(login(api, f"staff@{OFFICE}", "staff-pass-1"))
    assert (
        api.invoke(
            "POST", f"/v1/offices/{OFFICE}/check-ins", headers=staff, body={"reference": booked["reference"]}
        ).status
        == 201
    )
    walk_in = api.invoke("POST", f"/v1/offices/{OFFICE}/tickets", headers=staff, body={"service_code": WALK_IN}).json()
    called = api.invoke("POST", f"/v1/offices/{OFFICE}/queue/next", headers=staff, body={"counter": "1"}).json()
    assert api.invoke("GET", f"/v1/offices/{OFFICE}/queue").json()["waiting_count"] == 1

    system.move_clock(datetime.combine(day, time(22, 35), SHANGHAI))  # past 22:30
    assert api.invoke("GET", f"/v1/offices/{OFFICE}/queue").json()["waiting_count"] == 0
    assert citizen.login().get(f"/v1/bookings/{booked['booking_id']}").json()["status"] == "closed_at_day_end"
    from hallbook.store import tickets

    statuses = {
        t.ticket_id: t.status
        for t in (
            tickets.get_ticket(OFFICE, day, called["ticket_id"]),
            tickets.get_ticket(OFFICE, day, walk_in["ticket_id"]),
        )
    }
    assert set(statuses.values()) == {"closed_at_day_end"} and len(statuses) == 2
