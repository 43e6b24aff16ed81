"""R22 through the gateway: abuse patterns counted as they happen, listed for administrators with their
evidence (newest first), marked reviewed (audited), and never a sanction of their own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.sanctions import FLAG_BOOK_CANCEL_CYCLES, FLAG_MINORS_PER_ACCOUNT, FLAG_PHONE_ID_NUMBERS
from hallbook.services.seed import ADMIN_LOGIN, ADMIN_PASSWORD, seed_local_accounts
from hallbook.store import audit as audit_store
from tests.idnumbers import id_number
from tests.support import OFFICE, auth, login, new_identity, open_office, problem, registered, release_days

pytestmark = pytest.mark.R22


@pytest.fixture
def office(system):
    open_office(system)
    seed_local_accounts([OFFICE])
    return system


def flags(api, token: str, **query) -> list[dict]:
    r = api.invoke("GET", "/v1/admin/flags", headers=auth(token), query=query or None)
    assert r.status == 200, r.text
    return r.json()["flags"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_book_and_cancel_loop_is_flagged_with_its_evidence_reviewed_and_never_sanctioned(office, api):
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    citizen = registered(office)
    problem(api.invoke("GET", "/v1/admin/flags", headers=auth(citizen.token)), 403, "FORBIDDEN")
    references = []
    for n, day in enumerate(["2026-09-22", "2026-09-23"]):  # two cycles in September (R11 allows two)
        booking = citizen.book(day, key=f"loop{n}").json()
        assert "booking_id" in booking, booking
        assert citizen.cancel(booking["booking_id"]).status == 200
        references.append(booking["reference"])
    assert flags(api, admin) == []
    office.clock.set(at("2026-10-08T09:00"))  # a new month (after the National Day holidays): R11 counts afresh
    release_days()
    citizen.login()
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    booking = citizen.book("2026-10-09", key="loop2").json()
    assert citizen.cancel(booking["booking_id"]).status == 200
    references.append(booking["reference"])

    [flag] = flags(api, admin)
    assert flag["pattern"] == "book_cancel_loop" and flag["count"] == FLAG_BOOK_CANCEL_CYCLES == 3
    assert flag["status"] == "open" and "ID_RENEW" in flag["subject"] and citizen.id_number not in str(flag)
    assert [e["reference"] for e in flag["evidence"]] == references[::-1]  # newest first
    # no sanction: the subject books as before (R11's count is October's one)
    assert citizen.book("2026-10-12", key="loop3").status == 201

    r = api.invoke(
        "POST",
        f"/v1/admin/flags/{flag['flag_id']}/review",
        headers=auth(admin),
        body={"note": "a citizen changing plans"},
    )
    assert r.status == 200 and r.json()["status"] == "reviewed" and r.json()["reviewed_by"]
    assert flags(api, admin, status="open") == [] and len(flags(api, admin, status="reviewed")) == 1
    entries, _ = audit_store.entries_on(office.clock.now().date(), 50, None)
    assert [e.action for e in entries if e.target == f"FLAG#{flag['flag_id']}"] == ["flag.review"]
    problem(
        api.invoke("POST", "/v1/admin/flags/book_cancel_loop-0/review", headers=auth(admin), body={}), 404, "NOT_FOUND"
    )

    # one more cycle: the pattern counts more than was reviewed, and the flag opens again
    [latest] = [b for b in citizen.get("/v1/bookings").json()["bookings"] if b["status"] == "booked"]
    assert citizen.cancel(latest["booking_id"]).status == 200
    [again] = flags(api, admin, status="open")
    assert again["flag_id"] == flag["flag_id"] and again["count"] == 4


def test_a_phone_cycling_through_id_numbers_is_flagged(office, api):
    _, phone = new_identity()
    for _ in range(FLAG_PHONE_ID_NUMBERS):
        idn, _ = new_identity()
        r = api.invoke(
            "POST", "/v1/accounts", body={"name": "王五", "id_number": idn, "phone": phone, "password": "secret-pass-1"}
        )
        assert r.status == 201, r.text  # never verified: the phone is free again after 24 hours
        office.clock.set(office.clock.now() + timedelta(hours=25))
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    [flag] = [f for f in flags(api, admin) if f["pattern"] == "phone_cycles_ids"]
    assert flag["count"] == FLAG_PHONE_ID_NUMBERS and flag["subject"] == f"{phone[:3]}****{phone[-4:]}"
    assert [e["event"] for e in flag["evidence"]] == ["registered"] * FLAG_PHONE_ID_NUMBERS


def test_one_account_naming_many_minors_is_flagged(office, api):
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    stranger = registered(office)
    children = [id_number("440305", "20200101", f"{500 + n:03d}") for n in range(FLAG_MINORS_PER_ACCOUNT)]
    for child in children:
        assert [f for f in flags(api, admin) if f["pattern"] == "many_minors"] == []  # not before the 4th
        r = api.invoke("POST", "/v1/guardian-links", headers=auth(stranger.token), body={"minor_id_number": child})
        problem(r, 403, "FORBIDDEN")  # nobody links a stranger to a child
    [flag] = [f for f in flags(api, admin) if f["pattern"] == "many_minors"]
    assert flag["count"] == FLAG_MINORS_PER_ACCOUNT and len({e["minor"] for e in flag["evidence"]}) == 4


def test_a_burst_of_booking_attempts_at_noon_is_flagged_once(office, api):
    bot, person = registered(office), registered(office)
    office.clock.set(at("2026-09-14T12:00:00"))
    bot.login(), person.login()
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    answers = [bot.book("2026-09-28", key=f"b{n}", notice_acknowledged=False).status for n in range(14)]
    assert 429 in answers
    for n in range(3):  # a person retrying every few seconds is no burst
        person.book("2026-09-28", key=f"p{n}", notice_acknowledged=False)
    [flag] = [f for f in flags(api, admin) if f["pattern"] == "noon_burst"]
    assert flag["count"] == 1 and flag["evidence"][0]["account_id"] == bot.get("/v1/me").json()["account_id"]
