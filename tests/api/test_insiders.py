"""R1, R2 (issue 21): a clerk cannot move an ID number or link a stranger to a child alone. The
real-name source's "no" refuses it; otherwise a second member of staff approves it, or the account
that loses the number (the child's linked guardian) consents with the SMS code it received; each one
done is flagged for administrators (R22). Over HTTP here, with the real SMS and the flags' listing;
the rules' variations (who may approve, the consent code's attempts and expiry, what a reclaim undoes)
are tested on the fakes: tests/unit/test_identity_services.py."""

from __future__ import annotations

import re

import pytest

from hallbook.services.seed import ADMIN_LOGIN, ADMIN_PASSWORD, STAFF_PASSWORD, seed_local_accounts
from local.identity import verifier as real_name_source
from tests.idnumbers import id_number
from tests.support import OFFICE, auth, login, new_identity, open_office, problem, registered

pytestmark = [pytest.mark.R1, pytest.mark.R2, pytest.mark.R22]


@pytest.fixture
def hall(system):
    open_office(system)
    seed_local_accounts([OFFICE])
    return system


def staff_post(api, token: str, path: str, body: dict | None = None):
    return api.invoke("POST", f"/v1/offices/{OFFICE}{path}", headers=auth(token), body=body)


def flags_of(api, pattern: str) -> list[dict]:
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    flags = api.invoke("GET", "/v1/admin/flags", headers=auth(admin), query={"status": "open"}).json()["flags"]
    return [f for f in flags if f["pattern"] == pattern]


def test_a_reclaim_the_real_name_source_contradicts_is_refused(hall, api):
    holder = registered(hall)
    staff = login(api, f"staff@{OFFICE}", STAFF_PASSWORD)
    real_name_source.register(holder.id_number, "李四", holder.phone)  # the record names the holder
    _, accomplice_phone = new_identity()
    body = {"id_number": holder.id_number, "name": "李四", "phone": accomplice_phone}
    problem(staff_post(api, staff, "/identity-reclaims", body), 403, "FORBIDDEN")
    assert api.invoke("GET", "/v1/me", headers=auth(holder.token)).json()["id_number"] == holder.id_number
    refused = flags_of(api, "insider_change")  # the clerk's attempts are listed for administrators
    assert refused and {e["step"] for f in refused for e in f["evidence"]} == {"refused"}
    assert holder.id_number not in str(refused)


def test_a_reclaim_waits_for_the_holders_consent_by_sms(hall, api):
    holder = registered(hall)  # a stranger holding the owner's number; the source knows nothing against it
    staff = login(api, f"staff@{OFFICE}", STAFF_PASSWORD)
    _, owner_phone = new_identity()
    body = {"id_number": holder.id_number, "name": "李四", "phone": owner_phone}
    r = staff_post(api, staff, "/identity-reclaims", body)
    assert r.status == 202 and r.json()["consent_sent_to"] == [holder.phone[:3] + "****" + holder.phone[-4:]], r.text
    change = r.json()["change_id"]
    assert (
        api.invoke("GET", "/v1/me", headers=auth(holder.token)).json()["id_number"] == holder.id_number
    )  # nothing yet
    hall.pump.drain()
    message = next(m["message"] for m in hall.sms_messages(holder.phone) if "工作人员申请" in m["message"])
    code = re.search(r"验证码(\d{6})", message).group(1)
    wrong = "000000" if code != "000000" else "111111"
    problem(staff_post(api, staff, f"/identity-changes/{change}/consent", {"code": wrong}), 422, "VALIDATION_ERROR")
    r = staff_post(api, staff, f"/identity-changes/{change}/consent", {"code": code})
    assert r.status == 201 and r.json()["status"] == "done", r.text
    problem(staff_post(api, staff, f"/identity-changes/{change}/consent", {"code": code}), 409, "INVALID_STATE")
    assert api.invoke("GET", "/v1/me", headers=auth(holder.token)).json()["id_number"] is None
    assert flags_of(api, "insider_change")


def test_a_guardian_link_the_register_contradicts_is_refused_and_otherwise_needs_a_second_clerk(hall, api):
    parent, stranger = registered(hall), registered(hall)
    child = id_number("440305", "20200404", "412")
    real_name_source.add_guardian(child, parent.id_number)  # the register knows the child's family
    staff = login(api, f"staff@{OFFICE}", STAFF_PASSWORD)
    body = {"guardian_id_number": stranger.id_number, "minor_id_number": child}
    problem(staff_post(api, staff, "/guardian-links", body), 403, "FORBIDDEN")
    # a child the register does not know: the clerk asks, the parent already linked is asked to consent
    other_child = id_number("440305", "20200505", "414")
    r = api.invoke("POST", "/v1/guardian-links", headers=auth(parent.token), body={"minor_id_number": child})
    assert r.status == 201  # the register linked the parent
    body = {"guardian_id_number": stranger.id_number, "minor_id_number": other_child}
    r = staff_post(api, staff, "/guardian-links", body)
    assert r.status == 202 and r.json()["consent_sent_to"] == [], r.text  # nobody linked to that child yet
    change = r.json()["change_id"]
    problem(staff_post(api, staff, f"/identity-changes/{change}/approve"), 403, "FORBIDDEN")  # not alone
    problem(staff_post(api, staff, f"/identity-changes/{change}/consent", {"code": "123456"}), 409, "INVALID_STATE")
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    r = staff_post(api, admin, f"/identity-changes/{change}/approve")
    assert r.status == 201 and r.json()["result"]["status"] == "active", r.text
    flags = flags_of(api, "insider_change")
    steps = sorted(sorted(e["step"] for e in f["evidence"]) for f in flags)
    assert steps == [["done", "requested"], ["refused"]], steps  # one flag per attempt, its steps as evidence
    assert other_child not in str(flags) and stranger.id_number not in str(flags)
