"""Issue 14 item 4: an administrator reads back what they set - a hall's timetable and closures, a
calendar year and its source - lifts a closure, and every admin PUT carries an ETag and honours If-Match
(412 PRECONDITION_FAILED when the entity moved on)."""

from __future__ import annotations

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from tests.support import (
    OFFICE,
    SERVICE,
    auth,
    login,
    next_working_day,
    problem,
    put_test_office,
    registered,
    release_days,
)

pytestmark = [pytest.mark.R4]


@pytest.fixture
def tokens(system, api):
    put_test_office(capacity=2)
    release_days()
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    put_test_office(office_id="other-hall")
    accounts.create_staff_account("staff@other-hall", "staff-pass-1", "staff", "窗口", "other-hall", now())
    return {
        "admin": login(api, "admin", "admin-pass-1"),
        "staff": login(api, f"staff@{OFFICE}", "staff-pass-1"),
        "other_staff": login(api, "staff@other-hall", "staff-pass-1"),
    }


def office_body(office: dict) -> dict:
    return {k: office[k] for k in ("name", "region", "district", "address", "mode", "services", "timetable")}


def test_an_admin_reads_the_timetable_and_closures_others_see_the_public_office(tokens, api):
    r = api.invoke("GET", f"/v1/offices/{OFFICE}", headers=auth(tokens["admin"]))
    assert r.status == 200 and r.headers["etag"].startswith('"')
    assert r.headers["cache-control"] == "private, no-store"
    assert "Authorization" in [v.strip() for v in r.headers["vary"].split(",")]  # (and Origin, for CORS)
    office = r.json()
    assert office["timetable"][SERVICE] == [
        {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "09:30", "capacity": 2},
        {"days": [1, 2, 3, 4, 5], "start": "09:30", "end": "10:00", "capacity": 2},
    ]
    assert office["closures"] == []
    for headers in ({}, auth(tokens["staff"]), auth("not-a-token")):
        public = api.invoke("GET", f"/v1/offices/{OFFICE}", headers=headers)
        assert public.status == 200 and "etag" not in public.headers
        assert public.json().get("timetable") is None and public.json().get("closures") is None
        assert public.headers["cache-control"].startswith("public")


def test_put_office_answers_its_etag_and_a_stale_if_match_is_412(tokens, api):
    admin = auth(tokens["admin"])
    read = api.invoke("GET", f"/v1/offices/{OFFICE}", headers=admin)
    first_tag, body = read.headers["etag"], office_body(read.json())
    r = api.invoke(
        "PUT", f"/v1/offices/{OFFICE}", headers={**admin, "If-Match": first_tag}, body={**body, "name": "改名大厅"}
    )
    assert r.status == 200, r.text
    new_tag = r.headers["etag"]
    assert new_tag != first_tag
    assert api.invoke("GET", f"/v1/offices/{OFFICE}", headers=admin).headers["etag"] == new_tag
    stale = api.invoke(
        "PUT", f"/v1/offices/{OFFICE}", headers={**admin, "If-Match": first_tag}, body={**body, "name": "又改名"}
    )
    assert problem(stale, 412, "PRECONDITION_FAILED")["etag"] == new_tag
    assert api.invoke("GET", f"/v1/offices/{OFFICE}", headers=admin).json()["name"] == "改名大厅"
    # `*`: only if it exists; a new hall is refused, an existing one accepted
    problem(
        api.invoke("PUT", "/v1/offices/new-hall", headers={**admin, "If-Match": "*"}, body=body),
        412,
        "PRECONDITION_FAILED",
    )
    assert api.invoke("PUT", f"/v1/offices/{OFFICE}", headers={**admin, "If-Match": "*"}, body=body).status == 200
    assert api.invoke("PUT", f"/v1/offices/{OFFICE}", headers=admin, body=body).status == 200  # no If-Match: as before


def test_put_service_carries_an_etag_and_honours_if_match(tokens, api):
    admin = auth(tokens["admin"])
    body = {"name_zh": "户口迁出", "name_en": "Moving a household out", "appointment_required": True}
    created = api.invoke("PUT", "/v1/services/HR_MOVE_OUT", headers=admin, body=body)
    assert created.status == 201 and created.headers["etag"]
    changed = api.invoke(
        "PUT",
        "/v1/services/HR_MOVE_OUT",
        headers={**admin, "If-Match": created.headers["etag"]},
        body={**body, "notice": "请带户口簿"},
    )
    assert changed.status == 200 and changed.headers["etag"] != created.headers["etag"]
    problem(
        api.invoke(
            "PUT", "/v1/services/HR_MOVE_OUT", headers={**admin, "If-Match": created.headers["etag"]}, body=body
        ),
        412,
        "PRECONDITION_FAILED",
    )


def _availability(api, day) -> list[dict]:
    r = api.invoke(
        "GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, "from": str(day), "to": str(day)}
    )
    days = r.json()["days"]
    return days[0]["slots"] if days else []


def test_a_closure_is_listed_and_lifted_its_slots_return_and_no_booking_is_revived(tokens, system, api):
    admin = auth(tokens["admin"])
    citizen = registered(system)
    day = next_working_day(after=3)
    booked = citizen.book(day, "09:00")
    assert booked.status == 201
    assert (
        api.invoke(
            "POST", f"/v1/offices/{OFFICE}/closures", headers=admin, body={"date": str(day), "reason": "停电检修"}
        ).status
        == 201
    )
    assert _availability(api, day) == []

    listed = api.invoke("GET", f"/v1/offices/{OFFICE}/closures", headers=admin)
    assert listed.status == 200 and listed.headers["etag"]
    assert listed.json() == {"office_id": OFFICE, "closures": [{"date": str(day), "reason": "停电检修", "past": False}]}

    lifted = api.invoke("DELETE", f"/v1/offices/{OFFICE}/closures/{day}", headers=admin)
    assert lifted.status == 200, lifted.text
    assert lifted.json() == {
        "office_id": OFFICE,
        "date": str(day),
        "reason": "停电检修",
        "slots_reopened": 3,
        "slots_created": 0,
    }
    from hallbook.store import catalog as catalog_store

    catalog_store.invalidate_cache()  # the citizen API's catalog cache (30 s) stands for another process
    assert [(s["start"], s["remaining"]) for s in _availability(api, day)] == [("09:00", 2), ("09:30", 2)]
    assert citizen.get(f"/v1/bookings/{booked.json()['booking_id']}").json()["status"] == "cancelled"
    assert api.invoke("GET", f"/v1/offices/{OFFICE}/closures", headers=admin).json()["closures"] == []
    entry = api.invoke("GET", "/v1/audit", headers=admin).json()["entries"][0]
    assert entry["action"] == "office.lift_closure" and entry["before"]["closures"][0]["date"] == str(day)
    problem(api.invoke("DELETE", f"/v1/offices/{OFFICE}/closures/{day}", headers=admin), 404, "NOT_FOUND")
    problem(api.invoke("DELETE", f"/v1/offices/{OFFICE}/closures/2026-09-01", headers=admin), 422, "VALIDATION_ERROR")


@pytest.mark.R5
def test_a_calendar_year_shows_its_days_and_source_and_its_entries_are_versioned(tokens, api):
    admin = auth(tokens["admin"])
    official = api.invoke("GET", "/v1/calendar/2026", headers=admin)
    assert official.status == 200 and "etag" not in official.headers
    year = official.json()
    assert year["source"] == "official" and year["entered"] is None
    assert {"2026-10-01", "2026-10-02", "2026-10-05"} <= set(year["holidays"])  # National Day week (weekdays)
    assert "2026-09-20" in year["workdays"]  # a make-up Sunday before it (State Council notice)
    future = api.invoke("GET", "/v1/calendar/2031", headers=admin).json()
    assert future["source"] == "provisional" and "2031-10-01" in future["holidays"]

    put = api.invoke("PUT", "/v1/calendar/2031", headers=admin, body={"holidays": ["2031-10-08"], "workdays": []})
    assert put.status == 201 and put.headers["etag"]
    entered = api.invoke("GET", "/v1/calendar/2031", headers=admin)
    assert entered.json()["source"] == "admin" and entered.headers["etag"] == put.headers["etag"]
    assert entered.json()["entered"]["holidays"] == ["2031-10-08"] and entered.json()["holidays"] == ["2031-10-08"]
    again = api.invoke(
        "PUT",
        "/v1/calendar/2031",
        headers={**admin, "If-Match": put.headers["etag"]},
        body={"holidays": ["2031-10-08", "2031-10-09"], "workdays": []},
    )
    assert again.status == 200
    problem(
        api.invoke(
            "PUT",
            "/v1/calendar/2031",
            headers={**admin, "If-Match": put.headers["etag"]},
            body={"holidays": [], "workdays": []},
        ),
        412,
        "PRECONDITION_FAILED",
    )


def test_citizens_staff_and_strangers_cannot_read_back_or_lift(tokens, system, api):
    citizen = registered(system)
    routes = [
        ("GET", f"/v1/offices/{OFFICE}/closures"),
        ("DELETE", f"/v1/offices/{OFFICE}/closures/2026-09-22"),
        ("GET", "/v1/calendar/2026"),
    ]
    for method, path in routes:
        problem(api.invoke(method, path), 401, "UNAUTHENTICATED")
        for token in (citizen.token, tokens["staff"], tokens["other_staff"]):
            problem(api.invoke(method, path, headers=auth(token)), 403, "FORBIDDEN")
    # a staff member's or citizen's If-Match on an admin PUT changes nothing either
    problem(
        api.invoke("PUT", f"/v1/offices/{OFFICE}", headers={**auth(tokens["staff"]), "If-Match": "*"}, body={}),
        403,
        "FORBIDDEN",
    )
