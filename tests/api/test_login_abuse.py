"""An attacker guessing a predictable login (a citizen's phone, `staff@<office>`,
`admin`) slows only themselves. Requests come from distinct client addresses (API Gateway's
requestContext.identity.sourceIp); the clock is frozen unless a test moves it. Over HTTP: the answers
(status, problem code, Retry-After, second_factor) and the address a request counts by; the limits'
numbers and variations are tests/unit/test_account_services.py's."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hallbook.clock import now
from hallbook.domain import totp
from hallbook.services.seed import ADMIN_LOGIN, ADMIN_PASSWORD, STAFF_PASSWORD, seed_local_accounts
from hallbook.store import accounts as account_store
from local.gateway import Request
from tests.support import OFFICE, auth, problem, registered, sms_code

pytestmark = [pytest.mark.R1]

OWNER_IP = "198.51.100.7"
ATTACKER_IP = "203.0.113.66"
WRONG = "wrong-guess-1"


def from_ip(api, ip: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """A request as API Gateway would receive it from the client address `ip`."""
    header_list = [("Host", api.host), ("Content-Type", "application/json"), *(headers or {}).items()]
    payload = json.dumps(body).encode() if body is not None else b""
    return api.handle(Request(method, path, [], header_list, payload, ip))


def log_in(api, ip: str, login: str, password: str, **extra):
    return from_ip(api, ip, "POST", "/v1/sessions", {"login": login, "password": password, **extra})


def attacker(n: int) -> str:
    return f"203.0.113.{n % 250 + 1}" if n < 250 else f"192.0.2.{n % 250 + 1}"


@pytest.fixture
def logins(system):
    """The three kinds of predictable login, each with its password: a citizen's phone, the hall's
    staff login and the administrator (as local mode seeds them)."""
    citizen = registered(system, login=False)
    seed_local_accounts([OFFICE])
    return {
        "citizen": (citizen.phone, citizen.password),
        "staff": (f"staff@{OFFICE}", STAFF_PASSWORD),
        "admin": (ADMIN_LOGIN, ADMIN_PASSWORD),
    }


def account_item(login: str):
    key = f"LOGIN#{login}" if not login.isdigit() else f"PHONE#{login}"
    return account_store.AccountItem.get(account_store.account_key(account_store.find_account_id(key)))


@pytest.mark.parametrize("role", ["citizen", "admin"])
def test_an_attacker_elsewhere_cannot_lock_the_owner_out(system, api, logins, role):
    login, password = logins[role]
    answers = [log_in(api, ATTACKER_IP, login, WRONG) for _ in range(30)]
    assert [a.status for a in answers[:5]] == [401] * 5
    assert all(a.status == 429 for a in answers[5:])  # the guesser is slowed ...
    for _ in range(3):  # ... the owner is not, now or after the old lock's 15, 30, 45 minutes
        r = log_in(api, OWNER_IP, login, password)
        assert r.status == 200, r.text
        assert from_ip(api, OWNER_IP, "GET", "/v1/me", headers=auth(r.json()["token"])).status == 200
        assert log_in(api, ATTACKER_IP, login, WRONG).status in (401, 429)
        system.clock.advance(timedelta(minutes=16))


def test_retry_after_is_the_real_wait_and_grows(system, api, logins):
    login, password = logins["citizen"]
    for _ in range(5):
        problem(log_in(api, ATTACKER_IP, login, WRONG), 401, "UNAUTHENTICATED")
    for wait in (15, 30, 60, 120):
        r = log_in(api, ATTACKER_IP, login, WRONG)
        body = problem(r, 429, "RATE_LIMITED")
        assert r.headers["retry-after"] == str(wait) and body["retry_after"] == wait
        system.clock.advance(timedelta(seconds=wait - 1))
        r = log_in(api, ATTACKER_IP, login, password)  # not even the right password, a second early
        assert r.status == 429 and r.headers["retry-after"] == "1"
        system.clock.advance(timedelta(seconds=1))
        problem(log_in(api, ATTACKER_IP, login, WRONG), 401, "UNAUTHENTICATED")
    # on time, the right password works from that address too, and clears its back-off
    system.clock.advance(timedelta(seconds=240))
    assert log_in(api, ATTACKER_IP, login, password).status == 200
    problem(log_in(api, ATTACKER_IP, login, WRONG), 401, "UNAUTHENTICATED")


def spend_budget(api, login: str) -> None:
    """20 wrong passwords, one from each of 20 addresses: the login's budget of failures."""
    for n in range(20):
        problem(log_in(api, attacker(n), login, WRONG), 401, "UNAUTHENTICATED")


def test_beyond_the_ceiling_a_citizen_logs_in_with_an_sms_code(system, api, logins):
    login, password = logins["citizen"]
    spend_budget(api, login)
    # a wrong password gets what it always got: nothing tells the guesser the budget is spent
    problem(log_in(api, attacker(20), login, WRONG), 401, "UNAUTHENTICATED")
    system.pump.drain()
    sent_before = len(system.sms_messages(login))
    assert sent_before == 1  # the registration's code only: a stranger sent nothing
    # the owner's right password alone no longer suffices (from any address): a code goes to their phone
    body = problem(log_in(api, OWNER_IP, login, password), 401, "SMS_CODE_REQUIRED")
    assert body["second_factor"] == "sms" and login[-4:] in body["detail"] and login not in body["detail"]
    code = sms_code(system, login)
    assert len(system.sms_messages(login)) == sent_before + 1
    # the attacker has neither: a guessed code with a guessed password is a plain refusal
    wrong = "000000" if code != "000000" else "111111"
    for n in range(2):
        problem(log_in(api, attacker(21 + n), login, WRONG, sms_code=wrong), 401, "UNAUTHENTICATED")
        problem(log_in(api, attacker(21 + n), login, WRONG, sms_code=code), 401, "UNAUTHENTICATED")
    r = log_in(api, OWNER_IP, login, password, sms_code=code)
    assert r.status == 200, r.text
    assert from_ip(api, OWNER_IP, "GET", "/v1/me", headers=auth(r.json()["token"])).status == 200
    problem(log_in(api, OWNER_IP, login, password, sms_code=code), 401, "SMS_CODE_REQUIRED")  # used once
    # a day later the password alone is enough again
    system.clock.advance(timedelta(hours=24, minutes=1))
    assert log_in(api, OWNER_IP, login, password).status == 200


def test_a_stranger_can_neither_send_nor_burn_the_owners_code(system, api, logins):
    """Issue 21: the step-up is offered only after the right password; without it nothing is sent,
    and nothing a stranger does spends the owner's codes or attempts."""
    login, password = logins["citizen"]
    system.pump.drain()
    sent = len(system.sms_messages())
    spend_budget(api, login)
    for n in range(2):  # any login, with or without a password: the same 202, nothing sent
        for attempted in (login, "13700000000", ADMIN_LOGIN):
            r = from_ip(api, attacker(60 + n), "POST", "/v1/sessions/sms-code", {"login": attempted})
            assert r.status == 202
        r = from_ip(api, attacker(60 + n), "POST", "/v1/sessions/sms-code", {"login": login, "password": WRONG})
        assert r.status == 202
    system.pump.drain()
    assert len(system.sms_messages()) == sent
    # the owner: the right password sends a code (a second within the minute sends no other)
    problem(log_in(api, OWNER_IP, login, password), 401, "SMS_CODE_REQUIRED")
    problem(log_in(api, OWNER_IP, login, password), 401, "SMS_CODE_REQUIRED")
    code = sms_code(system, login)
    assert len(system.sms_messages()) == sent + 1
    for n in range(6):  # wrong codes with wrong passwords never reach the owner's code (five would use it up)
        assert log_in(api, attacker(80 + n), login, WRONG, sms_code=f"{n:06d}").status in (401, 429)
    assert log_in(api, OWNER_IP, login, password, sms_code=code).status == 200


@pytest.mark.parametrize("role", ["admin"])
def test_beyond_the_ceiling_staff_and_admin_log_in_with_a_totp_code(system, api, logins, role):
    login, password = logins[role]
    assert log_in(api, OWNER_IP, login, password).status == 200  # nobody attacked: the password is enough
    spend_budget(api, login)
    problem(log_in(api, attacker(40), login, WRONG), 401, "UNAUTHENTICATED")  # the guesser learns nothing
    body = problem(log_in(api, OWNER_IP, login, password), 401, "TOTP_CODE_REQUIRED")
    assert body["second_factor"] == "totp"
    secret = account_item(login).totp_secret
    assert secret and totp.provisioning_uri(login, secret).startswith("otpauth://totp/")
    code = totp.code_at(secret, int(now().timestamp()) // totp.STEP_SECONDS)
    wrong = "000000" if code != "000000" else "111111"
    problem(log_in(api, OWNER_IP, login, password, totp_code=wrong), 401, "TOTP_CODE_REQUIRED")
    problem(log_in(api, attacker(41), login, WRONG, totp_code=code), 401, "UNAUTHENTICATED")
    # the attacker's try without the password did not use this step's code up
    r = log_in(api, OWNER_IP, login, password, totp_code=code)
    assert r.status == 200, r.text
    problem(log_in(api, OWNER_IP, login, password, totp_code=code), 401, "TOTP_CODE_REQUIRED")  # no replay
    token = r.json()["token"]
    assert from_ip(api, OWNER_IP, "GET", "/v1/me", headers=auth(token)).json()["role"] == role


def test_unknown_logins_are_throttled_as_real_ones(system, api, logins):
    """Issue 21: the answers do not tell a stranger whether a login exists."""
    login, _ = logins["citizen"]
    unknown = "13700000000"
    for attempted in (login, unknown, "nobody@nowhere", "440106" + "1" * 12):
        answers = [log_in(api, ATTACKER_IP, attempted, WRONG) for _ in range(7)]
        assert [a.status for a in answers] == [401] * 5 + [429] * 2, attempted
        assert [a.json()["code"] for a in answers[:5]] == ["UNAUTHENTICATED"] * 5
        assert answers[5].headers["retry-after"] == "15"
        assert len({a.json()["detail"] for a in answers[:5]}) == 1
