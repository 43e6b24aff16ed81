"""R1: real-name accounts, SMS verification and login."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import re
import secrets
import unicodedata
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..domain import totp
from ..domain.errors import (
    DomainError,
    RateLimited,
    SmsCodeRequired,
    TotpCodeRequired,
    Unauthenticated,
    ValidationFailed,
)
from ..domain.identity import mask_id_number, mask_phone, parse_id_number, parse_name, parse_phone
from ..domain.sanctions import month_key
from ..i18n import N_, translate
from ..lazy import lazy
from ..store import accounts as store
from ..store import bookings as booking_store
from ..store.accounts import Account
from . import flags, identity, messages, tokens

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)
argon2 = lazy("argon2")  # loaded by the first password hashed or checked, not by the catalog routes
argon2_errors = lazy("argon2.exceptions")

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
SENDS_PER_DAY = 5
MIN_PASSWORD = 8


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    import os

    password_hasher: type[PasswordHasher] = argon2.PasswordHasher
    if os.environ.get("HALLBOOK_FAST_HASH") == "1":  # tests and the benchmark only
        return password_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    return password_hasher()  # argon2id, RFC 9106 low-memory profile


def code_hash(account_id: str, code: str) -> str:
    return hashlib.sha256(f"{account_id}:{code}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 128:
        raise ValidationFailed(N_("password must be {least} to 128 characters.", least=MIN_PASSWORD), field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationFailed("password must mix letters and digits", field="password")
    return password


def register(name: str, id_number: str, phone: str, password: str, lang: str, now: datetime) -> Account:
    person = parse_id_number(id_number, now.date())
    phone = parse_phone(phone)
    name = parse_name(name)
    check_password(password)
    if person.is_minor_on(now.date()):
        raise ValidationFailed("a minor's business is booked from a guardian's account (R2)", field="id_number")
    real_name = identity.check_registration(name, person.value, phone)
    account_id = uuid.uuid4().hex
    code = new_code()
    account = Account(
        account_id=account_id,
        name=name,
        id_number=person.value,
        phone=phone,
        password_hash=hasher().hash(password),
        phone_verified=False,
        role="citizen",
        office_id=None,
        lang=lang,
        created_at=now.isoformat(),
        code_hash=code_hash(account_id, code),
        code_expires_at=(now + timedelta(minutes=CODE_MINUTES)).isoformat(),
        code_sends=1,
        code_period_start=now.isoformat(),
        identity_verified=real_name.verified,
        identity_source=real_name.source,
        identity_checked_at=now.isoformat(),
    )
    sms = messages.message(
        f"{account_id}#code#1",
        "verification_code",
        phone,
        lang,
        now,
        {"account_id": account_id},
        code=code,
        minutes=CODE_MINUTES,
    )
    store.register_account(account, [f"ID#{person.value}", f"PHONE#{phone}"], sms, now)
    log.info("account registered", extra={"account_id": account_id, "phone": mask_phone(phone)})
    flags.registered(phone, person.value, account_id, now)  # R22
    return account


def _account_by_id_number(id_number: str, now: datetime) -> Account | None:
    person = parse_id_number(id_number, now.date())
    account_id = store.find_account_id(f"ID#{person.value}")
    account = store.get_account(account_id) if account_id else None
    return account if account is not None and account.id_number == person.value else None


WRONG_CODE = N_("The code is wrong or has expired.")
STRANGER_PERIOD = timedelta(minutes=CODE_MINUTES)


def _no_code_here(id_number: str, now: datetime) -> DomainError:
    """An ID number without an account waiting for a code (none, or verified already) is
    answered as a wrong code is, and throttled as one: CODE_ATTEMPTS a CODE_MINUTES period per number,
    then 429 with the wait a resend would have."""
    from ..store import ratelimits

    at = now.timestamp()
    period = int(at // STRANGER_PERIOD.total_seconds())
    ends = (period + 1) * STRANGER_PERIOD.total_seconds()
    if not ratelimits.count("verify_stranger", id_number, period, CODE_ATTEMPTS, ends):
        raise RateLimited("Too many wrong codes; ask for a new code.", retry_after=int(RESEND_INTERVAL.total_seconds()))
    return ValidationFailed(WRONG_CODE, field="code")


def verify_phone(id_number: str, code: str, now: datetime) -> Account:
    """The phone is verified by the code sent to it. Each attempt is counted (atomically, at most
    CODE_ATTEMPTS per code) BEFORE the code is compared, so parallel guesses compare at most
    CODE_ATTEMPTS codes however many arrive at once. An unknown ID number, or one whose phone is
    verified already, is answered as a wrong code (no enumeration)."""
    person = parse_id_number(id_number, now.date())
    account = _account_by_id_number(person.value, now)
    if account is None or account.phone_verified:
        raise _no_code_here(person.value, now)
    if not account.code_hash or not account.code_expires_at or datetime.fromisoformat(account.code_expires_at) <= now:
        raise ValidationFailed(WRONG_CODE, field="code")
    if not store.count_verification_attempt(account.account_id, account.code_hash, CODE_ATTEMPTS):
        current = store.get_account(account.account_id) or account
        if current.phone_verified:
            raise _no_code_here(person.value, now)
        if current.code_hash != account.code_hash:  # a new code was sent meanwhile: try against that one
            return verify_phone(id_number, code, now)
        raise RateLimited("Too many wrong codes; ask for a new code.", retry_after=_resend_wait(current, now))
    if not hmac.compare_digest(code_hash(account.account_id, str(code or "").strip()), account.code_hash):
        raise ValidationFailed(WRONG_CODE, field="code")
    if not store.mark_phone_verified(account, account.code_hash):
        raise ValidationFailed(WRONG_CODE, field="code")
    return store.get_account(account.account_id) or account


def _resend_wait(account: Account, now: datetime) -> int:
    """Seconds until resend_code would send a new code (at least 1)."""
    period_start = datetime.fromisoformat(account.code_period_start) if account.code_period_start else now
    if now - period_start >= timedelta(days=1):
        return 1
    if account.code_sends >= SENDS_PER_DAY:
        return _seconds(period_start + timedelta(days=1) - now)
    if account.code_expires_at:
        last_sent = datetime.fromisoformat(account.code_expires_at) - timedelta(minutes=CODE_MINUTES)
        return _seconds(last_sent + RESEND_INTERVAL - now)
    return 1


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def resend_code(id_number: str, now: datetime) -> None:
    """A new code to the phone of a registration waiting for one; for an unknown ID number or a verified
    phone nothing is sent and the answer is the same 202 (no enumeration)."""
    account = _account_by_id_number(id_number, now)
    if account is None or account.phone_verified:
        from ..store import ratelimits

        minute = int(now.timestamp() // 60)  # the "one a minute" a real registration would answer
        if not ratelimits.count(
            "resend_stranger", parse_id_number(id_number, now.date()).value, minute, 1, minute * 60 + 60
        ):
            raise RateLimited(
                "A code was sent recently; wait a minute.", retry_after=max(1, 60 - int(now.timestamp()) % 60)
            )
        return
    period_start = datetime.fromisoformat(account.code_period_start) if account.code_period_start else now
    sends = account.code_sends
    if now - period_start >= timedelta(days=1):
        period_start, sends = now, 0
    last_sent = (
        datetime.fromisoformat(account.code_expires_at) - timedelta(minutes=CODE_MINUTES)
        if account.code_expires_at
        else None
    )
    if sends >= SENDS_PER_DAY or (last_sent and now - last_sent < RESEND_INTERVAL):
        raise RateLimited(
            "A code was sent recently; wait a minute (at most 5 codes a day).", retry_after=_resend_wait(account, now)
        )
    code = new_code()
    sms = messages.message(
        f"{account.account_id}#code#{month_key(now.date())}-{now.timestamp():.0f}",
        "verification_code",
        account.phone or "",
        account.lang,
        now,
        {"account_id": account.account_id},
        code=code,
        minutes=CODE_MINUTES,
    )
    if not store.replace_code(
        account.account_id,
        code_hash(account.account_id, code),
        (now + timedelta(minutes=CODE_MINUTES)).isoformat(),
        sends + 1,
        period_start.isoformat(),
        account.code_sends,
        sms,
    ):
        raise RateLimited("A code was sent just now.", retry_after=int(RESEND_INTERVAL.total_seconds()))


def login_key(login: str, now: datetime) -> str:
    """The claim a login names (R1): an ID number or a phone in its canonical form (full-width digits,
    +86, 0086, spaces and dashes folded), or a staff login name. ValidationFailed for a number that
    is neither (Arabic-Indic digits, a bad check digit)."""
    folded = unicodedata.normalize("NFKC", login if isinstance(login, str) else "").strip()
    compact = re.sub(r"[\s\-()（）.+]", "", folded)
    if len(compact) == 18 and compact[:17].isdigit():  # any script's digits: the canonical form refuses others
        return f"ID#{parse_id_number(folded, now.date(), 'login').value}"
    if compact.isdigit():
        return f"PHONE#{parse_phone(folded, 'login')}"
    return f"LOGIN#{folded.lower()}"


# ---------------------------------------------------------------- login throttling
# Slow the guesser, not the owner. Two limits, each an atomic conditional write made before the
# password is compared (so parallel guesses cannot slip past a check they all read at once):
# - per account and client address, exponential back-off: BACKOFF_FREE attempts, then each further
#   one waits BACKOFF_DELAYS after the one before (15 s doubling to 15 min); a success from the
#   address or a quiet day clears it. The owner at another address is not slowed at all.
# - per account, from every address together, a budget of BUDGET_BURST failures refilled one every
#   BUDGET_INTERVAL (20 an hour). When it is spent the password alone is no longer enough for
#   SECOND_FACTOR_HOURS: a citizen adds an SMS code sent to the account's phone (POST
#   /v1/sessions/sms-code), staff, operators and administrators a TOTP code from their authenticator.
# Nothing ever locks the owner out: the worst an attacker achieves is that the owner's next logins
# for a day need the code on their own phone.
BACKOFF_FREE = 5
BACKOFF_DELAYS = (15, 30, 60, 120, 240, 480, 900)  # seconds; the last repeats
BACKOFF_QUIET_SECONDS = 24 * 3600
BACKOFF = store.Backoff(BACKOFF_FREE, BACKOFF_DELAYS, BACKOFF_QUIET_SECONDS)
BUDGET_BURST = 20
BUDGET_INTERVAL = 180  # seconds: 3600 / 20
SECOND_FACTOR_HOURS = 24
LOGIN_CODE_MINUTES = 10
LOGIN_CODE_ATTEMPTS = 5


SecondFactorRequired = (SmsCodeRequired, TotpCodeRequired)  # 401: the password alone is not enough


def second_factor_required(factor: str, detail: str = "") -> DomainError:
    if factor == "sms":
        return SmsCodeRequired(
            detail
            or "Too many wrong passwords were tried for this login: ask for an SMS code "
            "(POST /v1/sessions/sms-code) and log in with login, password and sms_code.",
            second_factor="sms",
        )
    return TotpCodeRequired(
        detail
        or "Too many wrong passwords were tried for this login: log in with login, "
        "password and totp_code (the code of your authenticator app).",
        second_factor="totp",
    )


def client_address(source_ip: str | None) -> str:
    """The address throttling counts by: an IPv4 address, or an IPv6 /64 (what one subscriber holds)."""
    try:
        address = ipaddress.ip_address((source_ip or "").strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return f"{ipaddress.ip_network(f'{address}/64', strict=False).network_address}/64"
    return str(address)


def _factor(account: Account) -> str:
    return "sms" if account.role == "citizen" else "totp"


def _find_login(login: str, now: datetime, address: str | None = None) -> tuple[Account, store.LoginGuard] | None:
    try:
        key = login_key(login, now)
    except ValidationFailed:
        return None
    account_id = store.find_account_id(key)
    return store.get_account_for_login(account_id, address) if account_id else None


def _stranger_key(login: str, now: datetime) -> str:
    """What an unknown login string is throttled by (the same back-off as an account's, so
    the answers never tell a stranger whether a login exists): a hash of its canonical form (R1: the
    full-width and ASCII writings of one number share one back-off), else of its folded form."""
    try:
        key = login_key(login, now)
    except ValidationFailed:
        key = unicodedata.normalize("NFKC", login if isinstance(login, str) else "").strip().lower()
    return "LOGIN-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _reserve_attempt(account: Account, guard: store.LoginGuard, address: str, at: int) -> None:
    """Counts this attempt from `address`, or refuses it (429 with the real wait) while the address
    must wait: then nothing is written, so hammering during a wait costs the guesser and not us."""
    _reserve(account.account_id, guard.address_seen, address, at)


def _reserve(throttled: str, seen: tuple[int, int] | None, address: str, at: int) -> None:
    wait = BACKOFF.wait(*seen, at) if seen else 0
    if not wait:
        wait = store.reserve_address_attempt(throttled, address, at, BACKOFF, seen)
    if wait:
        raise RateLimited(
            N_("Too many wrong passwords from this address; try again in {seconds} seconds.", seconds=wait),
            retry_after=wait,
        )


def login(
    login: str,
    password: str,
    now: datetime,
    source_ip: str | None = None,
    sms_code: str | None = None,
    totp_code: str | None = None,
) -> tuple[str, int]:
    """A session token for the right password, under the throttling above: 429 RATE_LIMITED (with the
    real wait in Retry-After) while this address must wait for this login - any login string, existing
    or not. While the login needs its second factor, the password is compared first and only the right
    one is answered 401 SMS_CODE_REQUIRED / TOTP_CODE_REQUIRED (a citizen's code is then sent to the
    account's own phone): nobody without the password can send, burn or guess the owner's code, and a
    wrong password gets the same 401 as an unknown login."""
    address = client_address(source_ip)
    at = int(now.timestamp())
    found = _find_login(login, now, address)
    if found is None:
        _reserve(_stranger_key(login, now), None, address, at)  # the back-off an account would have
        hasher().hash("timing-equaliser")  # no account: cost the same as a wrong password
        raise Unauthenticated("Wrong login or password.")
    account, guard = found
    factor = _factor(account)
    given = (sms_code if factor == "sms" else totp_code) or None
    guarded = guard.second_factor_until > at
    _reserve_attempt(account, guard, address, at)
    reserved = None
    if not guarded:
        reserved = store.reserve_login_budget(account.account_id, at, BUDGET_INTERVAL, BUDGET_BURST)
        if reserved is None:  # spent (by failures that raced this one's read)
            _require_second_factor(account, at)
            guarded = True
    try:
        hasher().verify(account.password_hash, password or "")
    except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
        if reserved is None:
            store.record_login_failure(account.account_id)  # else its budget unit counted it already
        elif reserved > at + (BUDGET_BURST - 1) * BUDGET_INTERVAL:
            _require_second_factor(account, at)  # this failure emptied the budget
        raise Unauthenticated("Wrong login or password.") from None
    used_code = None
    if guarded:  # the password is right: the step-up, to the owner's own phone or authenticator
        store.forget_address_attempts(account.account_id, address)
        if not given:
            sent = _send_step_up(account, guard, now) if factor == "sms" else ""
            raise second_factor_required(factor, sent)
        used_code = _check_second_factor(account, guard, factor, given, now)
        if used_code is None:
            raise second_factor_required(
                factor,
                "The code is wrong; try it again, or log in without a code to get a new one."
                if factor == "sms"
                else "The authenticator code is wrong or was used already; try the next one.",
            )
    if factor == "sms" and used_code and not store.use_login_code(account.account_id, used_code):
        raise second_factor_required(factor, "That SMS code was just used; log in without a code to get a new one.")
    store.record_login_success(account.account_id, address, BUDGET_INTERVAL if reserved is not None else 0)
    caller = tokens.Caller(
        account.account_id, account.role, account.office_id, account.phone_verified, gen=guard.token_gen
    )
    return tokens.issue(caller, now)


def _require_second_factor(account: Account, at: int) -> None:
    store.require_second_factor(account.account_id, at + SECOND_FACTOR_HOURS * 3600)
    log.warning(
        "login failure budget spent: second factor required for %s hours",
        SECOND_FACTOR_HOURS,
        extra={"account_id": account.account_id},
    )


def _check_second_factor(
    account: Account, guard: store.LoginGuard, factor: str, given: str, now: datetime
) -> str | None:
    """The second factor is right: the SMS code's hash or "totp"; None when it is not. Only called
    after the right password. The SMS code's attempt is counted before it is compared
    (LOGIN_CODE_ATTEMPTS per code); a TOTP code is good once."""
    at = int(now.timestamp())
    if factor == "totp":
        step = totp.matching_step(guard.totp_secret, given, at) if guard.totp_secret else None
        return "totp" if step is not None and store.use_totp_step(account.account_id, step) else None
    if not guard.login_code_hash or guard.login_code_expires_at <= at:
        raise second_factor_required(
            factor, "The SMS code has expired or was never sent; log in without a code to get a new one."
        )
    if not store.count_login_code_attempt(account.account_id, guard.login_code_hash, LOGIN_CODE_ATTEMPTS):
        raise second_factor_required(factor, "Too many wrong SMS codes; log in without a code to get a new one.")
    if not hmac.compare_digest(code_hash(account.account_id, given.strip()), guard.login_code_hash):
        return None
    return guard.login_code_hash


LOGIN_CODES_PER_DAY = 10  # sent only to someone who gave the right password


def _send_step_up(account: Account, guard: store.LoginGuard, now: datetime) -> str:
    """The right password was given while the login needs its SMS code: a code to the account's own
    phone, unless one was sent less than a minute ago and is still good. The detail to answer with."""
    at = int(now.timestamp())
    masked = mask_phone(account.phone or "")
    last_sent = guard.login_code_expires_at - LOGIN_CODE_MINUTES * 60 if guard.login_code_expires_at else None
    interval = int(RESEND_INTERVAL.total_seconds())
    if last_sent is not None and at - last_sent < interval and guard.login_code_hash:
        return N_(
            "An SMS code was sent to {phone} less than a minute ago: log in with it and your password.", phone=masked
        )
    period_start, sends = guard.login_code_period_start, guard.login_code_sends
    if at - period_start >= 24 * 3600:
        period_start, sends = at, 0
    if sends >= LOGIN_CODES_PER_DAY:
        raise RateLimited(
            N_("At most {count} login codes a day.", count=LOGIN_CODES_PER_DAY),
            retry_after=max(1, period_start + 24 * 3600 - at),
        )
    code = new_code()
    sms = messages.message(
        f"{account.account_id}#login-code#{at}",
        "verification_code",
        account.phone or "",
        account.lang,
        now,
        {"account_id": account.account_id},
        code=code,
        minutes=LOGIN_CODE_MINUTES,
    )
    store.replace_login_code(
        account.account_id,
        code_hash(account.account_id, code),
        at + LOGIN_CODE_MINUTES * 60,
        sends + 1,
        period_start,
        guard.login_code_sends,
        sms,
    )  # a concurrent login sent one just now: either code is the owner's
    return N_(
        "Too many wrong passwords were tried for this login: an SMS code was sent to {phone}; "
        "log in with it and your password.",
        phone=masked,
    )


def send_login_code(login_name: str, password: str | None, now: datetime, source_ip: str | None = None) -> None:
    """POST /v1/sessions/sms-code: a new SMS login code for whoever gives the right password while the
    login needs one (what logging in without a code does too; a token it would issue is not given).
    For no or a wrong password, a login that needs no code, or one that does not exist, nothing is sent
    and the answer is the same 202: a stranger's request never sends, spends or guesses the owner's
    code. Wrong passwords here are throttled as logins."""
    if not password:
        return
    try:
        login(login_name, password, now, source_ip=source_ip)
    except (Unauthenticated, SmsCodeRequired, TotpCodeRequired):
        return


# ---------------------------------------------------------------- sessions


def logout(caller: tokens.Caller, now: datetime) -> None:
    """DELETE /v1/sessions/current: this token's session id is refused from now on (other sessions
    of the account stay)."""
    store.revoke_session(
        caller.account_id, caller.sid or "", caller.expires_at or int(now.timestamp()), int(now.timestamp())
    )


def change_password(
    caller: tokens.Caller, current_password: str, new_password: str, now: datetime, source_ip: str | None = None
) -> tuple[str, int]:
    """POST /v1/me/password: the current password (throttled as a login from this address) and a new
    one; every token issued before is refused from now on (the account's generation + 1), and the
    answer is a new token for this client."""
    address = client_address(source_ip)
    found = store.get_account_for_login(caller.account_id, address)
    if found is None:
        raise Unauthenticated("The account no longer exists.")
    account, guard = found
    check_password(new_password)
    _reserve_attempt(account, guard, address, int(now.timestamp()))
    try:
        hasher().verify(account.password_hash, current_password or "")
    except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
        store.record_login_failure(account.account_id)
        raise ValidationFailed("The current password is wrong.", field="current_password") from None
    if new_password == current_password:
        raise ValidationFailed("The new password must differ from the current one.", field="new_password")
    generation = store.change_password(account.account_id, account.password_hash, hasher().hash(new_password))
    if generation is None:
        raise ValidationFailed("The password was changed meanwhile; log in again.", field="current_password")
    store.record_login_success(account.account_id, address, 0)
    log.info("password changed: older tokens revoked", extra={"account_id": account.account_id})
    return tokens.issue(
        tokens.Caller(account.account_id, account.role, account.office_id, account.phone_verified, gen=generation), now
    )


def profile(caller: tokens.Caller, now: datetime) -> dict[str, Any]:
    account = store.get_account(caller.account_id)
    if account is None:
        raise Unauthenticated("The account no longer exists.")
    result: dict[str, Any] = {
        # R1: the full number only to an account whose identity the real-name source confirmed
        "account_id": account.account_id,
        "name": account.name,
        "id_number": account.id_number
        if account.identity_verified or not account.id_number
        else mask_id_number(account.id_number),
        "identity_verified": account.identity_verified,
        "phone": account.phone,
        "phone_verified": account.phone_verified,
        "role": account.role,
        "office_id": account.office_id,
        "lang": account.lang,
    }
    if account.role == "citizen" and account.id_number:
        subject = booking_store.get_subject(account.id_number)
        record = subject.record()
        suspension = record.suspension(now)
        result["restrictions"] = {
            "suspended_until": suspension.until.isoformat() if suspension else None,
            "suspension_reason": suspension.reason if suspension else None,
            "cancellations_this_month": record.cancellations_in(now.date()),
            "no_shows_in_six_months": len(record.no_shows_within(now.date())),
            "warnings": [
                {  # R21: what the warning SMS said, while it holds
                    "reason": w.reason,
                    "count": w.count,
                    "limit": w.limit,
                    "last_day": w.last_day.isoformat(),
                    "suspends_until": w.suspends_until.isoformat() if w.suspends_until else None,
                    "message": messages.warning_text(w, account.lang),
                    "detail": translate(w.detail()) or w.detail(),  # in the request's language
                }
                for w in record.warnings(now)
            ],
        }
    return result


def create_staff_account(
    login_name: str,
    password: str,
    role: str,
    name: str,
    office_id: str | None,
    now: datetime,
    totp_secret: str | None = None,
    password_hash: str | None = None,
) -> Account:
    """Staff (of one office), administrators (city-wide) and call-centre operators log in with a login
    name through the same POST /v1/sessions; their token carries the role (and office). `totp_secret`
    (base32, domain.totp.new_secret(); random when not given) is their second factor once their
    login's failure budget is spent: whoever creates the account hands it over as
    domain.totp.provisioning_uri(login_name, secret) for an authenticator app. `password_hash`: the
    password hashed by hasher() already (local mode seeds a dozen logins with one password)."""
    if role not in ("staff", "admin", "operator"):
        raise ValidationFailed("role must be staff, admin or operator", field="role")
    if role == "staff" and not office_id:
        raise ValidationFailed("a staff account belongs to one office", field="office_id")
    account = Account(
        account_id=uuid.uuid4().hex,
        name=name,
        id_number=None,
        phone=None,
        password_hash=password_hash or hasher().hash(password),
        phone_verified=True,
        role=role,
        office_id=office_id if role == "staff" else None,
        lang="zh",
        created_at=now.isoformat(),
    )
    store.register_account(account, [f"LOGIN#{login_name.lower()}"], None, now)
    store.set_totp_secret(account.account_id, totp_secret or totp.new_secret())
    return account
