"""Staff checking in a reference of another hall's booking learn nothing of it - not
the hall, not the date, not the time. It answers 404 NOT_FOUND exactly as a reference nobody holds
(as R13 answers a citizen asking for someone else's booking)."""

from __future__ import annotations

from datetime import datetime

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from hallbook.store import catalog
from tests.support import OFFICE, auth, login, problem, put_test_office, registered, release_days

pytestmark = [pytest.mark.R13, pytest.mark.R14]

OTHER = "other-hall"
DAY = "2026-09-15"  # tomorrow at START


def test_another_offices_reference_is_answered_as_an_unknown_one(system, api):
    put_test_office()
    put_test_office(office_id=OTHER)
    for office in (OFFICE, OTHER):
        release_days(office_id=office)
        accounts.create_staff_account(f"staff@{office}", "staff-pass-1", "staff", "窗口", office, now())
    citizen = registered(system)
    booking = citizen.book(DAY, "09:30").json()
    system.clock.set(datetime.fromisoformat(f"{DAY}T09:15+08:00"))  # its check-in is open
    token = login(api, f"staff@{OTHER}", "staff-pass-1")

    def check_in(body):
        return api.invoke("POST", f"/v1/offices/{OTHER}/check-ins", headers=auth(token), body=body)

    theirs = problem(check_in({"reference": booking["reference"]}), 404, "NOT_FOUND")
    nobodys = problem(check_in({"reference": "ZZZZ-ZZZZ"}), 404, "NOT_FOUND")
    assert theirs["detail"].replace(booking["reference"], "ZZZZ-ZZZZ") == nobodys["detail"] and {
        k: v for k, v in theirs.items() if k != "detail"
    } == {k: v for k, v in nobodys.items() if k != "detail"}
    office_name = catalog.load_catalog().offices[OFFICE].name
    for secret in (office_name, OFFICE, DAY, "09:30", "10:00"):
        assert secret not in theirs["detail"]
    by_id = problem(check_in({"id_number": citizen.id_number}), 404, "NOT_FOUND")
    assert office_name not in by_id["detail"] and "09:30" not in by_id["detail"]
    # the booking's own hall still checks it in
    r = api.invoke(
        "POST",
        f"/v1/offices/{OFFICE}/check-ins",
        headers=auth(login(api, f"staff@{OFFICE}", "staff-pass-1")),
        body={"reference": booking["reference"]},
    )
    assert r.status == 201, r.text
