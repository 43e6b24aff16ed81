"""R1 account life (issue 21): a forgotten password reset by SMS, a phone change (a code to the new
phone, a notice to the old; a lost phone at a hall), and the account's closure under PIPL, through the
gateway. The rules' variations (a code's limits and expiry, the reset to a new phone) are
tests/unit/test_account_services.py's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hallbook.services.seed import ADMIN_LOGIN, ADMIN_PASSWORD, STAFF_PASSWORD, seed_local_accounts
from hallbook.store import accounts as account_store
from local.identity import verifier as real_name_source
from tests.support import (
    OFFICE,
    auth,
    login,
    new_identity,
    next_working_day,
    open_office,
    problem,
    registered,
    sms_code,
    sms_texts,
)

pytestmark = pytest.mark.R1
NEW_PASSWORD = "new-secret-2"


def test_a_forgotten_password_is_reset_with_a_code_to_the_verified_phone(system, api):
    citizen = registered(system)
    unknown_phone = new_identity()[1]
    replies = [
        api.invoke("POST", "/v1/accounts/password-reset", body={"login": login_name})
        for login_name in ("+86 " + citizen.phone, unknown_phone, "nobody", citizen.id_number.lower())
    ]
    assert {(r.status, r.text) for r in replies[1:3]} == {(replies[0].status, replies[0].text)}  # no enumeration
    assert replies[0].status == 202
    system.pump.drain()
    assert not system.sms_messages(unknown_phone)
    code = sms_code(system, citizen.phone)
    assert len([t for t in sms_texts(system, citizen.phone) if "重置" in t]) == 1  # asked twice: one code
    body = {"login": citizen.phone, "code": "000000" if code != "000000" else "111111", "new_password": NEW_PASSWORD}
    problem(api.invoke("POST", "/v1/accounts/password-reset/confirm", body=body), 422, "VALIDATION_ERROR")
    body = {"login": unknown_phone, "code": code, "new_password": NEW_PASSWORD}
    problem(api.invoke("POST", "/v1/accounts/password-reset/confirm", body=body), 422, "VALIDATION_ERROR")
    body = {"login": "0086" + citizen.phone, "code": code, "new_password": "short"}
    problem(api.invoke("POST", "/v1/accounts/password-reset/confirm", body=body), 422, "VALIDATION_ERROR")
    old_token = citizen.token
    r = api.invoke(
        "POST",
        "/v1/accounts/password-reset/confirm",
        body={"login": "0086" + citizen.phone, "code": code, "new_password": NEW_PASSWORD},
    )
    assert r.status == 200, r.text
    assert api.invoke("GET", "/v1/me", headers=auth(r.json()["token"])).status == 200
    problem(api.invoke("GET", "/v1/me", headers=auth(old_token)), 401, "UNAUTHENTICATED")  # every older token
    problem(
        api.invoke("POST", "/v1/sessions", body={"login": citizen.phone, "password": citizen.password}),
        401,
        "UNAUTHENTICATED",
    )
    assert api.invoke("POST", "/v1/sessions", body={"login": citizen.phone, "password": NEW_PASSWORD}).status == 200
    # the code is good once
    body = {"login": citizen.phone, "code": code, "new_password": "another-secret-3"}
    problem(api.invoke("POST", "/v1/accounts/password-reset/confirm", body=body), 422, "VALIDATION_ERROR")


def test_the_phone_moves_with_a_code_to_the_new_one_and_the_old_one_is_told(system, api):
    citizen = registered(system)
    other = registered(system)
    _, new_phone = new_identity()
    me = auth(citizen.token)
    problem(api.invoke("POST", "/v1/me/phone", headers=me, body={"phone": other.phone}), 409, "PHONE_TAKEN")
    problem(api.invoke("POST", "/v1/me/phone", headers=me, body={"phone": "٠١٣٨"}), 422, "VALIDATION_ERROR")
    problem(api.invoke("POST", "/v1/me/phone/confirm", headers=me, body={"code": "123456"}), 409, "INVALID_STATE")
    r = api.invoke("POST", "/v1/me/phone", headers=me, body={"phone": "+86 " + new_phone})
    assert r.status == 202 and r.json()["phone"] == new_phone[:3] + "****" + new_phone[-4:], r.text
    code = sms_code(system, new_phone)
    wrong = "000000" if code != "000000" else "111111"
    problem(api.invoke("POST", "/v1/me/phone/confirm", headers=me, body={"code": wrong}), 422, "VALIDATION_ERROR")
    r = api.invoke("POST", "/v1/me/phone/confirm", headers=me, body={"code": code})
    assert r.status == 200 and r.json() == {"phone": new_phone, "phone_verified": True}, r.text
    system.pump.drain()
    assert any(new_phone[-4:] in t and "更换" in t for t in sms_texts(system, citizen.phone))  # the old phone told
    assert api.invoke("GET", "/v1/me", headers=me).json()["phone"] == new_phone
    assert api.invoke("POST", "/v1/sessions", body={"login": new_phone, "password": citizen.password}).status == 200
    problem(
        api.invoke("POST", "/v1/sessions", body={"login": citizen.phone, "password": citizen.password}),
        401,
        "UNAUTHENTICATED",
    )
    # the old phone is free for someone else
    idn, _ = new_identity()
    body = {"name": "王五", "id_number": idn, "phone": citizen.phone, "password": "secret-pass-1"}
    assert api.invoke("POST", "/v1/accounts", body=body).status == 201


def test_a_lost_phone_is_replaced_at_a_hall_audited_flagged_and_held_to_the_real_name_source(system, api):
    open_office(system)
    seed_local_accounts([OFFICE])
    citizen = registered(system)
    staff = login(api, f"staff@{OFFICE}", STAFF_PASSWORD)
    _, new_phone = new_identity()
    _, strangers_phone = new_identity()
    real_name_source.register(citizen.id_number, "李四", new_phone)  # the carrier knows the new phone is theirs
    r = api.invoke(
        "POST",
        f"/v1/offices/{OFFICE}/phone-changes",
        headers=auth(staff),
        body={"id_number": citizen.id_number, "phone": strangers_phone},
    )
    assert problem(r, 422, "VALIDATION_ERROR")["field"] == "phone"  # the source says it is someone else's
    r = api.invoke(
        "POST",
        f"/v1/offices/{OFFICE}/phone-changes",
        headers=auth(staff),
        body={
            "id_number": citizen.id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "phone": new_phone,
        },
    )
    assert r.status == 202 and r.json()["status"] == "pending", r.text  # a second clerk approves (issue 21)
    change = r.json()["change_id"]
    problem(
        api.invoke("POST", f"/v1/offices/{OFFICE}/identity-changes/{change}/approve", headers=auth(staff)),
        403,
        "FORBIDDEN",
    )
    admin = login(api, ADMIN_LOGIN, ADMIN_PASSWORD)
    r = api.invoke("POST", f"/v1/offices/{OFFICE}/identity-changes/{change}/approve", headers=auth(admin))
    assert r.status == 201 and r.json()["result"]["phone_verified"] is True, r.text
    assert api.invoke("POST", "/v1/sessions", body={"login": new_phone, "password": citizen.password}).status == 200
    system.pump.drain()
    assert any("更换" in t for t in sms_texts(system, citizen.phone))  # the lost phone is told, should it turn up
    audit = api.invoke("GET", "/v1/audit", headers=auth(admin)).json()
    assert any(e["action"] == "account.phone_change_at_hall" for e in audit["entries"]), audit
    flags = api.invoke("GET", "/v1/admin/flags", headers=auth(admin), query={"status": "open"}).json()
    assert any(f["pattern"] == "insider_change" for f in flags["flags"]), flags


def test_closing_the_account_cancels_without_counting_erases_and_frees_the_id_number(system, api):
    open_office(system)
    citizen = registered(system)
    daughter = registered(system)
    day = next_working_day()
    booking = citizen.book(day).json()
    r = api.invoke(
        "POST",
        "/v1/proxies",
        headers=auth(daughter.token),
        body={"id_number": citizen.id_number, "phone": citizen.phone},
    )
    assert r.status in (201, 202), r.text
    account_id = api.invoke("GET", "/v1/me", headers=auth(citizen.token)).json()["account_id"]
    r = api.invoke("DELETE", "/v1/me", headers=auth(citizen.token))
    assert r.status == 204, r.text
    problem(api.invoke("GET", "/v1/me", headers=auth(citizen.token)), 401, "UNAUTHENTICATED")
    problem(
        api.invoke("POST", "/v1/sessions", body={"login": citizen.phone, "password": citizen.password}),
        401,
        "UNAUTHENTICATED",
    )
    item = account_store.AccountItem.get(account_store.account_key(account_id))
    assert item.id_number is None and item.phone is None and item.password_hash == "" and item.closed_at
    assert item.name.startswith("closed-")
    from hallbook.store import bookings as booking_store

    cancelled = booking_store.get_booking(booking["booking_id"])
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.subject_id_number.startswith("erased#") and citizen.id_number not in cancelled.subject_id_number
    assert booking_store.get_subject(citizen.id_number).record().cancellations_in(day) == 0  # never counted
    proxies = api.invoke("GET", "/v1/proxies", headers=auth(daughter.token)).json()
    assert all(p["status"] == "revoked" for p in proxies["proxies"]), proxies
    # the ID number and the phone can register again
    system.clock.advance(timedelta(minutes=1))
    body = {"name": "李四", "id_number": citizen.id_number, "phone": citizen.phone, "password": "secret-pass-1"}
    assert api.invoke("POST", "/v1/accounts", body=body).status == 201
