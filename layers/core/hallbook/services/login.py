"""R1: logging in with a password, throttled so that the guesser is slowed and the owner is not, with
a second factor (an SMS code, or TOTP for staff) once a login's failure budget is spent."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import unicodedata
from datetime import datetime

from ..domain import totp
from ..domain.errors import (
    DomainError,
    RateLimited,
    SmsCodeRequired,
    TotpCodeRequired,
    Unauthenticated,
    ValidationFailed,
)
from ..domain.identity import mask_phone, parse_id_number, parse_phone
from ..domain.login import (
    BACKOFF,
    BUDGET,
    LOGIN_CODE_ATTEMPTS,
    LOGIN_CODE_MINUTES,
    LOGIN_CODE_QUOTA,
    SECOND_FACTOR_HOURS,
)
from ..i18n import N_
from ..store.accounts import Account
from ..store.login_throttle import LoginGuard
from ..store.stores import stores
from . import messages, tokens
from .credentials import RESEND_INTERVAL, argon2_errors, code_hash, hasher, new_code

log = logging.getLogger(__name__)


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


def _find_login(login: str, now: datetime, address: str | None = None) -> tuple[Account, LoginGuard] | None:
    try:
        key = login_key(login, now)
    except ValidationFailed:
        return None
    accounts = stores().account_store
    account_id = accounts.find_account_id(key)
    return accounts.get_account_for_login(account_id, address) if account_id else None


def _stranger_key(login: str, now: datetime) -> str:
    """What an unknown login string is throttled by (the same back-off as an account's, so
    the answers never tell a stranger whether a login exists): a hash of its canonical form (R1: the
    full-width and ASCII writings of one number share one back-off), else of its folded form."""
    try:
        key = login_key(login, now)
    except ValidationFailed:
        key = unicodedata.normalize("NFKC", login if isinstance(login, str) else "").strip().lower()
    return "LOGIN-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def reserve_attempt(account: Account, guard: LoginGuard, address: str, at: int) -> None:
    """Counts this attempt from `address`, or refuses it (429 with the real wait) while the address
    must wait: then nothing is written, so hammering during a wait costs the guesser and not us."""
    _reserve(account.account_id, guard.address_seen, address, at)


def _reserve(throttled: str, seen: tuple[int, int] | None, address: str, at: int) -> None:
    wait = BACKOFF.wait(*seen, at) if seen else 0
    if not wait:
        wait = stores().account_store.reserve_address_attempt(throttled, address, at, BACKOFF, seen)
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
    accounts = stores().account_store
    found = _find_login(login, now, address)
    if found is None:
        _reserve(_stranger_key(login, now), None, address, at)  # the back-off an account would have
        hasher().hash("timing-equaliser")  # no account: cost the same as a wrong password
        raise Unauthenticated("Wrong login or password.")
    account, guard = found
    factor = _factor(account)
    given = (sms_code if factor == "sms" else totp_code) or None
    guarded = guard.second_factor_until > at
    reserve_attempt(account, guard, address, at)
    reserved = None
    if not guarded:
        reserved = accounts.reserve_login_budget(account.account_id, at, BUDGET)
        if reserved is None:  # spent (by failures that raced this one's read)
            _require_second_factor(account, at)
            guarded = True
    try:
        hasher().verify(account.password_hash, password or "")
    except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
        if reserved is None:
            accounts.record_login_failure(account.account_id)  # else its budget unit counted it already
        elif BUDGET.spent(reserved, at):
            _require_second_factor(account, at)  # this failure emptied the budget
        raise Unauthenticated("Wrong login or password.") from None
    used_code = None
    if guarded:  # the password is right: the step-up, to the owner's own phone or authenticator
        accounts.forget_address_attempts(account.account_id, address)
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
    if factor == "sms" and used_code and not accounts.use_login_code(account.account_id, used_code):
        raise second_factor_required(factor, "That SMS code was just used; log in without a code to get a new one.")
    accounts.record_login_success(account.account_id, address, BUDGET.interval if reserved is not None else 0)
    caller = tokens.Caller(
        account.account_id, account.role, account.office_id, account.phone_verified, gen=guard.token_gen
    )
    return tokens.issue(caller, now)


def _require_second_factor(account: Account, at: int) -> None:
    stores().account_store.require_second_factor(account.account_id, at + SECOND_FACTOR_HOURS * 3600)
    log.warning(
        "login failure budget spent: second factor required for %s hours",
        SECOND_FACTOR_HOURS,
        extra={"account_id": account.account_id},
    )


def _check_second_factor(account: Account, guard: LoginGuard, factor: str, given: str, now: datetime) -> str | None:
    """The second factor is right: the SMS code's hash or "totp"; None when it is not. Only called
    after the right password. The SMS code's attempt is counted before it is compared
    (LOGIN_CODE_ATTEMPTS per code); a TOTP code is good once."""
    at = int(now.timestamp())
    if factor == "totp":
        step = totp.matching_step(guard.totp_secret, given, at) if guard.totp_secret else None
        return "totp" if step is not None and stores().account_store.use_totp_step(account.account_id, step) else None
    if not guard.login_code_hash or guard.login_code_expires_at <= at:
        raise second_factor_required(
            factor, "The SMS code has expired or was never sent; log in without a code to get a new one."
        )
    if not stores().account_store.count_login_code_attempt(
        account.account_id, guard.login_code_hash, LOGIN_CODE_ATTEMPTS
    ):
        raise second_factor_required(factor, "Too many wrong SMS codes; log in without a code to get a new one.")
    if not hmac.compare_digest(code_hash(account.account_id, given.strip()), guard.login_code_hash):
        return None
    return guard.login_code_hash


def _send_step_up(account: Account, guard: LoginGuard, now: datetime) -> str:
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
    period_start, sends = LOGIN_CODE_QUOTA.day(guard.login_code_period_start, guard.login_code_sends, at)
    if LOGIN_CODE_QUOTA.spent(sends):
        raise RateLimited(
            N_("At most {count} login codes a day.", count=LOGIN_CODE_QUOTA.count),
            retry_after=max(1, LOGIN_CODE_QUOTA.wait(period_start, at)),
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
    stores().account_store.replace_login_code(
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
