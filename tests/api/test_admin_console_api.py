"""Issue 26's API side of the administrators' console: a large timetable change's slots in a job
(R4: no booking lost, no slot booked beyond what it says), the closure preview and the calendar's alarm
state read back (R5), and who may use them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.domain.calendar import YearEntries
from hallbook.services import accounts, calendar_sync, timetables
from hallbook.store import catalog as catalog_store
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
    monkeypatch.setattr(timetables, "SYNC_SLOTS", 2)  # this small hall's change counts as large
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


# ---------------------------------------------------------------- R5: a schedule that arrives late (issue 26)


@pytest.mark.R5
def test_a_newer_bundled_calendar_closes_a_released_day_and_releases_a_new_working_day_at_noon(system, api):
    system.reset(datetime(2027, 9, 27, 10, 30, tzinfo=SHANGHAI))  # a Monday of a year no calendar knows
    open_office(system)
    assert catalog_store.load_catalog(max_age=0).calendar.source(2027).value == "provisional"
    citizen = registered(system)
    booking = citizen.book("2027-10-08", "09:00").json()  # a Friday: a working day, provisionally
    assert booking.get("status") == "booked", booking
    assert capacity_at(api, "2027-10-09") == {}  # a Saturday

    # what the noon job stores when a newer holidays package knows 2027 (calendar_sync.store_bundled_years)
    entries = YearEntries(2027, frozenset({date(2027, 10, 8)}), frozenset({date(2027, 10, 9)}))
    body = {**catalog_store.calendar_body(entries), "bundled": "holidays", "version": "test"}
    catalog_store.put_entity("CALENDAR", catalog_store.bundled_key(2027), body)
    assert capacity_at(api, "2027-10-09") == {}  # not before the next noon

    system.move_clock(datetime(2027, 9, 27, 12, 0, tzinfo=SHANGHAI))
    after = citizen.get(f"/v1/bookings/{booking['booking_id']}").json()
    assert after["status"] == "cancelled" and after["cancelled_by"] == "hall"
    assert citizen.get("/v1/me").json()["restrictions"]["cancellations_this_month"] == 0
    assert any("法定节假日" in m["message"] for m in system.sms_messages(citizen.phone))
    assert capacity_at(api, "2027-10-08") == {}
    assert capacity_at(api, "2027-10-09") == {"09:00": (3, 3), "09:30": (3, 3)}  # a make-up working day


@pytest.mark.R5
def test_the_noon_job_stores_a_year_the_holidays_package_knows_once(system, monkeypatch):
    entries = YearEntries(2027, frozenset({date(2027, 2, 9)}), frozenset({date(2027, 2, 20)}))
    monkeypatch.setattr(calendar_sync, "holidays_package_year", lambda year: entries if year == 2027 else None)
    monkeypatch.setattr(calendar_sync, "holidays_package_version", lambda: "0.109")
    at = datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI)
    assert calendar_sync.store_bundled_years(at) == [2027]
    assert calendar_sync.store_bundled_years(at) == []  # unchanged: not written again
    calendar = catalog_store.load_catalog(max_age=0).calendar
    assert calendar.source(2027).value == "official" and calendar.bundled_by(2027) == "holidays"
    assert not calendar.is_working_day(date(2027, 2, 9)) and calendar.is_working_day(date(2027, 2, 20))


# ---------------------------------------------------------------- the console's reads, and who may use them


@pytest.mark.R4
def test_the_closure_preview_answers_before_and_after_the_closure(office, admin_token, api):
    """What it counts (the bookings a closure would cancel) is tests/unit/test_catalog_services.py's."""
    r = api.invoke("GET", f"/v1/offices/{OFFICE}/closures/{DAY}", headers=auth(admin_token))
    assert r.status == 200, r.text
    preview = r.json()
    assert preview["bookings"] == 0 and preview["slots"] == 3 and preview["closed"] is False
    assert preview["working_day"] is True and preview["past"] is False
    closed = api.invoke(
        "POST", f"/v1/offices/{OFFICE}/closures", headers=auth(admin_token), body={"date": DAY, "reason": "设备检修"}
    )
    assert closed.json()["bookings_cancelled"] == preview["bookings"]
    after = api.invoke("GET", f"/v1/offices/{OFFICE}/closures/{DAY}", headers=auth(admin_token)).json()
    assert after["closed"] is True and after["reason"] == "设备检修" and after["bookings"] == 0 and after["slots"] == 0
    unknown = api.invoke("GET", f"/v1/offices/nowhere/closures/{DAY}", headers=auth(admin_token))
    assert unknown.status == 404 and unknown.json()["code"] == "NOT_FOUND"


@pytest.mark.R3
def test_an_administrator_reads_a_service_as_stored_with_its_etag(office, admin_token, api):
    public = api.invoke("GET", f"/v1/services/{SERVICE}")
    assert "etag" not in public.headers and "minor_subject" not in public.json()
    r = api.invoke("GET", f"/v1/services/{SERVICE}", headers=auth(admin_token))
    assert r.status == 200 and r.headers["etag"] and r.json()["minor_subject"] is False
    body = {**r.json(), "notice": "请携带原件"}
    body.pop("code")
    first = api.invoke(
        "PUT", f"/v1/services/{SERVICE}", headers={**auth(admin_token), "If-Match": r.headers["etag"]}, body=body
    )
    assert first.status == 200, first.text
    second = api.invoke(
        "PUT", f"/v1/services/{SERVICE}", headers={**auth(admin_token), "If-Match": r.headers["etag"]}, body=body
    )
    assert second.status == 412 and second.json()["code"] == "PRECONDITION_FAILED"  # the second administrator


ADMIN_ONLY = [
    ("GET", f"/v1/offices/{OFFICE}/closures/{DAY}", None),
    ("GET", "/v1/calendar/2027", None),
    ("PUT", "/v1/calendar/2027", {"holidays": ["2027-02-09"]}),
    ("GET", "/v1/stats?office=" + OFFICE, None),
    ("GET", "/v1/admin/flags", None),
    ("GET", "/v1/audit", None),
]


@pytest.mark.R4
@pytest.mark.R5
@pytest.mark.parametrize("method,path,body", ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
def test_staff_and_citizens_are_refused_on_the_consoles_routes(office, api, method, path, body):
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    staff = login(api, f"staff@{OFFICE}", "staff-pass-1")
    citizen = registered(office)
    for token in (staff, citizen.token):
        r = api.invoke(method, path, headers=auth(token), body=body)
        assert r.status == 403 and r.json()["code"] == "FORBIDDEN", (token is staff, r.text)
    staff_view = api.invoke("GET", f"/v1/services/{SERVICE}", headers=auth(staff))
    assert "etag" not in staff_view.headers  # the stored view is the administrators' only
