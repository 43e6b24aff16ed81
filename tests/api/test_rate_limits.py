"""The rate limits of web/guard.py, measured. N calls pass, the N+1st is 429 RATE_LIMITED
whose Retry-After is the real wait on the injected clock (the test moves the clock by exactly that and
is let through); accounts, addresses and phones are limited independently, so an attacker's address
never limits the owner at another. Requests come from client addresses as API Gateway gives them
(requestContext.identity.sourceIp); the clock is frozen unless a test moves it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hallbook.clock import now
from hallbook.config import reset_settings, settings
from hallbook.domain.ratelimit import Period, Rate, retry_after
from hallbook.store.ratelimits import RateItem
from hallbook.web import guard
from local.gateway import Request
from tests.idnumbers import id_number
from tests.support import OFFICE, SERVICE, auth, new_identity, open_office, problem, put_test_office, registered

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


@pytest.fixture(autouse=True)
def fresh_buckets():
    guard.reset()  # another test's counts in this process's memory (the frozen clock starts over)
    yield
    guard.reset()


def rate(name: str) -> Rate:
    return Rate.parse(getattr(settings(), f"limit_{name}"))


def from_ip(
    api,
    ip: str,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict | None = None,
    query: dict | None = None,
):
    """A request as API Gateway would receive it from the client address `ip`."""
    header_list = [("Host", api.host), ("Content-Type", "application/json"), *(headers or {}).items()]
    payload = json.dumps(body).encode() if body is not None else b""
    return api.handle(Request(method, path, list((query or {}).items()), header_list, payload, ip))


def limited(r, wait: float) -> dict:
    """A 429 whose Retry-After (and body) is `wait` rounded up to whole seconds."""
    body = problem(r, 429, "RATE_LIMITED")
    assert r.headers["retry-after"] == str(retry_after(wait)) and body["retry_after"] == retry_after(wait), r.text
    return body


def advance(system, seconds: float) -> None:
    system.clock.advance(timedelta(seconds=seconds))


@pytest.fixture
def office(system):
    return open_office(system, capacity=50)


def attempt(api, ip: str, citizen, key: str):
    body = {
        "office_id": OFFICE,
        "service_code": SERVICE,
        "date": "2026-09-15",
        "start": "09:00",
        "notice_acknowledged": True,
    }
    return from_ip(api, ip, "POST", "/v1/bookings", body, auth(citizen.token, key))


def rate_items() -> int:
    return sum(1 for _ in RateItem.scan())


# ---------------------------------------------------------------- the noon rush: in memory, no write


def test_booking_attempts_per_account(office, api):
    limit = rate("booking_account")
    first, second = registered(office), registered(office)
    items = rate_items()
    answers = [attempt(api, OWNER, first, f"k{n}").status for n in range(limit.count)]
    assert answers[0] == 201 and set(answers[1:]) == {409}  # ALREADY_BOOKED: attempts all the same
    body = limited(attempt(api, OWNER, first, "one-more"), limit.interval)
    assert "该账号" in body["detail"]
    assert attempt(api, OWNER, second, "k1").status == 201  # another account, same address: its own bucket
    advance(office, limit.interval / 2)
    limited(attempt(api, OWNER, first, "one-more"), limit.interval / 2)
    advance(office, limit.interval / 2)  # exactly the wait: one more attempt, then the bucket is empty again
    assert attempt(api, OWNER, first, "one-more").status == 409
    limited(attempt(api, OWNER, first, "and-another"), limit.interval)
    assert rate_items() == items  # the rush's limits never wrote to DynamoDB


def test_booking_attempts_per_address_spare_the_owner_elsewhere(office, api):
    per_address, per_account = rate("booking_address"), rate("booking_account")
    each = per_account.count - 1  # no single account reaches its own limit
    bots = [registered(office) for _ in range(per_address.count // each + 1)]
    owner = registered(office)
    items = rate_items()
    answers = [attempt(api, ATTACKER, bot, f"k{n}") for n in range(each) for bot in bots]
    assert [r.text for r in answers[: per_address.count] if r.status == 429] == []
    body = limited(answers[per_address.count], per_address.interval)
    assert "该网络地址" in body["detail"]
    assert all(r.status == 429 for r in answers[per_address.count :])
    assert attempt(api, OWNER, owner, "mine").status == 201  # the owner, elsewhere, is not slowed
    assert attempt(api, OWNER, bots[0], "from-home").status != 429  # nor is a bot's account from another address
    advance(office, per_address.interval)
    assert attempt(api, ATTACKER, bots[-1], "later").status != 429
    assert rate_items() == items


def test_availability_polls_per_address(office, api):
    limit = rate("availability_address")
    path, query = f"/v1/offices/{OFFICE}/availability", {"service": SERVICE}
    poll = lambda ip: from_ip(api, ip, "GET", path, query=query)  # noqa: E731
    assert [poll(ATTACKER).status for _ in range(limit.count)] == [200] * limit.count
    limited(poll(ATTACKER), limit.interval)
    assert poll("2001:db8:1:2::1").status == 200 and poll(OWNER).status == 200  # other addresses: untouched
    advance(office, limit.interval)
    assert poll(ATTACKER).status == 200
    limited(poll(ATTACKER), limit.interval)
    # IPv6: one subscriber's /64 is one address
    assert all(poll(f"2001:db8:9:9::{n:x}").status == 200 for n in range(1, limit.count + 1))
    limited(poll("2001:db8:9:9::ffff"), limit.interval)
    assert rate_items() == 0  # polls never write


def test_the_numbers_come_from_the_settings(office, api, monkeypatch):
    monkeypatch.setenv("LIMIT_AVAILABILITY_ADDRESS", "2/30")
    reset_settings()
    try:
        poll = lambda: from_ip(
            api,
            ATTACKER,
            "GET",
            f"/v1/offices/{OFFICE}/availability",  # noqa: E731
            query={"service": SERVICE},
        )
        assert [poll().status, poll().status] == [200, 200]
        limited(poll(), 15)
    finally:
        monkeypatch.delenv("LIMIT_AVAILABILITY_ADDRESS")
        reset_settings()


# ---------------------------------------------------------------- registration and SMS: global counters


def register(api, ip: str, phone: str, idn: str | None = None):
    body = {"name": "李四", "id_number": idn or new_identity()[0], "phone": phone, "password": "secret-pass-1"}
    return from_ip(api, ip, "POST", "/v1/accounts", body)


@pytest.mark.R1
def test_registration_quotas_count_sms_sent_never_forms_refused(system, api):
    """Issue 21: three ID-number typos (422) and a taken phone (409) send no SMS and spend nothing; the
    fourth, correct form from the same phone and address registers. The count is per canonical phone."""
    limit = rate("register_phone")
    idn, phone = new_identity()
    typos = [idn[:-1] + str((int(idn[-1]) + k) % 10) if idn[-1] != "X" else idn[:-1] + str(k) for k in (1, 2, 3)]
    for typo in typos * limit.count:
        problem(register(api, OWNER, phone, typo), 422, "VALIDATION_ERROR")
    assert register(api, OWNER, f"+86 {phone[:3]}-{phone[3:]}", idn).status == 201
    for _ in range(limit.count + 1):  # the same phone, written otherwise: taken, never counted
        problem(register(api, ATTACKER, "0086" + phone), 409, "PHONE_TAKEN")
    assert {item.hits for item in RateItem.scan() if item.pk.startswith("register_phone#")} == {1}
    assert all(phone not in item.pk and "198.51.100" not in item.pk for item in RateItem.scan())  # hashed


def test_registration_attempts_per_address_refused_or_not(system, api):
    limit = rate("register_form_address")
    idn, phone = new_identity()
    bad = idn[:-1] + ("0" if idn[-1] != "0" else "1")
    for _ in range(limit.count):
        problem(register(api, ATTACKER, phone, bad), 422, "VALIDATION_ERROR")
    period = Period(limit, now().timestamp())
    body = limited(register(api, ATTACKER, phone, idn), period.wait)
    assert "来自该网络地址的注册请求" in body["detail"]
    assert register(api, OWNER, phone, idn).status == 201  # the owner elsewhere registers


def test_registrations_per_address(system, api):
    limit = rate("register_address")
    answers = [register(api, ATTACKER, new_identity()[1]).status for _ in range(limit.count)]
    assert answers == [201] * limit.count
    period = Period(limit, now().timestamp())
    assert period.wait == 3600  # 09:00 now: the hour's period ends at 10:00
    body = limited(register(api, ATTACKER, new_identity()[1]), period.wait)
    assert "来自该网络地址的注册" in body["detail"]
    assert register(api, OWNER, new_identity()[1]).status == 201  # the owner elsewhere registers
    advance(system, 1800)
    limited(register(api, ATTACKER, new_identity()[1]), 1800)
    advance(system, 1800)
    assert register(api, ATTACKER, new_identity()[1]).status == 201


def test_sms_codes_per_address_across_every_route_that_sends_one(system, api):
    limit = rate("sms_address")
    owner = registered(system, verify=False, login=False)
    system.clock.advance(timedelta(minutes=1))  # the registration's code is a minute old
    sends = [
        lambda: from_ip(api, ATTACKER, "POST", "/v1/accounts/verify/resend", {"id_number": owner.id_number}),
        lambda: from_ip(api, ATTACKER, "POST", "/v1/sessions/sms-code", {"login": owner.phone}),
        lambda: register(api, ATTACKER, new_identity()[1]),
    ]
    answers = [sends[n % 2]() for n in range(limit.count)]
    # none is the guard's; the account's own "1 a minute" refuses all resends but the first
    assert [r.status for r in answers[::2]] == [202] + [429] * (len(answers[::2]) - 1)
    assert {r.status for r in answers[1::2]} == {202}
    assert all(r.json().get("limit") is None for r in answers)
    period = Period(limit, now().timestamp())
    for send in sends:
        body = limited(send(), period.wait)
        assert "来自该网络地址的验证码申请" in body["detail"]
    system.clock.advance(timedelta(minutes=1))  # the account's own resend interval
    r = from_ip(api, OWNER, "POST", "/v1/accounts/verify/resend", {"id_number": owner.id_number})
    assert r.status == 202, r.text  # the owner, from home, still gets a code


def test_guardian_link_requests_per_minor_and_per_account(system, api):
    per_minor, per_account = rate("guardian_minor"), rate("guardian_account")
    child = id_number("440305", "20200101", "611")
    strangers = [registered(system) for _ in range(2)]
    ask = lambda caller, minor, ip: from_ip(
        api,
        ip,
        "POST",
        "/v1/guardian-links",  # noqa: E731
        {"minor_id_number": minor},
        auth(caller.token),
    )
    answers = [ask(strangers[n % 2], child, f"198.51.100.{n + 1}") for n in range(per_minor.count)]
    assert all(r.status == 403 for r in answers), [r.text for r in answers]  # nobody linked: a hall must
    period = Period(per_minor, now().timestamp())
    body = limited(ask(strangers[0], child, "192.0.2.7"), period.wait)
    assert "该未成年人" in body["detail"]
    others = [id_number("440305", "20200101", f"{n:03d}") for n in range(620, 620 + per_account.count)]
    answers = [ask(strangers[1], minor, f"192.0.2.{n + 10}") for n, minor in enumerate(others)]
    assert per_account.count - per_minor.count // 2 <= sum(r.status == 403 for r in answers)
    body = limited(ask(strangers[1], id_number("440305", "20200101", "699"), "192.0.2.99"), period.wait)
    assert "来自该账号" in body["detail"]


def test_local_mode_is_one_client_and_not_counted_by_address(system, api):
    """Every local client (tests, the browser, make bench) reaches the gateway from 127.0.0.1; API
    Gateway never gives that address, so loopback is not counted (accounts and phones still are)."""
    put_test_office()
    limit = rate("availability_address")
    assert all(
        api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).status == 200
        for _ in range(limit.count * 3)
    )
