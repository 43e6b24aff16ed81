"""R1: one person, however their numbers are written. Every route that takes an ID number or a phone
reads ASCII, full-width and mixed forms as the same person, and refuses Arabic-Indic digits with
VALIDATION_ERROR naming the field. Each route is tried with one other form here; the forms' variations
(registration, verification, login, reset, phone change, the phone line) are the services' rules,
tested on the fakes: tests/unit/test_account_services.py, test_operator_services.py."""

from __future__ import annotations

import pytest

from hallbook.services.seed import OPERATOR_PASSWORD, STAFF_PASSWORD, seed_local_accounts
from local.identity import verifier as real_name_source
from tests.idnumbers import id_number
from tests.support import OFFICE, auth, login, new_identity, open_office, problem, registered, sms_code

pytestmark = [pytest.mark.R1, pytest.mark.R2]
FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def forms(value: str) -> dict[str, str]:
    return {
        "ascii": value,
        "full-width": value.translate(FULL),
        "mixed": value[:9] + value[9:].translate(FULL),
        "lower-x": value.lower(),
    }


def arabic(value: str) -> str:
    return value[:9] + value[9:].translate(ARABIC)


def test_every_id_route_reads_one_person(system):
    api = system.gateway
    open_office(system)
    seed_local_accounts([OFFICE])
    idn, phone = new_identity()
    # registration: the first form registers, every other form of the same number is ID_TAKEN
    r = api.invoke(
        "POST",
        "/v1/accounts",
        body={"name": "李四", "id_number": idn.translate(FULL), "phone": "+86 " + phone, "password": "secret-pass-1"},
    )
    assert r.status == 201, r.text
    other_id, other_phone = new_identity()
    body = {"name": "李四", "id_number": forms(idn)["mixed"], "phone": other_phone, "password": "secret-pass-1"}
    problem(api.invoke("POST", "/v1/accounts", body=body), 409, "ID_TAKEN")
    dashed = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    body = {"name": "李四", "id_number": other_id, "phone": dashed, "password": "secret-pass-1"}
    problem(api.invoke("POST", "/v1/accounts", body=body), 409, "PHONE_TAKEN")
    bad = problem(
        api.invoke(
            "POST",
            "/v1/accounts",
            body={"name": "李四", "id_number": arabic(other_id), "phone": other_phone, "password": "secret-pass-1"},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert bad["field"] == "id_number"
    bad = problem(
        api.invoke(
            "POST",
            "/v1/accounts",
            body={"name": "李四", "id_number": other_id, "phone": phone.translate(ARABIC), "password": "secret-pass-1"},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert bad["field"] == "phone"
    # verify with the mixed form
    code = sms_code(system, phone)
    r = api.invoke("POST", "/v1/accounts/verify", body={"id_number": forms(idn)["mixed"], "code": code})
    assert r.status == 200, r.text
    # login by every form of the ID number and the phone: one account
    for form in (forms(idn)["lower-x"], "0086 " + phone):
        r = api.invoke("POST", "/v1/sessions", body={"login": form, "password": "secret-pass-1"})
        assert r.status == 200, (form, r.text)
    token = r.json()["token"]
    assert api.invoke("GET", "/v1/me", headers=auth(token)).json()["id_number"] == idn
    # an Arabic-Indic login is no login at all: the same 401 as an unknown one
    r = api.invoke("POST", "/v1/sessions", body={"login": arabic(idn), "password": "secret-pass-1"})
    problem(r, 401, "UNAUTHENTICATED")

    # a family proxy names the citizen in full-width digits and 0086
    daughter = registered(system)
    r = api.invoke(
        "POST",
        "/v1/proxies",
        headers=auth(daughter.token),
        body={"id_number": forms(idn)["full-width"], "phone": "0086" + phone},
    )
    assert r.status in (201, 202), r.text
    r = api.invoke("POST", "/v1/proxies", headers=auth(daughter.token), body={"id_number": arabic(idn), "phone": phone})
    assert problem(r, 422, "VALIDATION_ERROR")["field"] == "id_number"

    # the call centre finds the caller with the mixed form
    operator = login(api, "operator", OPERATOR_PASSWORD)
    r = api.invoke(
        "POST",
        "/v1/operator/citizen-lookups",
        headers=auth(operator),
        body={"id_number": forms(idn)["mixed"], "phone": phone.translate(FULL)},
    )
    assert r.status == 200, r.text
    r = api.invoke(
        "POST", "/v1/operator/citizen-lookups", headers=auth(operator), body={"id_number": arabic(idn), "phone": phone}
    )
    problem(r, 422, "VALIDATION_ERROR")

    # a guardian link names the child in full-width digits; the register knows the ASCII form
    child = id_number("440305", "20200301", "123")
    real_name_source.add_guardian(child, idn)
    r = api.invoke("POST", "/v1/guardian-links", headers=auth(token), body={"minor_id_number": child.translate(FULL)})
    assert r.status == 201 and r.json()["status"] == "active", r.text
    r = api.invoke("POST", "/v1/guardian-links", headers=auth(token), body={"minor_id_number": arabic(child)})
    assert problem(r, 422, "VALIDATION_ERROR")["field"] == "minor_id_number"

    # staff: a guardian link by the guardian's mixed-form number is the same account (already active)
    staff = login(api, f"staff@{OFFICE}", STAFF_PASSWORD)
    r = api.invoke(
        "POST",
        f"/v1/offices/{OFFICE}/guardian-links",
        headers=auth(staff),
        body={"guardian_id_number": forms(idn)["mixed"], "minor_id_number": forms(child)["full-width"]},
    )
    assert r.status in (200, 201, 202), r.text
    r = api.invoke(
        "POST",
        f"/v1/offices/{OFFICE}/guardian-links",
        headers=auth(staff),
        body={"guardian_id_number": arabic(idn), "minor_id_number": child},
    )
    assert problem(r, 422, "VALIDATION_ERROR")["field"] == "guardian_id_number"
    # check-in by ID number: Arabic-Indic is refused before anything is looked up
    r = api.invoke("POST", f"/v1/offices/{OFFICE}/check-ins", headers=auth(staff), body={"id_number": arabic(idn)})
    problem(r, 422, "VALIDATION_ERROR")


def test_a_booking_subject_in_full_width_is_the_caller_and_arabic_indic_is_refused(system):
    open_office(system)
    citizen = registered(system)
    from tests.support import next_working_day

    day = next_working_day()
    r = citizen.book(day, subject_id_number=citizen.id_number.translate(FULL))
    assert r.status == 201, r.text
    r = citizen.book(day, "09:30", subject_id_number=arabic(citizen.id_number))
    assert problem(r, 422, "VALIDATION_ERROR")["field"] == "subject_id_number"
    # the same person in another form is the same subject: one active booking per service (R9)
    r = citizen.book(day, "09:30", subject_id_number=forms(citizen.id_number)["mixed"])
    problem(r, 409, "ALREADY_BOOKED")
