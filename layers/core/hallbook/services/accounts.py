"""R1: real-name accounts (registration and the phone's verification), the profile, and staff accounts.
Logging in is services.login; sessions and password changes services.sessions."""

from __future__ import annotations

import hmac
import logging
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from ..domain import totp
from ..domain.errors import DomainError, RateLimited, Unauthenticated, ValidationFailed
from ..domain.identity import mask_id_number, mask_phone, parse_id_number, parse_name, parse_phone
from ..domain.ratelimit import DAY_SECONDS, DailyQuota, Period, Rate, retry_after
from ..domain.sanctions import month_key
from ..i18n import N_, translate
from ..store.accounts import Account
from ..store.stores import stores
from . import flags, identity, messages, tokens
from .credentials import RESEND_INTERVAL, check_password, code_hash, hasher, new_code

log = logging.getLogger(__name__)
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
CODE_QUOTA = DailyQuota(5)  # verification codes to one registration's phone
CODE_DAY = timedelta(seconds=DAY_SECONDS)


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
    stores().account_store.register_account(account, [f"ID#{person.value}", f"PHONE#{phone}"], sms, now)
    log.info("account registered", extra={"account_id": account_id, "phone": mask_phone(phone)})
    flags.registered(phone, person.value, account_id, now)  # R22
    return account


def _account_by_id_number(id_number: str, now: datetime) -> Account | None:
    person = parse_id_number(id_number, now.date())
    accounts = stores().account_store
    account_id = accounts.find_account_id(f"ID#{person.value}")
    account = accounts.get_account(account_id) if account_id else None
    return account if account is not None and account.id_number == person.value else None


WRONG_CODE = N_("The code is wrong or has expired.")
STRANGER_RATE = Rate(CODE_ATTEMPTS, CODE_MINUTES * 60)  # wrong codes for an ID number with no code waiting
STRANGER_RESEND_RATE = Rate(1, 60)  # the "one a minute" a real registration would answer


def _no_code_here(id_number: str, now: datetime) -> DomainError:
    """An ID number without an account waiting for a code (none, or verified already) is
    answered as a wrong code is, and throttled as one: CODE_ATTEMPTS a CODE_MINUTES period per number,
    then 429 with the wait a resend would have."""
    period = Period(STRANGER_RATE, now.timestamp())
    if not stores().account_store.spend_stranger_attempt(
        "verify_stranger", id_number, period.index, STRANGER_RATE.count, period.ends_at
    ):
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
    accounts = stores().account_store
    if not accounts.count_verification_attempt(account.account_id, account.code_hash, CODE_ATTEMPTS):
        current = accounts.get_account(account.account_id) or account
        if current.phone_verified:
            raise _no_code_here(person.value, now)
        if current.code_hash != account.code_hash:  # a new code was sent meanwhile: try against that one
            return verify_phone(id_number, code, now)
        raise RateLimited("Too many wrong codes; ask for a new code.", retry_after=_resend_wait(current, now))
    if not hmac.compare_digest(code_hash(account.account_id, str(code or "").strip()), account.code_hash):
        raise ValidationFailed(WRONG_CODE, field="code")
    if not accounts.mark_phone_verified(account, account.code_hash):
        raise ValidationFailed(WRONG_CODE, field="code")
    return accounts.get_account(account.account_id) or account


def _resend_wait(account: Account, now: datetime) -> int:
    """Seconds until resend_code would send a new code (at least 1)."""
    period_start = datetime.fromisoformat(account.code_period_start) if account.code_period_start else now
    if now - period_start >= CODE_DAY:
        return 1
    if CODE_QUOTA.spent(account.code_sends):
        return _seconds(period_start + CODE_DAY - now)
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
        period = Period(STRANGER_RESEND_RATE, now.timestamp())
        number = parse_id_number(id_number, now.date()).value
        if not stores().account_store.spend_stranger_attempt(
            "resend_stranger", number, period.index, STRANGER_RESEND_RATE.count, period.ends_at
        ):
            raise RateLimited("A code was sent recently; wait a minute.", retry_after=retry_after(period.wait))
        return
    period_start = datetime.fromisoformat(account.code_period_start) if account.code_period_start else now
    sends = account.code_sends
    if now - period_start >= CODE_DAY:
        period_start, sends = now, 0
    last_sent = (
        datetime.fromisoformat(account.code_expires_at) - timedelta(minutes=CODE_MINUTES)
        if account.code_expires_at
        else None
    )
    if CODE_QUOTA.spent(sends) or (last_sent and now - last_sent < RESEND_INTERVAL):
        raise RateLimited(
            N_("A code was sent recently; wait a minute (at most {count} codes a day).", count=CODE_QUOTA.count),
            retry_after=_resend_wait(account, now),
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
    if not stores().account_store.replace_code(
        account.account_id,
        code_hash(account.account_id, code),
        (now + timedelta(minutes=CODE_MINUTES)).isoformat(),
        sends + 1,
        period_start.isoformat(),
        account.code_sends,
        sms,
    ):
        raise RateLimited("A code was sent just now.", retry_after=int(RESEND_INTERVAL.total_seconds()))


def profile(caller: tokens.Caller, now: datetime) -> dict[str, Any]:
    account = stores().account_store.get_account(caller.account_id)
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
        subject = stores().bookings.get_subject(account.id_number)
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
    accounts = stores().account_store
    accounts.register_account(account, [f"LOGIN#{login_name.lower()}"], None, now)
    accounts.set_totp_secret(account.account_id, totp_secret or totp.new_secret())
    return account
