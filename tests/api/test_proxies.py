"""R20 through the gateway: the routes' contract (a son becomes his father's family proxy, books, lists
and cancels for him, the father revokes) and the attacker: a stranger revoking or moving someone else's,
a proxy after revocation, a phone that is not the citizen's, a stranger guessing the code in parallel,
the proxy and the citizen booking at once. The rules' variations (who is told what, R9-R12 and R21 on
the citizen, either side revoking, a revocation mid-booking) are on the fake:
tests/unit/test_family_services.py."""

from __future__ import annotations

import pytest

from hallbook.clock import now as clock_now
from hallbook.services.proxies import CODE_ATTEMPTS
from hallbook.store import audit as audit_store
from tests.support import auth, new_identity, open_office, problem, registered, run_at_once, sms_code, sms_texts

pytestmark = pytest.mark.R20
DAY, WEDNESDAY = "2026-09-15", "2026-09-16"


@pytest.fixture
def office(system):
    return open_office(system)


def ask(son, father_id: str, father_phone: str):
    return son.api.invoke(
        "POST", "/v1/proxies", headers=auth(son.token), body={"id_number": father_id, "phone": father_phone}
    )


def confirm(citizen, proxy_id: str, code: str):
    return citizen.api.invoke(
        "POST", f"/v1/proxies/{proxy_id}/confirm", headers=auth(citizen.token), body={"code": code}
    )


def book_for(son, proxy_id: str, day: str, key: str, **extra):
    return son.api.invoke(
        "POST",
        f"/v1/proxies/{proxy_id}/bookings",
        headers=auth(son.token, key),
        body={
            "office_id": "test-hall",
            "service_code": "ID_RENEW",
            "date": day,
            "start": "09:00",
            "notice_acknowledged": True,
            **extra,
        },
    )


def cancel_for(son, proxy_id: str, booking_id: str):
    return son.api.invoke("POST", f"/v1/proxies/{proxy_id}/bookings/{booking_id}/cancel", headers=auth(son.token))


def authorised(system, son, father) -> str:
    r = ask(son, father.id_number, father.phone)
    assert r.status == 202 and r.json()["status"] == "pending", r.text
    proxy_id = r.json()["proxy_id"]
    r = confirm(son, proxy_id, sms_code(system, father.phone))
    assert r.status == 200 and r.json()["status"] == "active", r.text
    return proxy_id


def test_a_son_books_lists_and_cancels_for_his_father_through_the_routes(office):
    father, son = registered(office, born="19480305"), registered(office)
    r = ask(son, father.id_number, father.phone)
    assert r.status == 202, r.text
    pending = r.json()
    assert (pending["you_are"], pending["status"]) == ("proxy", "pending")
    assert pending["citizen"]["id_number"] != father.id_number  # masked
    proxy_id = pending["proxy_id"]
    r = confirm(son, proxy_id, sms_code(office, father.phone))
    assert r.status == 200 and r.json()["status"] == "active", r.text
    mine = father.get("/v1/proxies").json()["proxies"]
    assert [(p["proxy_id"], p["you_are"], p["status"]) for p in mine] == [(proxy_id, "citizen", "active")]

    r = book_for(son, proxy_id, DAY, "k1")
    assert r.status == 201, r.text
    booking = r.json()
    assert booking["subject_id_number"].endswith(father.id_number[-4:])
    assert [b["booking_id"] for b in father.get("/v1/bookings").json()["bookings"]] == [booking["booking_id"]]
    assert [b["booking_id"] for b in son.get(f"/v1/proxies/{proxy_id}/bookings").json()["bookings"]] == [
        booking["booking_id"]
    ]
    page = son.get(f"/v1/proxies/{proxy_id}/bookings/{booking['booking_id']}/confirmation")
    assert page.status == 200 and booking["reference"] in page.text
    r = cancel_for(son, proxy_id, booking["booking_id"])
    assert r.status == 200 and r.json()["cancelled_by"] == "proxy", r.text

    entries, _ = audit_store.entries_on(clock_now().date(), 100, None)
    acts = [(e.action, e.outcome) for e in entries if e.actor_id == son.get("/v1/me").json()["account_id"]]
    assert {("proxy.request", "ok"), ("proxy.confirm", "ok"), ("proxy.book", "ok"), ("proxy.cancel", "ok")} <= set(acts)


def test_a_stranger_cannot_revoke_and_a_revoked_proxy_can_no_longer_act(office):
    father, son, stranger = (registered(office, born=b) for b in ("19450101", "19800101", "19900101"))
    by_son = authorised(office, son, father)
    booking = book_for(son, by_son, DAY, "k1").json()
    problem(stranger.api.invoke("DELETE", f"/v1/proxies/{by_son}", headers=auth(stranger.token)), 404, "NOT_FOUND")

    r = father.api.invoke("DELETE", f"/v1/proxies/{by_son}", headers=auth(father.token))  # the citizen revokes
    assert r.status == 200 and r.json()["status"] == "revoked"
    for attempt in (
        lambda: son.get(f"/v1/proxies/{by_son}/bookings"),
        lambda: book_for(son, by_son, WEDNESDAY, "k2"),
        lambda: cancel_for(son, by_son, booking["booking_id"]),
        lambda: son.get(f"/v1/proxies/{by_son}/bookings/{booking['booking_id']}/confirmation"),
        lambda: son.api.invoke("DELETE", f"/v1/proxies/{by_son}", headers=auth(son.token)),
    ):
        problem(attempt(), 404, "NOT_FOUND")
    assert father.get(f"/v1/bookings/{booking['booking_id']}").json()["status"] == "booked"  # bookings made stay


def test_a_phone_that_is_not_the_citizens_gets_no_code_and_reveals_nothing(office):
    victim, attacker = registered(office, born="19500101"), registered(office)
    stranger_id, stranger_phone = new_identity("19520101")  # nobody registered this ID number
    before = len(sms_texts(office, victim.phone))
    wrong_phone = problem(ask(attacker, victim.id_number, attacker.phone), 404, "NOT_FOUND")
    unknown = problem(ask(attacker, stranger_id, stranger_phone), 404, "NOT_FOUND")
    assert wrong_phone["detail"] == unknown["detail"]  # which of the two did not match is not said
    assert victim.id_number not in str(wrong_phone)
    assert len(sms_texts(office, victim.phone)) == before  # no code was sent anywhere
    assert not [t for t in sms_texts(office, attacker.phone) if "代您预约" in t]
    assert attacker.get("/v1/proxies").json()["proxies"] == []
    problem(ask(attacker, attacker.id_number, attacker.phone), 422, "VALIDATION_ERROR")  # not one's own proxy


def test_a_stranger_guessing_the_code_in_parallel_gets_five_tries_in_all(office):
    victim, attacker, bystander = registered(office, born="19500101"), registered(office), registered(office)
    r = ask(attacker, victim.id_number, victim.phone)  # the attacker knows the victim's ID number and phone
    proxy_id = r.json()["proxy_id"]
    real = sms_code(office, victim.phone)  # on the victim's phone only
    guesses = [f"{(int(real) + 1 + i) % 10**6:06d}" for i in range(12)]
    answers = run_at_once([lambda g=g: confirm(attacker, proxy_id, g) for g in guesses])
    statuses = [a.status for a in answers]
    assert set(statuses) <= {422, 429, 503} and 422 in statuses, statuses
    later = []  # then one at a time until refused: never more than CODE_ATTEMPTS compared in all
    for guess in guesses[: CODE_ATTEMPTS + 1]:
        later.append(confirm(attacker, proxy_id, guess).status)
        if later[-1] == 429:
            break
    assert statuses.count(422) + later.count(422) == CODE_ATTEMPTS and later[-1] == 429, (statuses, later)
    # every try was counted: the code is spent, even the right one no longer opens it
    problem(confirm(attacker, proxy_id, real), 429, "RATE_LIMITED")
    problem(confirm(bystander, proxy_id, real), 404, "NOT_FOUND")  # nobody else's to confirm
    [link] = attacker.get("/v1/proxies").json()["proxies"]
    assert link["status"] == "pending"
    problem(book_for(attacker, proxy_id, DAY, "k1"), 404, "NOT_FOUND")
    assert victim.get("/v1/bookings").json()["bookings"] == []


@pytest.mark.R9
def test_the_proxy_and_the_citizen_booking_at_once_get_one_booking_for_him(office):
    """A barrier race: the proxy's path ends in the same book_slot transaction, the father's R9 lock."""
    father, son = registered(office, born="19470101"), registered(office)
    proxy_id = authorised(office, son, father)
    answers = run_at_once([lambda: book_for(son, proxy_id, DAY, "race"), lambda: father.book(WEDNESDAY)])
    assert sorted(a.status for a in answers) == [201, 409], [a.text for a in answers]
    problem(next(a for a in answers if a.status == 409), 409, "ALREADY_BOOKED")
    assert len(father.get("/v1/bookings").json()["bookings"]) == 1


@pytest.mark.R8a
def test_a_son_reschedules_for_his_father_and_a_stranger_cannot(office):
    """The proxy's reschedule route; someone else's proxy id is 404 (the move's rules: on the fake)."""
    father, son, stranger = registered(office, born="19480305"), registered(office), registered(office)
    proxy_id = authorised(office, son, father)
    booking = book_for(son, proxy_id, DAY, "k1").json()

    def move(citizen, proxy: str, booking_id: str, key: str = "m1"):
        return citizen.api.invoke(
            "POST",
            f"/v1/proxies/{proxy}/bookings/{booking_id}/reschedule",
            headers=auth(citizen.token, key),
            body={"date": WEDNESDAY, "start": "09:30"},
        )

    problem(move(stranger, proxy_id, booking["booking_id"]), 404, "NOT_FOUND")
    r = move(son, proxy_id, booking["booking_id"])
    assert r.status == 200 and (r.json()["date"], r.json()["start"]) == (WEDNESDAY, "09:30"), r.text
