"""R1: real-name accounts, SMS verification and login."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.errors import NotFound, RateLimited, Unauthenticated, ValidationFailed
from ..domain.identity import mask_phone, parse_id_number, parse_name, parse_phone
from ..domain.sanctions import month_key
from ..store import accounts as store
from ..store import bookings as booking_store
from ..store.accounts import Account
from . import messages, tokens

log = logging.getLogger(__name__)

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
SENDS_PER_DAY = 5
LOGIN_FAILURES_BEFORE_LOCK = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    import os

    if os.environ.get("HALLBOOK_FAST_HASH") == "1":  # tests and the benchmark only
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def code_hash(account_id: str, code: str) -> str:
    return hashlib.sha256(f"{account_id}:{code}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 128:
        raise ValidationFailed(f"password must be {MIN_PASSWORD} to 128 characters", field="password")
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
    account_id = uuid.uuid4().hex
    code = new_code()
    account = Account(
        account_id=account_id, name=name, id_number=person.value, phone=phone,
        password_hash=hasher().hash(password), phone_verified=False, role="citizen", office_id=None,
        lang=lang, created_at=now.isoformat(), code_hash=code_hash(account_id, code),
        code_expires_at=(now + timedelta(minutes=CODE_MINUTES)).isoformat(), code_sends=1,
        code_window_start=now.isoformat(),
    )
    sms = messages.message(f"{account_id}#code#1", "verification_code", phone, lang, now,
                           {"account_id": account_id}, code=code, minutes=CODE_MINUTES)
    store.register_account(account, [f"ID#{person.value}", f"PHONE#{phone}"], sms, now)
    log.info("account registered", extra={"account_id": account_id, "phone": mask_phone(phone)})
    return account


def _account_by_id_number(id_number: str, now: datetime) -> Account:
    person = parse_id_number(id_number, now.date())
    account_id = store.find_account_id(f"ID#{person.value}")
    account = store.get_account(account_id) if account_id else None
    if account is None:
        raise NotFound("No account with that ID number.")
    return account


def verify_phone(id_number: str, code: str, now: datetime) -> Account:
    account = _account_by_id_number(id_number, now)
    if account.phone_verified:
        return account
    if account.code_attempts >= CODE_ATTEMPTS:
        raise RateLimited("Too many wrong codes; ask for a new code.")
    if not account.code_hash or not account.code_expires_at or datetime.fromisoformat(account.code_expires_at) <= now:
        raise ValidationFailed("The code has expired; ask for a new code.", field="code")
    if not hmac.compare_digest(code_hash(account.account_id, str(code or "").strip()), account.code_hash):
        if not store.record_code_attempt(account.account_id, account.code_attempts):
            raise RateLimited("Too many attempts at once; try again.")
        raise ValidationFailed("The code is wrong.", field="code")
    if not store.mark_phone_verified(account, account.code_hash):
        raise ValidationFailed("The code was already used, or this registration was left unverified for "
                               f"{store.UNVERIFIED_CLAIM_HOURS} hours and its phone taken by a new one.", field="code")
    return store.get_account(account.account_id) or account


def resend_code(id_number: str, now: datetime) -> None:
    account = _account_by_id_number(id_number, now)
    if account.phone_verified:
        raise ValidationFailed("The phone is already verified.", field="id_number")
    window_start = datetime.fromisoformat(account.code_window_start) if account.code_window_start else now
    sends = account.code_sends
    if now - window_start >= timedelta(days=1):
        window_start, sends = now, 0
    last_sent = datetime.fromisoformat(account.code_expires_at) - timedelta(minutes=CODE_MINUTES) \
        if account.code_expires_at else None
    if sends >= SENDS_PER_DAY or (last_sent and now - last_sent < RESEND_INTERVAL):
        raise RateLimited("A code was sent recently; wait a minute (at most 5 codes a day).")
    code = new_code()
    sms = messages.message(f"{account.account_id}#code#{month_key(now.date())}-{now.timestamp():.0f}",
                           "verification_code", account.phone or "", account.lang, now,
                           {"account_id": account.account_id}, code=code, minutes=CODE_MINUTES)
    if not store.replace_code(account.account_id, code_hash(account.account_id, code),
                              (now + timedelta(minutes=CODE_MINUTES)).isoformat(), sends + 1,
                              window_start.isoformat(), account.code_sends, sms):
        raise RateLimited("A code was sent just now.")


def login_key(login: str, now: datetime) -> str:
    login = (login or "").strip()
    if len(login) == 18 and login[:17].isdigit():
        return f"ID#{parse_id_number(login, now.date()).value}"
    digits = login.replace(" ", "").replace("-", "")
    if digits.lstrip("+").isdigit():
        return f"PHONE#{parse_phone(digits)}"
    return f"LOGIN#{login.lower()}"


def login(login: str, password: str, now: datetime) -> tuple[str, int]:
    """A session token. Wrong passwords are counted per account; after five the account's logins
    are locked for 15 minutes, so guessing costs time (answered 429 RATE_LIMITED)."""
    try:
        key = login_key(login, now)
    except ValidationFailed:
        raise Unauthenticated("Wrong login or password.") from None
    account_id = store.find_account_id(key)
    account = store.get_account(account_id) if account_id else None
    if account is None:
        hasher().hash("timing-equaliser")  # no account: cost the same as a wrong password
        raise Unauthenticated("Wrong login or password.")
    if account.locked_until and datetime.fromisoformat(account.locked_until) > now:
        raise RateLimited(f"Too many wrong passwords; try again after {account.locked_until}.")
    try:
        hasher().verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        failures = account.login_failures + 1
        locked = (now + timedelta(minutes=LOCK_MINUTES * (failures // LOGIN_FAILURES_BEFORE_LOCK))).isoformat() \
            if failures % LOGIN_FAILURES_BEFORE_LOCK == 0 else None
        store.record_login_failure(account.account_id, failures, locked)
        raise Unauthenticated("Wrong login or password.") from None
    if account.login_failures or account.locked_until:
        store.record_login_success(account.account_id)
    caller = tokens.Caller(account.account_id, account.role, account.office_id, account.phone_verified)
    return tokens.issue(caller, now)


def profile(caller: tokens.Caller, now: datetime) -> dict:
    account = store.get_account(caller.account_id)
    if account is None:
        raise Unauthenticated("The account no longer exists.")
    result = {
        "account_id": account.account_id, "name": account.name, "id_number": account.id_number,
        "phone": account.phone, "phone_verified": account.phone_verified, "role": account.role,
        "office_id": account.office_id, "lang": account.lang,
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
        }
    return result


def create_staff_account(login_name: str, password: str, role: str, name: str, office_id: str | None,
                         now: datetime) -> Account:
    """Staff (of one office), administrators (city-wide) and call-centre operators log in with a login
    name through the same POST /v1/sessions; their token carries the role (and office)."""
    if role not in ("staff", "admin", "operator"):
        raise ValidationFailed("role must be staff, admin or operator", field="role")
    if role == "staff" and not office_id:
        raise ValidationFailed("a staff account belongs to one office", field="office_id")
    account = Account(
        account_id=uuid.uuid4().hex, name=name, id_number=None, phone=None, password_hash=hasher().hash(password),
        phone_verified=True, role=role, office_id=office_id if role == "staff" else None, lang="zh",
        created_at=now.isoformat(),
    )
    store.register_account(account, [f"LOGIN#{login_name.lower()}"], None, now)
    return account
