"""Issue 21, items 1-5, over HTTP against `python -m local` (NOW years ahead of the machine's clock):
one person however their numbers are written, account life (reset, phone change, closure), no lockout
by strangers, insiders held to the real-name source, and nothing that tells a stranger who has an
account. Attackers connect from other loopback addresses (127.0.0.x): the login throttle counts the
client's address as API Gateway's sourceIp would give it."""

from __future__ import annotations

import http.client
import json
from datetime import date, timedelta
from typing import Any

import pytest
from blackbox_support import (
    PASSWORD,
    Api,
    Citizen,
    Reply,
    assert_problem,
    at,
    availability,
    book,
    new_adult_id,
    new_name,
    new_phone,
    register,
    sms_code,
)

pytestmark = [pytest.mark.R1]
FULL = str.maketrans("0123456789Xx+", "０１２３４５６７８９Ｘｘ＋")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
OFFICE = "sz-futian-centre"
SERVICE = "ID_RENEW"


def from_address(api: Api, n: int, method: str, path: str, body: Any = None) -> Reply:
    """A request from the loopback address 127.0.0.`n` (another client, as far as the server can tell)."""
    connection = http.client.HTTPConnection(api.host, api.port, timeout=60, source_address=(f"127.0.0.{n}", 0))
    try:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Accept": "application/json", "Connection": "close"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def codes_sent(api: Api, phone: str) -> int:
    return len(api.sms(phone))


def next_code(api: Api, phone: str, before: int) -> str:
    """The code of the first SMS to `phone` after the `before` it had (SMS go out asynchronously)."""
    api.wait_sms(phone, lambda _: codes_sent(api, phone) > before, "after the ones before")
    return sms_code(api, phone)


def a_bookable_day(api: Api) -> str:
    now = api.now()
    for day, slots in availability(api, OFFICE, SERVICE).items():
        if (
            "09:00" in slots
            and slots["09:00"]["remaining"] > 1
            and at(date.fromisoformat(day) - timedelta(days=1), "18:00") > now
        ):
            return day
    pytest.fail("no bookable day")


def test_one_person_however_the_numbers_are_written(api: Api) -> None:
    """Item 1: full-width, mixed, lower-case x, +86 / 0086 / dashes are one person; Arabic-Indic is refused."""
    idn, phone, name = new_adult_id(), new_phone(), new_name()
    reply = api.post(
        "/v1/accounts",
        {"name": name, "id_number": idn.translate(FULL), "phone": "+86 " + phone, "password": PASSWORD},
    )
    assert reply.status == 201, reply
    for form in (idn, idn.lower(), idn[:9] + idn[9:].translate(FULL)):
        body = {"name": name, "id_number": form, "phone": new_phone(), "password": PASSWORD}
        assert_problem(api.post("/v1/accounts", body), 409, "ID_TAKEN")
    for form in ("0086" + phone, phone.translate(FULL), f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"):
        body = {"name": name, "id_number": new_adult_id(), "phone": form, "password": PASSWORD}
        assert_problem(api.post("/v1/accounts", body), 409, "PHONE_TAKEN")
    body = {"name": name, "id_number": idn[:9] + idn[9:].translate(ARABIC), "phone": new_phone(), "password": PASSWORD}
    assert assert_problem(api.post("/v1/accounts", body), 422, "VALIDATION_ERROR")["field"] == "id_number"
    code = sms_code(api, phone)
    assert api.post("/v1/accounts/verify", {"id_number": idn[:9] + idn[9:].translate(FULL), "code": code}).status == 200
    citizen = Citizen(name, idn, phone)
    for form in (idn.translate(FULL), "0086 " + phone, phone.translate(FULL), idn.lower()):
        citizen.token = api.login(form, PASSWORD)
    me = api.get("/v1/me", token=citizen.token).json()
    assert me["id_number"] == idn and me["phone"] == phone
    # the same subject however it is written: one active booking per service (R9)
    day = a_bookable_day(api)
    first = book(api, citizen, OFFICE, SERVICE, day, "09:00", subject=idn.translate(FULL))
    assert first.status == 201, first
    again = book(api, citizen, OFFICE, SERVICE, day, "09:00", subject=idn[:9] + idn[9:].translate(FULL))
    assert_problem(again, 409, "ALREADY_BOOKED")
    arabic = book(api, citizen, OFFICE, SERVICE, day, "09:00", subject=idn.translate(ARABIC))
    assert assert_problem(arabic, 422, "VALIDATION_ERROR")["field"] == "subject_id_number"
    # the call centre and the hall find the same person
    operator = api.login("operator", "local-operator-pass")
    found = api.post(
        "/v1/operator/citizen-lookups", {"id_number": idn.translate(FULL), "phone": "+86" + phone}, token=operator
    )
    assert found.status == 200, found
    staff = api.login(f"staff@{OFFICE}", "local-staff-pass")
    arabic = api.post(f"/v1/offices/{OFFICE}/check-ins", {"id_number": idn.translate(ARABIC)}, token=staff)
    assert_problem(arabic, 422, "VALIDATION_ERROR")


def test_three_id_typos_never_spend_the_phones_registrations(api: Api) -> None:
    """Item 3: the quota counts SMS sent, never forms refused."""
    idn, phone = new_adult_id(), new_phone()
    typo = idn[:-1] + ("1" if idn[-1] != "1" else "2")
    for _ in range(4):
        body = {"name": new_name(), "id_number": typo, "phone": phone, "password": PASSWORD}
        assert_problem(api.post("/v1/accounts", body), 422, "VALIDATION_ERROR")
    body = {"name": new_name(), "id_number": idn, "phone": phone, "password": PASSWORD}
    assert api.post("/v1/accounts", body).status == 201


def test_a_stranger_cannot_lock_the_owner_out(api: Api) -> None:
    """Item 3: wrong passwords from 25 addresses spend the login's budget; code requests and guesses
    without the password send and spend nothing; the owner with the password and the code to their own
    phone gets in."""
    owner = register(api)
    before = codes_sent(api, owner.phone)
    for n in range(25):
        reply = from_address(api, 10 + n, "POST", "/v1/sessions", {"login": owner.phone, "password": "wrong-guess-1"})
        assert_problem(reply, 401, "UNAUTHENTICATED")
    for n in range(10):
        reply = from_address(api, 40 + n, "POST", "/v1/sessions/sms-code", {"login": owner.phone})
        assert reply.status == 202, reply
        body = {"login": owner.phone, "password": "wrong-guess-1", "sms_code": f"{n:06d}"}
        assert_problem(from_address(api, 40 + n, "POST", "/v1/sessions", body), 401, "UNAUTHENTICATED")
    # the owner's right password: a code goes to their own phone (nothing else was sent)
    reply = api.post("/v1/sessions", {"login": owner.phone, "password": PASSWORD})
    assert assert_problem(reply, 401, "SMS_CODE_REQUIRED")["second_factor"] == "sms"
    code = next_code(api, owner.phone, before)
    assert codes_sent(api, owner.phone) == before + 1
    reply = api.post("/v1/sessions", {"login": owner.phone, "password": PASSWORD, "sms_code": code})
    assert reply.status == 200, reply
    assert api.get("/v1/me", token=reply.json()["token"]).status == 200


def test_nothing_tells_a_stranger_who_has_an_account(api: Api) -> None:
    """Item 5: verify and login answer an unknown ID number / login as they answer a known one."""
    waiting = register(api, verify=False, login=False)
    done = register(api, login=False)
    seen = []
    for n, idn in enumerate((waiting.id_number, done.id_number, new_adult_id())):
        replies = [
            from_address(api, 100 + n, "POST", "/v1/accounts/verify", {"id_number": idn, "code": "000000"})
            for _ in range(6)
        ]
        seen.append([(r.status, r.json()["code"], r.json()["detail"]) for r in replies])
    assert seen[0] == seen[1] == seen[2] and [s[0] for s in seen[0]] == [422] * 5 + [429], seen
    logins = []
    for n, login in enumerate((done.phone, new_phone(), "nobody@nowhere")):
        replies = [
            from_address(api, 110 + n, "POST", "/v1/sessions", {"login": login, "password": "wrong-guess-1"})
            for _ in range(7)
        ]
        logins.append([(r.status, r.json()["code"], r.json()["detail"][:10]) for r in replies])
        assert all(13 <= int(r.headers["retry-after"]) <= 15 for r in replies[5:])  # the same back-off
    assert logins[0] == logins[1] == logins[2], logins
    assert [s[0] for s in logins[0]] == [401] * 5 + [429] * 2


def test_account_life_reset_phone_change_and_closure(api: Api) -> None:
    """Item 2: a forgotten password, a new phone, and closing the account (PIPL)."""
    citizen = register(api)
    unknown = api.post("/v1/accounts/password-reset", {"login": new_phone()})
    reply = api.post("/v1/accounts/password-reset", {"login": "+86 " + citizen.phone})
    assert reply.status == unknown.status == 202 and reply.json() == unknown.json()
    code = sms_code(api, citizen.phone, lambda m: "重置" in m or "reset" in m)
    body = {"login": citizen.id_number.translate(FULL), "code": code, "new_password": "new-secret-9"}
    reply = api.post("/v1/accounts/password-reset/confirm", body)
    assert reply.status == 200, reply
    assert_problem(api.get("/v1/me", token=citizen.token), 401, "UNAUTHENTICATED")  # every older token
    citizen.password, citizen.token = "new-secret-9", reply.json()["token"]
    # a new phone: a code to it, a notice to the old one
    new = new_phone()
    reply = api.post("/v1/me/phone", {"phone": new.translate(FULL)}, token=citizen.token)
    assert reply.status == 202, reply
    code = sms_code(api, new)
    assert api.post("/v1/me/phone/confirm", {"code": code}, token=citizen.token).status == 200
    api.wait_sms(citizen.phone, lambda m: new[-4:] in m, "telling the old phone")
    old_phone, citizen.phone = citizen.phone, new
    assert api.login(new, "new-secret-9")
    # closure: the booking cancelled (uncounted), the person erased, the ID number free again
    day = a_bookable_day(api)
    booking = book(api, citizen, OFFICE, SERVICE, day, "09:00")
    assert booking.status == 201, booking
    assert api.request("DELETE", "/v1/me", token=citizen.token).status == 204
    before = codes_sent(api, old_phone)
    assert_problem(api.get("/v1/me", token=citizen.token), 401, "UNAUTHENTICATED")
    body = {"name": citizen.name, "id_number": citizen.id_number, "phone": old_phone, "password": PASSWORD}
    assert api.post("/v1/accounts", body).status == 201
    again = register_code_and_login(api, citizen.id_number, old_phone, before)
    restrictions = api.get("/v1/me", token=again).json()["restrictions"]
    assert restrictions["cancellations_this_month"] == 0  # the closure's cancellation counted against nobody


def register_code_and_login(api: Api, idn: str, phone: str, before: int) -> str:
    code = next_code(api, phone, before)
    assert api.post("/v1/accounts/verify", {"id_number": idn, "code": code}).status == 200
    return api.login(phone, PASSWORD)


def test_insiders_are_held_to_the_real_name_source(api: Api) -> None:
    """Item 4: a clerk's reclaim the real-name source contradicts is refused; one it does not is pending
    until the holder consents or a second member of staff approves; each one is flagged."""
    holder = register(api)
    staff = api.login(f"staff@{OFFICE}", "local-staff-pass")
    assert api.post("/local/identity", {"id_number": holder.id_number, "name": holder.name}).status in (200, 201, 204)
    body = {"id_number": holder.id_number, "name": "王芳" if holder.name != "王芳" else "李娜", "phone": new_phone()}
    assert_problem(api.post(f"/v1/offices/{OFFICE}/identity-reclaims", body, token=staff), 403, "FORBIDDEN")
    other = register(api)  # the source knows nothing against moving this one: the clerk still cannot alone
    body = {"id_number": other.id_number, "name": other.name, "phone": new_phone()}
    reply = api.post(f"/v1/offices/{OFFICE}/identity-reclaims", body, token=staff)
    assert reply.status == 202 and reply.json()["status"] == "pending", reply
    change = reply.json()["change_id"]
    assert_problem(api.post(f"/v1/offices/{OFFICE}/identity-changes/{change}/approve", token=staff), 403, "FORBIDDEN")
    assert api.get("/v1/me", token=other.token).json()["id_number"] == other.id_number  # nothing moved
    admin = api.login("admin", "local-admin-pass")
    reply = api.post(f"/v1/offices/{OFFICE}/identity-changes/{change}/approve", token=admin)
    assert reply.status == 201, reply
    flags = api.get("/v1/admin/flags?status=open", token=admin).json()["flags"]
    assert any(f["pattern"] == "insider_change" for f in flags)
    assert other.id_number not in json.dumps(flags, ensure_ascii=False)
