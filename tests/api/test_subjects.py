"""R2: whom a service is for (`subject`), newborns named by their medical birth certificate (the R9
subject key, in canonical form), and minors' business only for a linked minor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from hallbook.store import catalog
from hallbook.store.bookings import get_subject
from tests.support import OFFICE, auth, login, open_office, problem, registered

DAY, OTHER = "2026-09-15", "2026-09-16"
NEWBORN = "HR_NEWBORN"
CERT = "O440012345"
pytestmark = pytest.mark.R2


@pytest.fixture
def office(system):
    open_office(system)
    catalog.put_service(
        {
            "code": NEWBORN,
            "name_zh": "出生登记",
            "name_en": "Birth registration",
            "appointment_required": True,
            "materials": ["出生医学证明"],
            "notice": "请携带出生医学证明",
            "subject": "newborn",
        }
    )
    office = catalog.load_catalog().offices[OFFICE]
    body = catalog.body_of(office)
    body["services"].append(NEWBORN)
    body["timetable"][NEWBORN] = [{"days": [1, 2, 3, 4, 5], "start": "14:00", "end": "14:30", "capacity": 3}]
    catalog.put_office(body)
    catalog.invalidate_cache()
    from tests.support import release_days

    release_days(3)
    return system


def newborn(citizen, cert: str, name: str = "王小明", day: str = DAY, **extra):
    return citizen.book(
        day, "14:00", service=NEWBORN, newborn={"name": name, "birth_certificate_number": cert}, **extra
    )


def test_every_demo_service_says_whom_it_is_for(system, api):
    system.seed()
    services = {s["code"]: s for s in api.invoke("GET", "/v1/services").json()["services"]}
    demo = json.loads((Path(__file__).resolve().parents[2] / "data" / "demo.json").read_text(encoding="utf-8"))
    assert {s["code"]: s["subject"] for s in demo["services"]} == {c: s["subject"] for c, s in services.items()}
    assert services["HR_BIRTH"]["subject"] == "newborn" and services["ID_FIRST"]["subject"] == "minor"
    assert services["HR_JOIN_SPOUSE"]["subject"] == "self" and services["ID_RENEW"]["subject"] == "self_or_minor"
    assert api.invoke("GET", "/v1/services/HR_BIRTH").json()["subject"] == "newborn"


def test_a_newborn_is_booked_with_the_guardians_id_and_its_certificate_is_the_subject(office):
    guardian = registered(office)
    r = newborn(guardian, "Ｏ４４００１２３４５")  # full-width, as an IME may type it
    assert r.status == 201, r.text
    booking = r.json()
    assert booking["subject_id_number"] is None
    assert booking["newborn"] == {"name": "王*明", "birth_certificate_number": "O44*****45"}
    assert get_subject(CERT).active_services == {NEWBORN}
    assert get_subject(guardian.id_number).active_services == set()  # the guardian's own business is free
    # R9: the same certificate written otherwise is the same subject
    problem(newborn(guardian, "o 4400-12345", day=OTHER), 409, "ALREADY_BOOKED")
    other_parent = registered(office)
    problem(newborn(other_parent, CERT, day=OTHER), 409, "ALREADY_BOOKED")
    # a twin has its own certificate
    assert newborn(guardian, "O440012346", name="王小亮").status == 201
    listed = guardian.get("/v1/bookings").json()["bookings"]
    assert {b["newborn"]["birth_certificate_number"] for b in listed} == {"O44*****45", "O44*****46"}
    assert guardian.book(DAY).status == 201  # and the guardian's own ID card business still books


def test_an_administrator_sets_whom_a_service_is_for(office, api):
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    token = login(api, "admin", "admin-pass-1")
    body = {
        "name_zh": "新生儿落户",
        "name_en": "Newborn registration",
        "appointment_required": True,
        "subject": "newborn",
    }
    r = api.invoke("PUT", "/v1/services/HR_NEW", headers=auth(token), body=body)
    assert r.status in (200, 201), r.text
    assert api.invoke("GET", "/v1/services/HR_NEW").json()["subject"] == "newborn"
    problem(
        api.invoke("PUT", "/v1/services/HR_NEW", headers=auth(token), body={**body, "subject": "baby"}),
        422,
        "VALIDATION_ERROR",
    )


def test_a_newborns_confirmation_names_it_by_its_certificate(office):
    guardian = registered(office)
    booking = newborn(guardian, CERT).json()
    page = guardian.get(f"/v1/bookings/{booking['booking_id']}/confirmation")
    assert page.status == 200
    assert "王*明" in page.text and "O44*****45" in page.text and "出生医学证明编号" in page.text
    assert CERT not in page.text and guardian.id_number not in page.text
