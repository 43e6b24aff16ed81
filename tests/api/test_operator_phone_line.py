"""The phone line (114) over HTTP: a booking found by the reference a caller reads out, masked, with
whom to confirm it; a reschedule (R8a) and a re-sent confirmation SMS (three a booking a day) for the
caller, audited with the operator's id; citizens, staff and strangers get nothing. The rules (whom the
operator may act for, the Beijing day's limit, R11) are tested on the fakes:
tests/unit/test_operator_services.py."""

from __future__ import annotations

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from tests.support import OFFICE, auth, login, open_office, problem, registered, sms_texts

DAY = "2026-09-15"


@pytest.fixture
def line(system, api):
    open_office(system, capacity=3)
    accounts.create_staff_account("op1", "operator-pass-1", "operator", "话务员", None, now())
    return login(api, "op1", "operator-pass-1")


def find(api, token, reference):
    return api.invoke("GET", "/v1/operator/bookings", headers=auth(token), query={"reference": reference})


def audit(api) -> list[dict]:
    accounts.create_staff_account("boss", "admin-pass-1", "admin", "管理员", None, now())
    admin = login(api, "boss", "admin-pass-1")
    return api.invoke("GET", "/v1/audit", headers=auth(admin)).json()["entries"]


@pytest.mark.R8a
@pytest.mark.R13
@pytest.mark.R16
def test_a_caller_found_by_the_reference_read_out_is_rescheduled_and_re_sent_the_sms(system, api, line):
    """One caller's call over HTTP: found (masked, not cached), moved (one SMS through the stream, the
    Idempotency-Key honoured), the confirmation re-sent (202) until the day's 429, all audited."""
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    misheard = booking["reference"].lower().replace("-", " ").replace("0", "o").replace("1", "l")
    r = find(api, line, misheard)
    assert r.status == 200, r.text
    body = r.json()
    assert body["booking"]["booking_id"] == booking["booking_id"] and body["name"] == "李*"
    assert body["phone"] == citizen.phone[:3] + "****" + citizen.phone[-4:]
    assert citizen.phone not in r.text and citizen.id_number not in r.text
    assert body["booking"]["subject_id_number"] == body["id_number"] != citizen.id_number
    assert r.headers["cache-control"] == "no-store"
    problem(find(api, line, "ABCD-EFGH"), 404, "NOT_FOUND")
    assert find(api, line, "not-a-ref!").status in (400, 422)

    base = f"/v1/operator/citizens/{body['account_id']}/bookings/{booking['booking_id']}"
    for _ in range(2):
        r = api.invoke("POST", f"{base}/reschedule", headers=auth(line, "move-1"), body={"date": DAY, "start": "09:30"})
        assert r.status == 200 and r.json()["start"] == "09:30" and r.json()["status"] == "booked", r.text
    assert citizen.get(f"/v1/bookings/{booking['booking_id']}").json()["start"] == "09:30"
    assert len(sms_texts(system, citizen.phone, "已改至")) == 1

    before = len(sms_texts(system, citizen.phone, booking["reference"]))
    for _ in range(3):
        r = api.invoke("POST", f"{base}/confirmation-sms", headers=auth(line))
        assert r.status == 202, r.text
    assert len(sms_texts(system, citizen.phone, booking["reference"])) == before + 3
    problem(api.invoke("POST", f"{base}/confirmation-sms", headers=auth(line)), 429, "RATE_LIMITED")

    entries = audit(api)
    found = [e for e in entries if e["action"] == "operator.find_booking"]
    assert {e["outcome"] for e in found} >= {"ok", "NOT_FOUND"} and found[0]["actor_role"] == "operator"
    moved = [e for e in entries if e["action"] == "operator.reschedule" and e["outcome"] == "ok"][-1]  # the first
    assert moved["before"]["start"] == "09:00" and moved["after"]["start"] == "09:30"
    resent = [e["outcome"] for e in entries if e["action"] == "operator.resend_sms"]
    assert resent.count("ok") == 3 and "RATE_LIMITED" in resent


def test_citizens_staff_and_strangers_may_not_use_the_phone_lines_routes(system, api, line):
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    clerk = login(api, f"staff@{OFFICE}", "staff-pass-1")
    base = f"/v1/operator/citizens/x/bookings/{booking['booking_id']}"
    for token in (citizen.token, clerk):
        problem(find(api, token, booking["reference"]), 403, "FORBIDDEN")
        for path, body in ((f"{base}/reschedule", {"date": DAY, "start": "09:30"}), (f"{base}/confirmation-sms", None)):
            problem(api.invoke("POST", path, headers=auth(token), body=body), 403, "FORBIDDEN")
    problem(
        api.invoke("GET", "/v1/operator/bookings", query={"reference": booking["reference"]}), 401, "UNAUTHENTICATED"
    )
