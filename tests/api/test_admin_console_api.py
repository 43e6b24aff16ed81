"""Issue 26's API side of the administrators' console: a large timetable change's slots in a job
(R4: no booking lost, no slot booked beyond what it says), the closure preview and the calendar's alarm
state read back (R5), and who may use them."""

from __future__ import annotations

import pytest

from hallbook.clock import now
from hallbook.services import accounts, catalog_admin
from tests.support import OFFICE, SERVICE, WALK_IN, auth, login, open_office, registered

DAY = "2026-09-15"  # Tuesday, tomorrow at START


@pytest.fixture
def office(system):
    return open_office(system)


@pytest.fixture
def admin_token(office, api):
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    return login(api, "admin", "admin-pass-1")


def office_body(capacity: int, start: str = "09:00") -> dict:
    return {
        "name": "测试大厅",
        "name_en": "Test hall",
        "region": "shenzhen",
        "district": "福田区",
        "address": "深圳市福田区测试路1号",
        "mode": "priority",
        "services": [SERVICE, "HR_BIRTH", WALK_IN],
        "timetable": {SERVICE: [{"days": [1, 2, 3, 4, 5], "start": start, "end": "09:30", "capacity": capacity}]},
    }


def capacity_at(api, day: str = DAY) -> dict:
    r = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, "from": day, "to": day})
    days = r.json()["days"]
    return {s["start"]: (s["capacity"], s["remaining"]) for s in (days[0]["slots"] if days else [])}


@pytest.mark.R4
def test_a_large_timetable_change_is_applied_by_a_job_keeping_every_booking(
    system, office, admin_token, api, monkeypatch
):
    monkeypatch.setattr(catalog_admin, "SYNC_SLOTS", 2)  # this small hall's change counts as large
    citizens = [registered(office) for _ in range(3)]
    booked = [c.book(DAY, "09:00").json() for c in citizens]  # 3 of 3 places
    tag = api.invoke("GET", f"/v1/offices/{OFFICE}", headers=auth(admin_token)).headers["etag"]

    r = api.invoke("PUT", f"/v1/offices/{OFFICE}", headers={**auth(admin_token), "If-Match": tag}, body=office_body(1))
    assert r.status == 200, r.text
    slots = r.json()["slots"]
    assert slots["queued"] is True and slots["slots_to_change"] > 2
    assert capacity_at(api) == {"09:00": (3, 0), "09:30": (3, 3)}  # until the job: as stored, still full

    system.pump.drain()  # the job (ReleaseQueue)
    assert capacity_at(api) == {"09:00": (1, 0)}  # 3 bookings kept on 1 place; 09:30 closed
    assert capacity_at(api, "2026-09-16") == {"09:00": (1, 1)}
    for citizen, booking in zip(citizens, booked):
        assert citizen.get(f"/v1/bookings/{booking['booking_id']}").json()["status"] == "booked"
    assert registered(office).book(DAY, "09:00").json()["code"] == "SLOT_FULL"
    applied = next(
        e
        for e in api.invoke("GET", "/v1/audit", headers=auth(admin_token)).json()["entries"]
        if e["action"] == "office.timetable_applied"
    )
    assert applied["target"] == f"OFFICE#{OFFICE}"
    assert {
        "service_code": SERVICE,
        "date": DAY,
        "start": "09:00",
        "booked": 3,
        "capacity_requested": 1,
        "capacity": 1,
    } in (applied["detail"]["over_capacity"])
    assert applied["detail"]["closed"] > 0


@pytest.mark.R4
def test_a_small_change_is_applied_within_the_request(office, admin_token, api):
    r = api.invoke("PUT", f"/v1/offices/{OFFICE}", headers=auth(admin_token), body=office_body(5))
    assert r.status == 200 and r.json()["slots"]["queued"] is False
    assert capacity_at(api) == {"09:00": (5, 5)}
