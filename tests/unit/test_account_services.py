"""The account services' rules (R1: registration, the phone's code, logging in and its limits, sessions,
password reset, phone change, closure) on the in-memory stores (store/memory/accounts.py): no AWS.
Expected values are the SPEC's (R1: one account per person however a number is written, no stranger
can lock the owner out, account life) and, where the SPEC leaves a number to the design, domain.login's
and the services' documented limits, written here. What only DynamoDB can show (conditions under
parallel requests, transactions, streams) and the HTTP contract stay in tests/api and tests/races."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

import jwt
import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors, totp
from hallbook.domain.calendar import WorkCalendar
from hallbook.services import (
    account_life,
    accounts,
    closure,
    guardians,
    identity,
    login,
    phone_change,
    proxies,
    sessions,
    tokens,
    waitlist,
)
from hallbook.services.identity import MATCH, IdentityCheck
from hallbook.services.tokens import Caller
from hallbook.store import bookings as booking_store
from hallbook.store.catalog import Catalog
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from tests.idnumbers import id_number

pytestmark = [pytest.mark.R1]

NOW = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
PASSWORD, NEW_PASSWORD, WRONG = "secret-pass-1", "new-secret-2", "wrong-guess-1"
OWNER_IP, ATTACKER_IP = "198.51.100.7", "203.0.113.66"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_numbers = count(100)


def new_identity() -> tuple[str, str]:
    n = next(_numbers)
    return id_number("440305", "19900101", f"{n % 1000:03d}"), f"139{n:08d}"


def attacker(n: int) -> str:
    return f"203.0.113.{n + 1}"


class RealNameSource:
    """The real-name source: every name and ID number match; a phone matches the ID numbers it was
    registered to here, is someone else's when registered to another, and is not known otherwise."""

    def __init__(self) -> None:
        self.phones: dict[str, str] = {}

    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck:
        holder = self.phones.get(phone or "")
        return IdentityCheck(MATCH, "test", None if holder is None else holder == id_number)

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        return None


@dataclass
class Citizen:
    account_id: str
    id_number: str
    phone: str
    password: str = PASSWORD

    @property
    def caller(self) -> Caller:
        return Caller(self.account_id, "citizen", phone_verified=True)


@dataclass
class World:
    fake: MemoryStores
    source: RealNameSource

    def sms(self, phone: str, template: str | None = None) -> list[str]:
        return [
            m.text
            for m in self.fake.accounts.outbox
            if m.phone == phone and (template is None or m.template == template)
        ]

    def code(self, phone: str, template: str = "verification_code") -> str:
        texts = self.sms(phone, template)
        assert texts, f"no {template} sent to {phone}"
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1])
        assert found, texts[-1]
        return found.group(1)

    def register(self, verify: bool = True, now: datetime = NOW) -> Citizen:
        idn, phone = new_identity()
        account = accounts.register("王五", idn, phone, PASSWORD, "zh", now)
        if verify:
            accounts.verify_phone(idn, self.code(phone), now)
        return Citizen(account.account_id, idn, phone)

    def account(self, citizen: Citizen):  # type: ignore[no-untyped-def]
        found = self.fake.accounts.get_account(citizen.account_id)
        assert found is not None
        return found


@pytest.fixture(autouse=True)
def cheapest_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost (HALLBOOK_FAST_HASH's is still a millisecond a hash, and these tests
    hash a few hundred passwords): what a password must be is the rule here, not the hash's cost."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    for module in (accounts, login, sessions, account_life):
        monkeypatch.setattr(module, "hasher", lambda: cheap)


@pytest.fixture
def world() -> Iterator[World]:
    fake = MemoryStores(Catalog(services={}, offices={}, regions={}, calendar=WorkCalendar()))
    source = RealNameSource()
    identity.set_verifier(source)
    try:
        with installed(fake.stores()):
            yield World(fake, source)
    finally:
        identity.set_verifier(None)


def refused(code: str, call, *args, **kwargs) -> errors.DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    return raised.value


def claims(token: str) -> dict[str, object]:
    """The token's claims (its signature and session state are services.tokens', tested on their own)."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def generation(token: str) -> int:
    return int(str(claims(token)["gen"]))


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# ---------------------------------------------------------------- R1: one account per person


def test_one_id_number_one_account_and_one_phone_one_id_number_however_written(world):
    idn, phone = new_identity()
    other_idn, other_phone = new_identity()
    account = accounts.register("王五", idn, phone, PASSWORD, "zh", NOW)
    assert account.id_number == idn and account.phone == phone and not account.phone_verified
    assert len(world.sms(phone, "verification_code")) == 1  # the registration's code
    refused("ID_TAKEN", accounts.register, "王五", idn.translate(FULL_WIDTH), other_phone, PASSWORD, "zh", NOW)
    refused("PHONE_TAKEN", accounts.register, "李四", other_idn, "+86 " + phone, PASSWORD, "zh", NOW)
    refused(
        "PHONE_TAKEN",
        accounts.register,
        "李四",
        other_idn,
        f"0086 {phone[:3]} {phone[3:7]} {phone[7:]}",
        PASSWORD,
        "zh",
        NOW,
    )
    refused("PHONE_TAKEN", accounts.register, "李四", other_idn, phone.translate(FULL_WIDTH), PASSWORD, "zh", NOW)
    assert accounts.register("李四", other_idn, other_phone, PASSWORD, "zh", NOW).phone == other_phone


def test_a_refused_registration_writes_nothing(world):
    taken = world.register()
    idn, _ = new_identity()
    refused("PHONE_TAKEN", accounts.register, "李四", idn, taken.phone, PASSWORD, "zh", NOW)
    assert world.fake.accounts.find_account_id(f"ID#{idn}") is None  # all or nothing: no claim of the ID number
    assert len(world.fake.accounts.accounts) == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("id_number", "440106199001011230"),
        ("id_number", "٤٤٠١٠٦١٩٩٠٠١٠١١٢٣٤"),
        ("phone", "02088886666"),
        ("password", "short"),
        ("password", "onlyletters"),
    ],
)
def test_bad_registrations_are_refused(world, field, value):
    idn, phone = new_identity()
    body = {"name": "王五", "id_number": idn, "phone": phone, "password": PASSWORD, field: value}
    error = refused("VALIDATION_ERROR", accounts.register, lang="zh", now=NOW, **body)
    assert error.extra["field"] == field


def test_a_minor_registers_no_account_of_their_own(world):
    refused(
        "VALIDATION_ERROR",
        accounts.register,
        "小明",
        id_number("440305", "20150101", "001"),
        "13912345678",
        PASSWORD,
        "zh",
        NOW,
    )


def test_an_unverified_registration_holds_its_phone_and_id_number_for_24_hours_only(world):
    abandoned = world.register(verify=False)
    other_idn, _ = new_identity()
    refused(
        "PHONE_TAKEN", accounts.register, "李四", other_idn, abandoned.phone, PASSWORD, "zh", NOW + timedelta(hours=23)
    )
    later = NOW + timedelta(hours=24, minutes=1)
    assert accounts.register("李四", other_idn, abandoned.phone, PASSWORD, "zh", later).phone == abandoned.phone
    # the abandoned registration cannot take the phone back with its code, and its ID number is free
    refused("VALIDATION_ERROR", accounts.verify_phone, abandoned.id_number, world.code(abandoned.phone), later)
    assert accounts.register("王五", abandoned.id_number, new_identity()[1], PASSWORD, "zh", later)


def test_a_verified_account_keeps_its_phone_and_id_number_for_good(world):
    citizen = world.register()
    later = NOW + timedelta(days=30)
    refused("PHONE_TAKEN", accounts.register, "李四", new_identity()[0], citizen.phone, PASSWORD, "zh", later)
    refused("ID_TAKEN", accounts.register, "李四", citizen.id_number, new_identity()[1], PASSWORD, "zh", later)


# ---------------------------------------------------------------- R1: the phone's code


def test_the_code_verifies_the_phone_once(world):
    citizen = world.register(verify=False)
    code = world.code(citizen.phone)
    assert accounts.verify_phone(citizen.id_number.translate(FULL_WIDTH), code, NOW).phone_verified
    error = refused("VALIDATION_ERROR", accounts.verify_phone, citizen.id_number, code, NOW)  # used: a wrong code
    assert error.extra["field"] == "code"


def test_five_wrong_codes_use_the_code_up_and_a_code_expires_after_ten_minutes(world):
    citizen = world.register(verify=False)
    code = world.code(citizen.phone)
    for _ in range(5):
        refused("VALIDATION_ERROR", accounts.verify_phone, citizen.id_number, wrong(code), NOW)
    refused("RATE_LIMITED", accounts.verify_phone, citizen.id_number, code, NOW)
    accounts.resend_code(citizen.id_number, NOW + timedelta(minutes=1))
    fresh = world.code(citizen.phone)
    refused("VALIDATION_ERROR", accounts.verify_phone, citizen.id_number, fresh, NOW + timedelta(minutes=11, seconds=1))
    accounts.resend_code(citizen.id_number, NOW + timedelta(minutes=12))
    assert accounts.verify_phone(
        citizen.id_number, world.code(citizen.phone), NOW + timedelta(minutes=12)
    ).phone_verified


def test_a_new_code_once_a_minute_and_five_a_day(world):
    citizen = world.register(verify=False)
    refused("RATE_LIMITED", accounts.resend_code, citizen.id_number, NOW + timedelta(seconds=59))
    for minute in range(1, 5):  # the registration's code and four more
        accounts.resend_code(citizen.id_number, NOW + timedelta(minutes=minute))
    error = refused("RATE_LIMITED", accounts.resend_code, citizen.id_number, NOW + timedelta(minutes=5))
    assert error.extra["retry_after"] == 24 * 3600 - 5 * 60  # until the day of the first code is over
    assert len(world.sms(citizen.phone, "verification_code")) == 5
    accounts.resend_code(citizen.id_number, NOW + timedelta(days=1))
    assert len(world.sms(citizen.phone, "verification_code")) == 6


def test_verify_and_resend_tell_nobody_who_has_an_account(world):
    waiting = world.register(verify=False)
    done = world.register()
    unknown, _ = new_identity()
    answers = {}
    for who, idn in (("waiting", waiting.id_number), ("verified", done.id_number), ("unknown", unknown)):
        replies = []
        for _ in range(6):
            with pytest.raises(errors.DomainError) as raised:
                accounts.verify_phone(idn, "000000" if world.code(waiting.phone) != "000000" else "111111", NOW)
            replies.append((raised.value.code, raised.value.extra.get("field"), raised.value.detail))
        answers[who] = replies
    assert answers["waiting"] == answers["verified"] == answers["unknown"]
    assert [a[0] for a in answers["unknown"]] == ["VALIDATION_ERROR"] * 5 + ["RATE_LIMITED"]
    sent = len(world.fake.accounts.outbox)
    accounts.resend_code(done.id_number, NOW)  # a verified phone: nothing sent, the same quiet answer
    accounts.resend_code(unknown, NOW)
    assert len(world.fake.accounts.outbox) == sent


# ---------------------------------------------------------------- R1: logging in, and its limits


def test_the_id_number_or_the_phone_in_any_writing_logs_in(world):
    citizen = world.register()
    full = citizen.id_number.translate(FULL_WIDTH)
    for written in (
        citizen.id_number,
        full,
        citizen.phone,
        "+86 " + citizen.phone,
        "0086-" + citizen.phone,
        citizen.phone.translate(FULL_WIDTH),
    ):
        token, expires_in = login.login(written, PASSWORD, NOW, OWNER_IP)
        assert expires_in > 0 and claims(token)["sub"] == citizen.account_id


def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(world):
    citizen = world.register()
    one = refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, NOW, OWNER_IP)
    other = refused("UNAUTHENTICATED", login.login, "13700000000", WRONG, NOW, OWNER_IP)
    assert one.detail == other.detail


def test_the_guesser_waits_15_seconds_doubling_to_15_minutes_the_owner_elsewhere_not_at_all(world):
    citizen = world.register()
    at = NOW
    for _ in range(5):  # five free attempts
        refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, at, ATTACKER_IP)
    waits = []
    for _ in range(9):
        error = refused("RATE_LIMITED", login.login, citizen.phone, PASSWORD, at, ATTACKER_IP)  # even the right one
        waits.append(error.extra["retry_after"])
        at += timedelta(seconds=error.extra["retry_after"])
        refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, at, ATTACKER_IP)
        assert login.login(citizen.phone, PASSWORD, at, OWNER_IP)  # the owner at home is never slowed
    assert waits == [15, 30, 60, 120, 240, 480, 900, 900, 900]
    quiet = at + timedelta(days=1)  # a quiet day forgets the back-off
    for _ in range(5):
        refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, quiet, ATTACKER_IP)


def test_a_right_password_on_time_clears_the_addresss_back_off(world):
    citizen = world.register()
    for _ in range(5):
        refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, NOW, ATTACKER_IP)
    assert login.login(citizen.phone, PASSWORD, NOW + timedelta(seconds=15), ATTACKER_IP)
    for _ in range(5):
        refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, NOW + timedelta(seconds=15), ATTACKER_IP)


def test_an_ipv6_guesser_is_one_address_per_64(world):
    citizen = world.register()
    answers = []
    for n in range(1, 8):
        with pytest.raises(errors.DomainError) as raised:
            login.login(citizen.phone, WRONG, NOW, f"2001:db8:1:2::{n:x}")
        answers.append(raised.value.code)
    assert answers == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"] * 2
    assert login.login(citizen.phone, PASSWORD, NOW, "2001:db8:1:3::1")


def test_an_unknown_login_is_throttled_as_a_real_one_however_it_is_written(world):
    idn, phone = new_identity()  # nobody's
    for forms in ([idn, idn.translate(FULL_WIDTH), idn.lower()], [phone, "+86 " + phone, phone.translate(FULL_WIDTH)]):
        answers = []
        for n in range(6):
            with pytest.raises(errors.DomainError) as raised:
                login.login(forms[n % 3], WRONG, NOW, ATTACKER_IP)
            answers.append(raised.value.code)
        assert answers == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]


def spend_budget(citizen_login: str, at: datetime = NOW, failures: int = 20) -> None:
    """`failures` wrong passwords, one from each address (no back-off): the login's budget is 20."""
    for n in range(failures):
        refused("UNAUTHENTICATED", login.login, citizen_login, WRONG, at, attacker(n))


def test_the_owners_own_logins_never_spend_the_budget(world):
    citizen = world.register()
    for _ in range(30):
        assert login.login(citizen.phone, PASSWORD, NOW, OWNER_IP)
    spend_budget(citizen.phone, failures=19)
    assert login.login(citizen.phone, PASSWORD, NOW, OWNER_IP)  # 19 failures: the password is still enough


def test_beyond_20_failures_a_citizen_adds_an_sms_code_for_24_hours(world):
    citizen = world.register()
    sent = len(world.sms(citizen.phone))
    spend_budget(citizen.phone)
    refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, NOW, attacker(20))  # the guesser learns nothing
    assert len(world.sms(citizen.phone)) == sent  # and sent nothing
    error = refused("SMS_CODE_REQUIRED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)
    assert citizen.phone[-4:] in error.detail and citizen.phone not in error.detail
    refused("SMS_CODE_REQUIRED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)  # within the minute: no other
    assert len(world.sms(citizen.phone, "verification_code")) == 2  # the registration's and this one
    code = world.code(citizen.phone)
    refused("UNAUTHENTICATED", login.login, citizen.phone, WRONG, NOW, attacker(21), sms_code=code)
    assert login.login(citizen.phone, PASSWORD, NOW, OWNER_IP, sms_code=code)
    refused("SMS_CODE_REQUIRED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP, sms_code=code)  # used once
    assert login.login(citizen.phone, PASSWORD, NOW + timedelta(hours=24, minutes=1), OWNER_IP)


def test_five_wrong_sms_codes_use_the_code_up(world):
    citizen = world.register()
    spend_budget(citizen.phone)
    refused("SMS_CODE_REQUIRED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)
    code = world.code(citizen.phone)
    for _ in range(5):
        refused("SMS_CODE_REQUIRED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP, sms_code=wrong(code))
    refused("SMS_CODE_REQUIRED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP, sms_code=code)
    later = NOW + timedelta(seconds=61)
    login.send_login_code(citizen.phone, PASSWORD, later, OWNER_IP)
    assert login.login(citizen.phone, PASSWORD, later, OWNER_IP, sms_code=world.code(citizen.phone))


def test_a_stranger_asking_for_a_login_code_sends_nothing(world):
    citizen = world.register()
    spend_budget(citizen.phone)
    sent = len(world.fake.accounts.outbox)
    for attempted, password in ((citizen.phone, None), (citizen.phone, WRONG), ("13700000000", WRONG)):
        login.send_login_code(attempted, password, NOW, attacker(30))
    assert len(world.fake.accounts.outbox) == sent


def test_beyond_the_budget_staff_add_a_totp_code_good_once(world):
    secret = totp.new_secret()
    accounts.create_staff_account("clerk@hall", PASSWORD, "staff", "职员", "hall", NOW, totp_secret=secret)
    assert login.login("clerk@hall", PASSWORD, NOW, OWNER_IP)
    spend_budget("clerk@hall")
    error = refused("TOTP_CODE_REQUIRED", login.login, "Clerk@Hall", PASSWORD, NOW, OWNER_IP)
    assert error.extra["second_factor"] == "totp"
    code = totp.code_at(secret, int(NOW.timestamp()) // totp.STEP_SECONDS)
    refused("UNAUTHENTICATED", login.login, "clerk@hall", WRONG, NOW, attacker(40), totp_code=code)
    token, _ = login.login("clerk@hall", PASSWORD, NOW, OWNER_IP, totp_code=code)
    assert claims(token)["role"] == "staff"
    refused("TOTP_CODE_REQUIRED", login.login, "clerk@hall", PASSWORD, NOW, OWNER_IP, totp_code=code)  # no replay


# ---------------------------------------------------------------- sessions: logout, a password change


def test_logout_refuses_that_session_only(world):
    citizen = world.register()
    token, _ = login.login(citizen.phone, PASSWORD, NOW, OWNER_IP)
    caller = tokens.Caller(citizen.account_id, "citizen", sid="s-1", expires_at=int(NOW.timestamp()) + 3600)
    sessions.logout(caller, NOW)
    assert world.fake.accounts.life[citizen.account_id].revoked_sids == {f"{int(NOW.timestamp()) + 3600}:s-1"}
    sessions.logout(
        tokens.Caller(citizen.account_id, "citizen", sid="s-2", expires_at=int(NOW.timestamp()) + 3 * 3600),
        NOW + timedelta(hours=2),
    )
    assert {s.partition(":")[2] for s in world.fake.accounts.life[citizen.account_id].revoked_sids} == {
        "s-2"
    }  # expired entries dropped


@pytest.mark.parametrize(
    "current, new, field",
    [(WRONG, NEW_PASSWORD, "current_password"), (PASSWORD, "short", "password"), (PASSWORD, PASSWORD, "new_password")],
)
def test_a_password_change_needs_the_current_password_and_a_good_new_one(world, current, new, field):
    citizen = world.register()
    error = refused("VALIDATION_ERROR", sessions.change_password, citizen.caller, current, new, NOW, OWNER_IP)
    assert error.extra["field"] == field
    assert login.login(citizen.phone, PASSWORD, NOW, OWNER_IP)  # nothing changed


def test_a_password_change_moves_every_token_to_a_new_generation(world):
    citizen = world.register()
    token, _ = sessions.change_password(citizen.caller, PASSWORD, NEW_PASSWORD, NOW, OWNER_IP)
    assert generation(token) == 1
    refused("UNAUTHENTICATED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)
    assert generation(login.login(citizen.phone, NEW_PASSWORD, NOW, OWNER_IP)[0]) == 1


# ---------------------------------------------------------------- account life: the password reset


def test_a_reset_code_goes_only_to_a_verified_citizens_phone_once_per_two_minutes(world):
    citizen = world.register()
    unverified = world.register(verify=False)
    accounts.create_staff_account("clerk@hall", PASSWORD, "staff", "职员", "hall", NOW)
    sent = len(world.fake.accounts.outbox)
    for asked in ("13700000000", "nobody", unverified.phone, "clerk@hall"):
        account_life.request_password_reset(asked, NOW)
    assert len(world.fake.accounts.outbox) == sent  # no enumeration: nothing sent, the same 202
    account_life.request_password_reset("+86 " + citizen.phone, NOW)
    account_life.request_password_reset(citizen.id_number.lower(), NOW + timedelta(seconds=119))
    assert len(world.sms(citizen.phone, "password_reset_code")) == 1
    account_life.request_password_reset(citizen.phone, NOW + timedelta(seconds=120))
    assert len(world.sms(citizen.phone, "password_reset_code")) == 2


def test_a_reset_rotates_the_password_once_and_every_older_token_goes(world):
    citizen = world.register()
    account_life.request_password_reset(citizen.phone, NOW)
    code = world.code(citizen.phone, "password_reset_code")
    refused("VALIDATION_ERROR", account_life.confirm_password_reset, citizen.phone, wrong(code), NEW_PASSWORD, NOW)
    refused("VALIDATION_ERROR", account_life.confirm_password_reset, "13700000000", code, NEW_PASSWORD, NOW)
    error = refused("VALIDATION_ERROR", account_life.confirm_password_reset, citizen.phone, code, "short", NOW)
    assert error.extra["field"] == "password"
    token, _ = account_life.confirm_password_reset("0086" + citizen.phone, code, NEW_PASSWORD, NOW)
    assert generation(token) == 1
    assert len(world.sms(citizen.phone, "password_reset_done")) == 1
    refused("UNAUTHENTICATED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)
    assert login.login(citizen.phone, NEW_PASSWORD, NOW, OWNER_IP)
    refused("VALIDATION_ERROR", account_life.confirm_password_reset, citizen.phone, code, "another-secret-3", NOW)


def test_a_reset_code_expires_after_ten_minutes(world):
    citizen = world.register()
    account_life.request_password_reset(citizen.phone, NOW)
    code = world.code(citizen.phone, "password_reset_code")
    refused(
        "VALIDATION_ERROR",
        account_life.confirm_password_reset,
        citizen.phone,
        code,
        NEW_PASSWORD,
        NOW + timedelta(minutes=10),
    )


def test_five_wrong_reset_codes_use_it_up_and_a_new_one_comes_at_once(world):
    citizen = world.register()
    account_life.request_password_reset(citizen.phone, NOW)
    code = world.code(citizen.phone, "password_reset_code")
    for _ in range(5):
        refused("VALIDATION_ERROR", account_life.confirm_password_reset, citizen.phone, wrong(code), NEW_PASSWORD, NOW)
    refused("RATE_LIMITED", account_life.confirm_password_reset, citizen.phone, code, NEW_PASSWORD, NOW)
    account_life.request_password_reset(citizen.phone, NOW)  # a spent code: no two-minute wait
    fresh = world.code(citizen.phone, "password_reset_code")
    assert account_life.confirm_password_reset(citizen.phone, fresh, NEW_PASSWORD, NOW)


def test_a_reset_clears_the_login_throttle_in_the_same_write(world):
    """R1: no stranger locks the owner out. A spent budget and a backed-off address are forgotten once
    the owner proves the phone."""
    citizen = world.register()
    spend_budget(citizen.phone)
    for _ in range(6):
        with pytest.raises(errors.DomainError):
            login.login(citizen.phone, WRONG, NOW, OWNER_IP)
    account_life.request_password_reset(citizen.phone, NOW)
    code = world.code(citizen.phone, "password_reset_code")
    account_life.confirm_password_reset(citizen.phone, code, NEW_PASSWORD, NOW, OWNER_IP)
    assert login.login(citizen.phone, NEW_PASSWORD, NOW, OWNER_IP)  # no SMS code, no wait


def test_a_lost_phone_and_a_forgotten_password_through_the_real_name_source(world):
    citizen = world.register()
    _, new_phone = new_identity()
    _, strangers_phone = new_identity()
    world.source.phones[strangers_phone] = new_identity()[0]
    account_life.request_password_reset(citizen.id_number, NOW, phone=strangers_phone)
    account_life.request_password_reset(citizen.id_number, NOW, phone=new_phone)  # the source does not know it
    assert not world.sms(strangers_phone) and not world.sms(new_phone)
    assert not world.sms(citizen.phone, "password_reset_code")
    world.source.phones[new_phone] = citizen.id_number
    account_life.request_password_reset(citizen.id_number, NOW, phone=new_phone)
    code = world.code(new_phone, "password_reset_code")
    account_life.confirm_password_reset(citizen.id_number, code, NEW_PASSWORD, NOW)
    assert world.account(citizen).phone == new_phone
    assert world.sms(citizen.phone, "phone_changed_old")  # the lost phone is told
    assert [e.action for e in world.fake.accounts.audit] == ["account.phone_change_by_real_name_source"]
    assert login.login(new_phone, NEW_PASSWORD, NOW, OWNER_IP)


# ---------------------------------------------------------------- account life: the phone change


def test_the_phone_moves_with_a_code_to_the_new_one_and_the_old_one_is_told(world):
    citizen = world.register()
    other = world.register()
    _, new_phone = new_identity()
    refused("PHONE_TAKEN", phone_change.request_phone_change, citizen.caller, other.phone, NOW)
    refused("VALIDATION_ERROR", phone_change.request_phone_change, citizen.caller, citizen.phone, NOW)
    refused("INVALID_STATE", phone_change.confirm_phone_change, citizen.caller, "123456", NOW)
    answer = phone_change.request_phone_change(citizen.caller, "+86 " + new_phone, NOW)
    assert answer == {"phone": new_phone[:3] + "****" + new_phone[-4:], "expires_in": 600}
    code = world.code(new_phone, "phone_change_code")
    refused("VALIDATION_ERROR", phone_change.confirm_phone_change, citizen.caller, wrong(code), NOW)
    assert phone_change.confirm_phone_change(citizen.caller, code, NOW) == {"phone": new_phone, "phone_verified": True}
    assert world.account(citizen).phone == new_phone
    assert any(new_phone[-4:] in text for text in world.sms(citizen.phone, "phone_changed_old"))
    assert [e.action for e in world.fake.accounts.audit] == ["account.phone_change"]
    assert login.login(new_phone, PASSWORD, NOW, OWNER_IP)
    refused("UNAUTHENTICATED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)
    assert accounts.register("李四", new_identity()[0], citizen.phone, PASSWORD, "zh", NOW)  # the old phone is free


def test_a_phone_change_code_once_a_minute_five_a_day(world):
    citizen = world.register()
    _, new_phone = new_identity()
    phone_change.request_phone_change(citizen.caller, new_phone, NOW)
    refused("RATE_LIMITED", phone_change.request_phone_change, citizen.caller, new_phone, NOW + timedelta(seconds=59))
    for minute in range(1, 5):
        phone_change.request_phone_change(citizen.caller, new_phone, NOW + timedelta(minutes=minute))
    refused("RATE_LIMITED", phone_change.request_phone_change, citizen.caller, new_phone, NOW + timedelta(minutes=5))


def test_the_real_name_source_saying_the_phone_is_someone_elses_refuses_the_change(world):
    citizen = world.register()
    _, new_phone = new_identity()
    world.source.phones[new_phone] = new_identity()[0]
    assert (
        refused("VALIDATION_ERROR", phone_change.request_phone_change, citizen.caller, new_phone, NOW).extra["field"]
        == "phone"
    )


def test_a_lost_phone_is_replaced_at_a_hall_and_audited(world):
    citizen = world.register()
    _, new_phone = new_identity()
    staff = Caller("staff-1", "staff", "hall")
    refused("NOT_FOUND", phone_change.hall_change_target, new_identity()[0], new_phone, NOW)
    answer = phone_change.change_phone_at_hall(staff, "hall", citizen.id_number.translate(FULL_WIDTH), new_phone, NOW)
    assert answer["phone_verified"] is True and world.account(citizen).phone == new_phone
    assert world.sms(citizen.phone, "phone_changed_old") and world.sms(new_phone, "phone_changed_new")
    assert [(e.action, e.actor_id) for e in world.fake.accounts.audit] == [("account.phone_change_at_hall", "staff-1")]


# ---------------------------------------------------------------- account life: closure (PIPL)


@pytest.fixture
def nothing_else_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a closure ends in other aggregates (waitlist entries, proxies, guardian links, the bookings'
    erasure: tested on the embedded AWS): here the account holds none."""
    monkeypatch.setattr(waitlist, "list_entries", lambda caller: [])
    monkeypatch.setattr(proxies, "my_proxies", lambda caller, now: [])
    monkeypatch.setattr(guardians, "my_links", lambda caller, now: [])
    monkeypatch.setattr(booking_store, "pseudonymise_for_account", lambda account_id, pseudonym: 0)


def test_closing_erases_the_person_keeps_the_audit_and_frees_the_numbers(world, nothing_else_held):
    citizen = world.register()
    assert closure.close(citizen.caller, NOW) == {"cancelled_bookings": 0}
    closed = world.account(citizen)
    assert (closed.id_number, closed.phone, closed.password_hash, closed.phone_verified) == (None, None, "", False)
    assert closed.name.startswith("closed-") and "王五" not in closed.name
    life = world.fake.accounts.life[citizen.account_id]
    assert life.closed_at == NOW.isoformat() and life.token_gen == 1  # every token refused
    assert world.sms(citizen.phone, "account_closed")
    assert [e.action for e in world.fake.accounts.audit] == ["account.close"]  # what the law keeps
    refused("UNAUTHENTICATED", login.login, citizen.phone, PASSWORD, NOW, OWNER_IP)
    refused("FORBIDDEN", closure.close, citizen.caller, NOW)  # closed once
    again = accounts.register("王五", citizen.id_number, citizen.phone, PASSWORD, "zh", NOW + timedelta(minutes=1))
    assert again.account_id != citizen.account_id
