"""Administrators' catalog (R3-R5) and the call-centre operator through the gateway: services,
halls and timetable changes with existing bookings, the calendar, the audit log, and the role checks
on every staff, admin and operator route."""

from __future__ import annotations

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from tests.idnumbers import id_number
from tests.support import OFFICE, SERVICE, WALK_IN, auth, login, open_office, put_test_office, registered

pytestmark = [pytest.mark.R3, pytest.mark.R4, pytest.mark.R5]

DAY = "2026-09-15"  # Tuesday, tomorrow at START


@pytest.fixture
def office(system):
    return open_office(system)


@pytest.fixture
def tokens(office, api):
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    accounts.create_staff_account("operator", "operator-pass-1", "operator", "话务员", None, now())
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    return {
        "admin": login(api, "admin", "admin-pass-1"),
        "operator": login(api, "operator", "operator-pass-1"),
        "staff": login(api, f"staff@{OFFICE}", "staff-pass-1"),
    }


def audit_log(api, token, **query):
    r = api.invoke("GET", "/v1/audit", headers=auth(token), query=query or None)
    assert r.status == 200, r.text
    return r.json()["entries"]


def office_body(timetable: dict, mode: str = "priority") -> dict:
    return {
        "name": "测试大厅",
        "name_en": "Test hall",
        "region": "shenzhen",
        "district": "福田区",
        "address": "深圳市福田区测试路1号",
        "mode": mode,
        "services": [SERVICE, "HR_BIRTH", WALK_IN],
        "timetable": timetable,
    }


def availability(api, day=DAY):
    r = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, "from": day, "to": day})
    days = r.json()["days"]
    return {s["start"]: (s["capacity"], s["remaining"]) for s in (days[0]["slots"] if days else [])}


# ---------------------------------------------------------------- roles, on every route

STAFF_AND_ADMIN_ROUTES = [
    ("POST", f"/v1/offices/{OFFICE}/check-ins", {"reference": "ABCD-EFGH"}),
    ("POST", f"/v1/offices/{OFFICE}/tickets", {"service_code": WALK_IN}),
    ("POST", f"/v1/offices/{OFFICE}/queue/next", {"counter": "1"}),
    ("POST", f"/v1/offices/{OFFICE}/tickets/20260914-B001/complete", None),
    ("PUT", f"/v1/services/{SERVICE}", {"name_zh": "换领", "name_en": "Renewal", "appointment_required": True}),
    ("PUT", f"/v1/offices/{OFFICE}", office_body({})),
    ("PUT", "/v1/calendar/2027", {"holidays": ["2027-01-01"]}),
    ("GET", "/v1/audit", None),
    ("POST", f"/v1/offices/{OFFICE}/closures", {"date": DAY, "reason": "设备检修"}),
]
ADMIN_ROUTES = STAFF_AND_ADMIN_ROUTES[4:]
OPERATOR_ROUTES = [
    ("POST", "/v1/operator/citizen-lookups", {"id_number": id_number(), "phone": "13800138000"}),
    ("GET", "/v1/operator/citizens/abc/bookings", None),
    (
        "POST",
        "/v1/operator/citizens/abc/bookings",
        {"office_id": OFFICE, "service_code": SERVICE, "date": DAY, "start": "09:00", "notice_acknowledged": True},
    ),
    ("POST", "/v1/operator/citizens/abc/bookings/xyz/cancel", None),
]


def test_a_citizen_is_refused_on_every_staff_admin_and_operator_route(tokens, office, api):
    citizen = registered(office)
    for method, path, body in STAFF_AND_ADMIN_ROUTES + OPERATOR_ROUTES:
        r = api.invoke(method, path, headers=auth(citizen.token), body=body)
        assert r.status == 403 and r.json()["code"] == "FORBIDDEN", (method, path, r.text)
        r = api.invoke(method, path, body=body)
        assert r.status == 401 and r.json()["code"] == "UNAUTHENTICATED", (method, path, r.text)


def test_staff_and_operators_are_refused_on_admin_routes_and_admins_on_operator_routes(tokens, api):
    for method, path, body in ADMIN_ROUTES:
        for role in ("staff", "operator"):
            r = api.invoke(method, path, headers=auth(tokens[role]), body=body)
            assert r.status == 403 and r.json()["code"] == "FORBIDDEN", (role, method, path, r.text)
    for method, path, body in OPERATOR_ROUTES:
        for role in ("staff", "admin"):
            r = api.invoke(method, path, headers=auth(tokens[role]), body=body)
            assert r.status == 403 and r.json()["code"] == "FORBIDDEN", (role, method, path, r.text)


# ---------------------------------------------------------------- services (R3)


def test_put_service_creates_then_changes_and_is_audited(tokens, api):
    body = {
        "name_zh": "户口迁出",
        "name_en": "Move out",
        "appointment_required": True,
        "materials": ["户口簿"],
        "notice": "请携带户口簿",
    }
    r = api.invoke("PUT", "/v1/services/HR_MOVE_OUT", headers=auth(tokens["admin"]), body=body)
    assert r.status == 201 and r.json()["code"] == "HR_MOVE_OUT", r.text
    r = api.invoke(
        "PUT", "/v1/services/HR_MOVE_OUT", headers=auth(tokens["admin"]), body={**body, "appointment_required": False}
    )
    assert r.status == 200 and r.json()["appointment_required"] is False
    assert api.invoke("GET", "/v1/services/HR_MOVE_OUT").json()["appointment_required"] is False
    bad = api.invoke("PUT", "/v1/services/HR_MOVE_OUT", headers=auth(tokens["admin"]), body={**body, "colour": "red"})
    assert bad.status == 422 and bad.json()["code"] == "VALIDATION_ERROR"

    admin_id = api.invoke("GET", "/v1/me", headers=auth(tokens["admin"])).json()["account_id"]
    changed, created = audit_log(api, tokens["admin"])[:2]  # newest first
    assert (created["action"], created["target"], created["before"]) == ("service.put", "SERVICE#HR_MOVE_OUT", None)
    assert created["after"]["appointment_required"] is True and created["actor_id"] == admin_id
    assert changed["before"]["appointment_required"] is True and changed["after"]["appointment_required"] is False
    assert changed["actor_role"] == "admin" and changed["at"].startswith("2026-09-14T09:00")


# ---------------------------------------------------------------- halls and timetables (R4)


def test_a_timetable_change_answers_what_its_released_slots_did(tokens, office, api):
    """The rules (bookings kept, a capacity cut below them, slots closed and created) are
    tests/unit/test_catalog_services.py's; here the route's answer and its audit entry."""
    citizen = registered(office)
    removed_slot = citizen.book(DAY, "09:30").json()
    r = api.invoke(
        "PUT",
        f"/v1/offices/{OFFICE}",
        headers=auth(tokens["admin"]),
        body=office_body(
            {
                SERVICE: [
                    {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "09:30", "capacity": 1},
                    {"days": [1, 2, 3, 4, 5], "start": "10:30", "end": "11:00", "capacity": 4},
                ],  # new; 09:30 removed
                "HR_BIRTH": [{"days": [1, 2, 3, 4, 5], "start": "10:00", "end": "11:00", "capacity": 3}],
            }
        ),
    )
    assert r.status == 200, r.text
    slots = r.json()["slots"]
    assert slots["closed_with_bookings"] == [
        {
            "service_code": SERVICE,
            "date": DAY,
            "start": "09:30",
            "booked": 1,
            "capacity_requested": None,
            "capacity": None,
        }
    ]
    assert slots["over_capacity"] == [] and slots["created"] > 0 and slots["closed"] > 0 and slots["updated"] > 0
    assert availability(api) == {"09:00": (1, 1), "10:30": (4, 4)}
    assert citizen.get(f"/v1/bookings/{removed_slot['booking_id']}").json()["status"] == "booked"

    entry = audit_log(api, tokens["admin"])[0]
    assert entry["action"] == "office.put" and entry["target"] == f"OFFICE#{OFFICE}"
    assert entry["before"]["timetable"][SERVICE][1]["start"] == "09:30"
    assert [t["start"] for t in entry["after"]["timetable"][SERVICE]] == ["09:00", "10:30"]


def test_put_office_validates_and_creates(tokens, api):
    """That a changed hall keeps its closures is tests/unit/test_catalog_services.py's."""
    body = office_body(
        {SERVICE: [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "09:30", "capacity": 5}]}, mode="book_first"
    )
    assert api.invoke("PUT", f"/v1/offices/{OFFICE}", headers=auth(tokens["admin"]), body=body).status == 200
    assert api.invoke("GET", f"/v1/offices/{OFFICE}").json()["mode"] == "book_first"
    assert availability(api, "2026-09-18") == {"09:00": (5, 5)}
    for bad in (
        {**body, "services": ["NOPE"]},
        {**body, "timetable": {"HR_BIRTH": []}, "services": [SERVICE]},
        {**body, "timetable": {SERVICE: [{"days": [1], "start": "09:00", "end": "08:00", "capacity": 1}]}},
        {**body, "mode": "walk_in"},
    ):
        r = api.invoke("PUT", f"/v1/offices/{OFFICE}", headers=auth(tokens["admin"]), body=bad)
        assert r.status == 422 and r.json()["code"] == "VALIDATION_ERROR", r.text
    r = api.invoke("PUT", "/v1/offices/new-hall", headers=auth(tokens["admin"]), body={**body, "name": "新大厅"})
    assert r.status == 201 and r.json()["office"]["office_id"] == "new-hall"
    assert r.json()["slots"]["created"] > 0  # released at once for the open window
    assert api.invoke("GET", "/v1/offices/new-hall/availability", query={"service": SERVICE}).json()["days"]


# ---------------------------------------------------------------- the calendar (R5)

OFFICIAL_2026_AUTUMN = {
    "holidays": ["2026-09-25", *[f"2026-10-0{d}" for d in range(1, 8)]],
    "workdays": ["2026-09-20", "2026-10-10"],
}


def test_put_calendar_for_a_missing_year_and_a_new_holiday_in_the_open_booking_window(tokens, office, api):
    """What the entries do to released days and their bookings (closed like a hall closure, reopened at
    the next noon) is tests/unit/test_catalog_services.py's; here the route's answers and its audit."""
    r = api.invoke(
        "PUT",
        "/v1/calendar/2027",
        headers=auth(tokens["admin"]),
        body={"holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-20"]},
    )
    assert r.status == 201 and r.json()["changed_days"] == [], r.text

    extra = {**OFFICIAL_2026_AUTUMN, "holidays": ["2026-09-16", *OFFICIAL_2026_AUTUMN["holidays"]]}
    r = api.invoke("PUT", "/v1/calendar/2026", headers=auth(tokens["admin"]), body=extra)
    assert r.status == 201, r.text
    assert r.json()["changed_days"] == ["2026-09-16"]
    assert {"office_id": OFFICE, "date": "2026-09-16", "slots": 3, "bookings_cancelled": 0} in r.json()["closed_days"]
    assert availability(api, "2026-09-16") == {}

    r = api.invoke("PUT", "/v1/calendar/2026", headers=auth(tokens["admin"]), body=OFFICIAL_2026_AUTUMN)
    assert r.status == 200 and r.json()["changed_days"] == ["2026-09-16"]
    assert r.json()["opened_days"] == ["2026-09-16"] and r.json()["released_at"].startswith("2026-09-14T12:00")

    for bad in (
        {"holidays": ["2026-01-01"]},
        {"holidays": ["2027-05-01"], "workdays": ["2027-05-01"]},
        {"holidays": ["May Day"]},
    ):
        r = api.invoke("PUT", "/v1/calendar/2027", headers=auth(tokens["admin"]), body=bad)
        assert r.status == 422, r.text
    assert api.invoke("PUT", "/v1/calendar/1999", headers=auth(tokens["admin"]), body={}).status == 422

    actions = [(e["action"], e["target"]) for e in audit_log(api, tokens["admin"])]
    assert actions == [("calendar.put", "CALENDAR#2026")] * 2 + [("calendar.put", "CALENDAR#2027")]


def test_audit_log_pages_and_other_days(tokens, api):
    for n in range(3):
        api.invoke(
            "PUT",
            f"/v1/services/S{n}",
            headers=auth(tokens["admin"]),
            body={"name_zh": "事项", "name_en": "Service", "appointment_required": True},
        )
    page = api.invoke("GET", "/v1/audit", headers=auth(tokens["admin"]), query={"limit": "2"}).json()
    assert [e["target"] for e in page["entries"]] == ["SERVICE#S2", "SERVICE#S1"] and page["next_cursor"]
    rest = api.invoke(
        "GET", "/v1/audit", headers=auth(tokens["admin"]), query={"limit": "2", "cursor": page["next_cursor"]}
    ).json()
    assert [e["target"] for e in rest["entries"]] == ["SERVICE#S0"]
    assert audit_log(api, tokens["admin"], date="2026-09-13") == []
    assert api.invoke("GET", "/v1/audit", headers=auth(tokens["admin"]), query={"cursor": "x"}).status == 400


# ---------------------------------------------------------------- the call centre


def operator_call(api, token, method, path, body=None, key=None):
    headers = auth(token, key)
    return api.invoke(method, f"/v1/operator{path}", headers=headers, body=body)


def test_operator_finds_books_lists_and_cancels_for_a_caller_all_audited(tokens, office, api):
    citizen = registered(office)
    op = tokens["operator"]
    wrong = operator_call(api, op, "POST", "/citizen-lookups", {"id_number": citizen.id_number, "phone": "13900000000"})
    assert wrong.status == 404 and wrong.json()["code"] == "NOT_FOUND"
    assert (
        operator_call(api, op, "POST", "/citizen-lookups", {"id_number": "123", "phone": citizen.phone}).json()["code"]
        == "VALIDATION_ERROR"
    )
    r = operator_call(api, op, "POST", "/citizen-lookups", {"id_number": citizen.id_number, "phone": citizen.phone})
    assert r.status == 200, r.text
    found = r.json()
    assert found["id_number"] == citizen.id_number[:3] + "*" * 11 + citizen.id_number[-4:]
    assert found["phone"] == citizen.phone[:3] + "****" + citizen.phone[-4:] and found["name"] == "李*"
    account = found["account_id"]

    body = {"office_id": OFFICE, "service_code": SERVICE, "date": DAY, "start": "09:00", "notice_acknowledged": True}
    r = operator_call(api, op, "POST", f"/citizens/{account}/bookings", body, key="call-1")
    assert r.status == 201, r.text
    booking = r.json()
    again = operator_call(api, op, "POST", f"/citizens/{account}/bookings", body, key="call-1")
    assert again.status == 201 and again.json()["booking_id"] == booking["booking_id"]  # a retried request
    assert (
        operator_call(api, op, "POST", f"/citizens/{account}/bookings", body, key="call-2").json()["code"]
        == "ALREADY_BOOKED"
    )  # the same rules
    listed = operator_call(api, op, "GET", f"/citizens/{account}/bookings").json()["bookings"]
    assert [b["booking_id"] for b in listed] == [booking["booking_id"]]
    assert citizen.get("/v1/bookings").json()["bookings"][0]["booking_id"] == booking["booking_id"]
    office.pump.drain()
    assert any(booking["reference"] in m["message"] for m in office.sms_messages(citizen.phone))  # the same SMS

    r = operator_call(api, op, "POST", f"/citizens/{account}/bookings/{booking['booking_id']}/cancel")
    assert r.status == 200 and r.json()["status"] == "cancelled" and r.json()["cancelled_by"] == "operator"
    me = citizen.get("/v1/me").json()
    assert me["restrictions"]["cancellations_this_month"] == 1  # counts like the citizen's own

    other = registered(office)
    theirs = other.book(DAY, "09:30").json()
    r = operator_call(api, op, "POST", f"/citizens/{account}/bookings/{theirs['booking_id']}/cancel")
    assert r.status == 404  # only the found caller's bookings
    assert operator_call(api, op, "GET", "/citizens/nobody/bookings").status == 404

    operator_id = api.invoke("GET", "/v1/me", headers=auth(op)).json()["account_id"]
    entries = list(reversed(audit_log(api, tokens["admin"])))
    assert all(e["actor_id"] == operator_id and e["actor_role"] == "operator" for e in entries)
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("operator.find_citizen", "NOT_FOUND"),
        ("operator.find_citizen", "VALIDATION_ERROR"),
        ("operator.find_citizen", "ok"),
        ("operator.book", "ok"),
        ("operator.book", "ok"),
        ("operator.book", "ALREADY_BOOKED"),
        ("operator.list_bookings", "ok"),
        ("operator.cancel", "ok"),
        ("operator.cancel", "NOT_FOUND"),
        ("operator.list_bookings", "NOT_FOUND"),
    ]
    found_entry, booked_entry, cancel_entry = entries[2], entries[3], entries[7]
    assert found_entry["target"] == f"ACCOUNT#{account}"
    assert booked_entry["after"]["booking_id"] == booking["booking_id"] and entries[4]["detail"]["replayed"] is True
    assert cancel_entry["before"]["status"] == "booked" and cancel_entry["after"]["status"] == "cancelled"
    text = str(entries)
    assert citizen.id_number not in text and citizen.phone not in text  # masked in the log too


def test_two_administrators_changing_one_office_at_once_never_undo_each_other(system):
    """Optimistic: the second write finds the hall changed since it was read and is refused (409);
    a closure, which only adds, reads the hall again and lands too."""
    from hallbook.domain import errors
    from hallbook.services import closures, timetables
    from hallbook.services.tokens import Caller
    from hallbook.store import catalog as catalog_store
    from tests.support import run_at_once

    put_test_office(capacity=3)
    admin = Caller("admin-1", "admin")
    office = catalog_store.get_entity("OFFICE", OFFICE)
    body = {k: office[k] for k in ("name", "region", "district", "address", "mode", "services", "timetable")}
    results = run_at_once(
        [
            lambda: timetables.put_office(admin, OFFICE, {**body, "name": "改名一"}, now()),
            lambda: timetables.put_office(admin, OFFICE, {**body, "name": "改名二"}, now()),
            lambda: closures.close_day(admin, OFFICE, "2026-09-22", "停电", now()),
        ]
    )
    assert all(r is None or not isinstance(r, Exception) or isinstance(r, errors.InvalidState) for r in results)
    assert not isinstance(results[2], Exception), results[2]
    renamed = [name for name, r in zip(("改名一", "改名二"), results) if not isinstance(r, Exception)]
    final = catalog_store.get_entity("OFFICE", OFFICE)
    assert final["name"] in (renamed or ["测试大厅"])
    assert [c["date"] for c in final["closures"]] == ["2026-09-22"]  # no write undid the closure
