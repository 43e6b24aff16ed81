"""Limits that hold in parallel (else a burst of guesses gets more tries than allowed). Each attempt
is counted by an atomic conditional write BEFORE the code or password is compared, so N attempts released at once
by a barrier (run_at_once) compare exactly as many as the limit allows, and every failure is recorded."""

from __future__ import annotations

import hmac
from datetime import timedelta

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.domain.login import BUDGET_BURST, BUDGET_INTERVAL
from hallbook.services import accounts, login
from hallbook.store import accounts as account_store
from hallbook.store.login_throttle import throttle_key
from tests.support import registered, run_at_once, sms_code

pytestmark = [pytest.mark.R1]

WRONG = "wrong-guess-1"


def item(citizen):
    account_id = account_store.find_account_id(f"ID#{citizen.id_number}")
    return account_store.AccountItem.get(account_store.account_key(account_id), consistent_read=True)


def wrong_codes(code: str, n: int) -> list[str]:
    return [f"{(int(code) + 1 + i) % 10**6:06d}" for i in range(n)]


def outcomes(results) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        name = type(r).__name__
        out[name] = out.get(name, 0) + 1
    return out


def test_40_parallel_wrong_codes_compare_five_and_the_right_one_is_then_refused(system):
    citizen = registered(system, verify=False, login=False)
    code = sms_code(system, citizen.phone)
    results = run_at_once(
        [lambda c=c: accounts.verify_phone(citizen.id_number, c, now()) for c in wrong_codes(code, 40)]
    )
    assert outcomes(results) == {"ValidationFailed": 5, "RateLimited": 35}
    assert int(item(citizen).code_attempts) == 5
    # the five were used up: the right code is no longer compared
    try:
        accounts.verify_phone(citizen.id_number, code, now())
        raise AssertionError("the right code was compared after five wrong ones")
    except errors.RateLimited as refused:
        assert refused.extra["retry_after"] >= 1
    assert not item(citizen).phone_verified


def test_40_parallel_wrong_codes_and_the_right_one_compare_at_most_five(system, monkeypatch):
    citizen = registered(system, verify=False, login=False)
    code = sms_code(system, citizen.phone)
    compared = []  # every comparison of a code with the one sent (services.accounts.verify_phone)
    real = hmac.compare_digest
    monkeypatch.setattr(accounts.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    jobs = [lambda c=c: accounts.verify_phone(citizen.id_number, c, now()) for c in wrong_codes(code, 40)]
    jobs.insert(20, lambda: accounts.verify_phone(citizen.id_number, code, now()))
    results = run_at_once(jobs)
    right = results[20]
    verified = bool(item(citizen).phone_verified)
    assert verified == (not isinstance(right, Exception))  # only the right code can verify the phone
    assert len(compared) <= 5  # however many arrive at once, five are compared at most
    # the others are refused uncompared: a wrong code's answer (once verified: no enumeration) or 429
    assert all(isinstance(r, errors.ValidationFailed | errors.RateLimited) for i, r in enumerate(results) if i != 20)
    if not verified:  # five wrong ones were counted first: the right one was refused uncompared
        assert isinstance(right, errors.RateLimited)
        assert int(item(citizen).code_attempts) == 5


def test_parallel_wrong_passwords_from_many_addresses_are_all_recorded(system):
    citizen = registered(system, login=False)
    results = run_at_once(
        [lambda n=n: login.login(citizen.phone, WRONG, now(), source_ip=f"10.1.0.{n}") for n in range(1, 13)]
    )
    assert outcomes(results) == {"Unauthenticated": 12}
    record = item(citizen)
    assert int(record.login_failures) == 12
    at = int(now().timestamp())
    assert int(record.login_tat) == at + 12 * BUDGET_INTERVAL  # 12 units of the budget
    for n in range(1, 13):
        throttle = account_store.AccountItem.get(throttle_key(record.account_id, f"10.1.0.{n}"))
        assert int(throttle.failures) == 1


def test_40_parallel_wrong_passwords_from_one_address_check_five(system):
    citizen = registered(system, login=False)
    results = run_at_once([lambda: login.login(citizen.phone, WRONG, now(), source_ip="10.2.0.1") for _ in range(40)])
    assert outcomes(results) == {"Unauthenticated": 5, "RateLimited": 35}
    assert {r.extra["retry_after"] for r in results if isinstance(r, errors.RateLimited)} == {15}
    assert int(item(citizen).login_failures) == 5
    # the owner elsewhere is not slowed
    assert login.login(citizen.phone, citizen.password, now(), source_ip="10.9.9.9")[0]


def test_30_parallel_wrong_passwords_from_30_addresses_spend_exactly_the_budget(system):
    citizen = registered(system, login=False)
    results = run_at_once(
        [lambda n=n: login.login(citizen.phone, WRONG, now(), source_ip=f"10.3.0.{n}") for n in range(1, 31)]
    )
    # a wrong password is answered alike whether the budget is spent or not (issue 21)
    assert outcomes(results) == {"Unauthenticated": 30}
    record = item(citizen)
    assert int(record.login_failures) == 30
    assert int(record.second_factor_until) == int((now() + timedelta(hours=24)).timestamp())


def test_30_parallel_wrong_sms_login_codes_compare_five(system):
    citizen = registered(system, login=False)
    for n in range(BUDGET_BURST):
        try:
            login.login(citizen.phone, WRONG, now(), source_ip=f"10.4.0.{n}")
        except errors.Unauthenticated:
            pass
    login.send_login_code(citizen.phone, citizen.password, now(), "10.4.1.1")
    code = sms_code(system, citizen.phone)
    results = run_at_once(
        [
            lambda n=n, c=c: login.login(citizen.phone, citizen.password, now(), source_ip=f"10.5.{n}.1", sms_code=c)
            for n, c in enumerate(wrong_codes(code, 30))
        ]
    )
    # only the password's holder reaches the code: five compared ("wrong"), the rest refused uncompared
    assert outcomes(results) == {"SmsCodeRequired": 30}
    assert sum("is wrong" in r.detail for r in results) == 5
    assert int(item(citizen).login_code_attempts) == 5
    try:
        login.login(citizen.phone, citizen.password, now(), source_ip="10.6.0.1", sms_code=code)
        raise AssertionError("the right login code was compared after five wrong ones")
    except errors.SmsCodeRequired:
        pass
