"""R1, account life: a forgotten password reset with an SMS code to the verified phone, a
phone change confirmed by a code to the new phone (the old one is told), a lost old phone handled at a
hall with the ID card, and the account's closure under PIPL.

Nothing here tells a stranger who has an account: a reset is answered 202 for every login. Codes are
six digits, valid CODE_MINUTES, tried at most CODE_ATTEMPTS times each (counted before the comparison,
so parallel guesses compare no more). A reset sends at most one code per RESET_INTERVAL while the
last one is still good (a stranger asking again sends nothing new) and RESET_SENDS_PER_DAY a day.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from ..domain import errors
from ..domain.booking import Status
from ..domain.identity import mask_id_number, mask_phone, parse_id_number, parse_phone
from ..i18n import N_
from ..store import account_claims, account_codes, login_throttle
from ..store import accounts as store
from ..store import bookings as booking_store
from ..store.account_codes import Pending
from ..store.accounts import Account
from ..store.audit import entry_item
from ..store.base import Cancelled
from . import audit, messages, tokens
from .credentials import check_password, code_hash, hasher, new_code
from .identity import MISMATCH, get_verifier
from .login import client_address, login_key

log = logging.getLogger(__name__)
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
RESET_INTERVAL = 120  # seconds between two reset codes (while the last is good)
RESET_SENDS_PER_DAY = 8
PHONE_INTERVAL = 60
PHONE_SENDS_PER_DAY = 5
WRONG_CODE = N_("The code is wrong or has expired.")


def _hash(kind: str, account_id: str, code: str) -> str:
    return code_hash(f"{kind}:{account_id}", code)


def _citizen_by_login(login: str, now: datetime) -> Account | None:
    try:
        key = login_key(login, now)
    except errors.ValidationFailed:
        return None
    account_id = store.find_account_id(key)
    account = store.get_account(account_id) if account_id else None
    if account is None or account.role != "citizen" or not account.phone or not account.phone_verified:
        return None
    return account


def _may_send(pending: Pending, at: int, interval: int, per_day: int) -> tuple[int, int] | None:
    """(period start, sends) for a new code, or None when the last one is still good and younger than
    `interval`, or the day's sends are spent (nothing is sent then: the answer does not change)."""
    period_start, sends = pending.period_start, pending.sends
    if at - period_start >= 24 * 3600:
        period_start, sends = at, 0
    last_sent = pending.expires_at - CODE_MINUTES * 60 if pending.expires_at else None
    fresh = pending.code_hash and pending.attempts < CODE_ATTEMPTS and pending.expires_at > at
    if fresh and last_sent is not None and at - last_sent < interval:
        return None
    if sends >= per_day:
        return None
    return period_start, sends


# ---------------------------------------------------------------- password reset


def request_password_reset(login: str, now: datetime, phone: str | None = None) -> None:
    """POST /v1/accounts/password-reset: a code to the verified phone of the citizen `login` names; for
    any other login (unknown, unverified, staff) nothing is sent. The caller answers 202 either way.
    `phone`, the old phone lost: the code goes to this new phone instead, but only when the real-name
    source (the carrier) confirms it is registered to the account's ID number; confirming the reset
    then moves the account to it too."""
    account = _citizen_by_login(login, now)
    if account is None:
        return
    new_phone = None
    if phone:
        new_phone = parse_phone(phone)
        if new_phone == account.phone:
            new_phone = None
        elif _taken_by_other(new_phone, account.account_id, now) or (
            get_verifier().check(account.name, account.id_number or "", new_phone).phone_matches is not True
        ):
            log.info("password reset to a new phone not confirmed", extra={"account_id": account.account_id})
            return
    found = account_codes.get_pending(account.account_id, "reset")
    if found is None:
        return
    _, pending = found
    at = int(now.timestamp())
    allowed = _may_send(pending, at, RESET_INTERVAL, RESET_SENDS_PER_DAY)
    if allowed is None:
        log.info("password reset: no new code sent", extra={"account_id": account.account_id})
        return
    period_start, sends = allowed
    code = new_code()
    sms = messages.message(
        f"{account.account_id}#reset#{at}#{sends + 1}",
        "password_reset_code",
        new_phone or account.phone or "",
        account.lang,
        now,
        {"account_id": account.account_id},
        code=code,
        minutes=CODE_MINUTES,
    )
    account_codes.replace_pending_code(
        account.account_id,
        "reset",
        _hash("reset", account.account_id, code),
        at + CODE_MINUTES * 60,
        sends + 1,
        period_start,
        pending.sends,
        sms,
        phone=new_phone,
    )


def confirm_password_reset(
    login: str, code: str, new_password: str, now: datetime, source_ip: str | None = None
) -> tuple[str, int]:
    """POST /v1/accounts/password-reset/confirm: the code and a new password; every older token is
    refused from now on, and the answer is a new session. Unknown login, no code, a wrong or expired
    code: the same 422 on `code` (429 once five were tried)."""
    check_password(new_password)
    account = _citizen_by_login(login, now)
    found = account_codes.get_pending(account.account_id, "reset") if account else None
    if account is None or found is None or not found[1].code_hash:
        raise errors.ValidationFailed(WRONG_CODE, field="code")
    pending = found[1]
    at = int(now.timestamp())
    if not account_codes.count_pending_attempt(account.account_id, "reset", pending.code_hash or "", CODE_ATTEMPTS):
        raise errors.RateLimited("Too many wrong codes; ask for a new code.", retry_after=RESET_INTERVAL)
    right = hmac.compare_digest(_hash("reset", account.account_id, str(code or "").strip()), pending.code_hash or "")
    if not right or pending.expires_at <= at:
        raise errors.ValidationFailed(WRONG_CODE, field="code")
    notice = messages.message(
        f"{account.account_id}#reset-done#{at}",
        "password_reset_done",
        account.phone or "",
        account.lang,
        now,
        {"account_id": account.account_id},
    )
    if pending.phone:  # the lost phone's case: the carrier confirmed the new one, whose code this is
        entry = audit.entry(
            tokens.Caller(account.account_id, "citizen", None, True),
            "account.phone_change_by_real_name_source",
            f"ACCOUNT#{account.account_id}",
            now,
            before={"phone": mask_phone(account.phone or "")},
            after={"phone": mask_phone(pending.phone)},
        )
        try:
            account_claims.change_phone(
                account,
                pending.phone,
                None,
                _changed_sms(account, pending.phone, now, "实名核验", "real-name check"),
                now,
                lambda tx: tx.put("audit", entry_item(entry)),
            )
        except Cancelled:
            raise errors.InvalidState("The account changed meanwhile; ask for a new code.") from None
        account = store.get_account(account.account_id) or account
        notice = messages.message(
            f"{account.account_id}#reset-done#{at}",
            "password_reset_done",
            account.phone or "",
            account.lang,
            now,
            {"account_id": account.account_id},
        )
    generation = account_codes.reset_password(
        account.account_id, pending.code_hash or "", hasher().hash(new_password), notice
    )
    if generation is None:
        raise errors.ValidationFailed(WRONG_CODE, field="code")
    login_throttle.forget_address_attempts(account.account_id, client_address(source_ip))
    log.info("password reset: older tokens revoked", extra={"account_id": account.account_id})
    return tokens.issue(tokens.Caller(account.account_id, "citizen", None, True, gen=generation), now)


# ---------------------------------------------------------------- phone change


def _me(caller: tokens.Caller) -> Account:
    account = store.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account has a phone to change.")
    return account


def _real_name_allows(account: Account, phone: str) -> None:
    """R1: the carrier (through the real-name source) does not say the phone is someone else's."""
    result = get_verifier().check(account.name, account.id_number or "", phone)
    if result.outcome == MISMATCH or result.phone_matches is False:
        raise errors.ValidationFailed(
            "The real-name record says this phone is registered to someone else.", field="phone"
        )


def _taken_by_other(phone: str, account_id: str, now: datetime) -> bool:
    holder = store.find_account_id(f"PHONE#{phone}")
    if holder is None or holder == account_id:
        return False
    other = store.get_account(holder)
    if other is None or other.phone != phone:
        return False  # a stale claim
    # an unverified registration's claim expires (store.register_account): the new phone may take it
    return other.phone_verified or now - datetime.fromisoformat(other.created_at) < timedelta(
        hours=account_claims.UNVERIFIED_CLAIM_HOURS
    )


def request_phone_change(caller: tokens.Caller, phone: str, now: datetime) -> dict[str, Any]:
    """POST /v1/me/phone: a code to the new phone (one a minute, five a day)."""
    account = _me(caller)
    new_phone = parse_phone(phone)
    if new_phone == account.phone:
        raise errors.ValidationFailed("That is the account's phone already.", field="phone")
    if _taken_by_other(new_phone, account.account_id, now):
        raise errors.PhoneTaken("This phone number already belongs to another account.")
    _real_name_allows(account, new_phone)
    found = account_codes.get_pending(account.account_id, "phone")
    if found is None:
        raise errors.Unauthenticated("The account no longer exists.")
    _, pending = found
    at = int(now.timestamp())
    period_start, sends = pending.period_start, pending.sends
    if at - period_start >= 24 * 3600:
        period_start, sends = at, 0
    last_sent = pending.expires_at - CODE_MINUTES * 60 if pending.expires_at else None
    if sends >= PHONE_SENDS_PER_DAY:
        raise errors.RateLimited(
            N_("At most {count} codes a day.", count=PHONE_SENDS_PER_DAY),
            retry_after=max(1, period_start + 24 * 3600 - at),
        )
    if last_sent is not None and at - last_sent < PHONE_INTERVAL:
        raise errors.RateLimited("A code was sent less than a minute ago.", retry_after=last_sent + PHONE_INTERVAL - at)
    code = new_code()
    sms = messages.message(
        f"{account.account_id}#phone-code#{at}#{sends + 1}",
        "phone_change_code",
        new_phone,
        account.lang,
        now,
        {"account_id": account.account_id},
        code=code,
        minutes=CODE_MINUTES,
    )
    if not account_codes.replace_pending_code(
        account.account_id,
        "phone",
        _hash("phone", account.account_id, f"{new_phone}:{code}"),
        at + CODE_MINUTES * 60,
        sends + 1,
        period_start,
        pending.sends,
        sms,
        phone=new_phone,
    ):
        raise errors.RateLimited("A code was sent just now.", retry_after=PHONE_INTERVAL)
    return {"phone": mask_phone(new_phone), "expires_in": CODE_MINUTES * 60}


def _changed_sms(account: Account, new_phone: str, now: datetime, how_zh: str, how_en: str) -> list[Any]:
    at = int(now.timestamp())
    sms = [
        messages.message(
            f"{account.account_id}#phone-changed-new#{at}",
            "phone_changed_new",
            new_phone,
            account.lang,
            now,
            {"account_id": account.account_id},
            how=how_zh if account.lang == "zh" else how_en,
        )
    ]
    if account.phone and account.phone != new_phone:
        sms.append(
            messages.message(
                f"{account.account_id}#phone-changed-old#{at}",
                "phone_changed_old",
                account.phone,
                account.lang,
                now,
                {"account_id": account.account_id},
                new_phone=mask_phone(new_phone),
            )
        )
    return sms


def confirm_phone_change(caller: tokens.Caller, code: str, now: datetime) -> dict[str, Any]:
    """POST /v1/me/phone/confirm: the code the new phone received; the account moves to it, and the
    old phone is told."""
    account = _me(caller)
    found = account_codes.get_pending(account.account_id, "phone")
    pending = found[1] if found else None
    if pending is None or not pending.code_hash or not pending.phone:
        raise errors.InvalidState("No phone change is waiting; ask for a code first (POST /v1/me/phone).")
    if not account_codes.count_pending_attempt(account.account_id, "phone", pending.code_hash, CODE_ATTEMPTS):
        raise errors.RateLimited("Too many wrong codes; ask for a new code.", retry_after=PHONE_INTERVAL)
    given = _hash("phone", account.account_id, f"{pending.phone}:{str(code or '').strip()}")
    if not hmac.compare_digest(given, pending.code_hash) or pending.expires_at <= int(now.timestamp()):
        raise errors.ValidationFailed(WRONG_CODE, field="code")
    entry = audit.entry(
        caller,
        "account.phone_change",
        f"ACCOUNT#{account.account_id}",
        now,
        before={"phone": mask_phone(account.phone or "")},
        after={"phone": mask_phone(pending.phone)},
    )
    try:
        account_claims.change_phone(
            account,
            pending.phone,
            pending.code_hash,
            _changed_sms(account, pending.phone, now, "短信验证", "SMS code"),
            now,
            lambda tx: tx.put("audit", entry_item(entry)),
        )
    except Cancelled:
        raise errors.InvalidState("The account changed meanwhile; ask for a new code.") from None
    log.info("phone changed", extra={"account_id": account.account_id, "phone": mask_phone(pending.phone)})
    return {"phone": pending.phone, "phone_verified": True}


def hall_change_target(id_number: str, phone: str, now: datetime) -> tuple[Account, str]:
    """The account a hall's phone change is for, and the new phone: NOT_FOUND, PHONE_TAKEN, or 422 when
    the real-name source says the phone is someone else's."""
    person = parse_id_number(id_number, now.date())
    new_phone = parse_phone(phone)
    account_id = store.find_account_id(f"ID#{person.value}")
    account = store.get_account(account_id) if account_id else None
    if account is None or account.role != "citizen" or account.id_number != person.value:
        raise errors.NotFound("No citizen account holds that ID number.")
    if _taken_by_other(new_phone, account.account_id, now):
        raise errors.PhoneTaken("This phone number already belongs to another account.")
    _real_name_allows(account, new_phone)
    return account, new_phone


def change_phone_at_hall(
    staff: tokens.Caller, office_id: str, id_number: str, phone: str, now: datetime
) -> dict[str, Any]:
    """The old phone is lost: staff who saw the ID card move the account to the phone the citizen holds,
    once a second staff member approved it (services.identity_changes; audited, flagged R22). The new
    phone gets an SMS, the old one a notice."""
    account, new_phone = hall_change_target(id_number, phone, now)
    person = parse_id_number(account.id_number or "", now.date())
    entry = audit.entry(
        staff,
        "account.phone_change_at_hall",
        f"ACCOUNT#{account.account_id}",
        now,
        before={"phone": mask_phone(account.phone or "")},
        after={"phone": mask_phone(new_phone), "office_id": office_id, "id_number": mask_id_number(person.value)},
    )
    try:
        account_claims.change_phone(
            account,
            new_phone,
            None,
            _changed_sms(account, new_phone, now, "大厅核验身份证", "ID card checked at a hall"),
            now,
            lambda tx: tx.put("audit", entry_item(entry)),
        )
    except Cancelled:
        raise errors.InvalidState("The account changed meanwhile; try again.") from None
    return {"account_id": account.account_id, "phone": mask_phone(new_phone), "phone_verified": True}


# ---------------------------------------------------------------- closure (PIPL)


def close(caller: tokens.Caller, now: datetime) -> dict[str, int]:
    """DELETE /v1/me: active bookings cancelled (never counted against anyone, the places returning as a
    citizen's cancellation does, R19), waitlist entries left, proxies and guardian links ended, the
    bookings' subjects pseudonymised; then the claims deleted (the ID number and phone can register
    again) and the personal data erased in one transaction with the audit entry. The subject's sanction record (R11, R12) stays with the ID
    number: closing an account does not lift a suspension."""
    from . import guardians, proxies, waitlist
    from .bookings import cancel_booking

    account = _me(caller)
    cancelled = 0
    cursor = None
    while True:
        page, cursor = booking_store.list_for_account(account.account_id, 100, cursor)
        for booking in page:
            if booking.status != Status.BOOKED.value:
                continue
            try:
                cancel_booking(booking, now, by="citizen", reason="账号已注销 / the account was closed", counted=False)
                cancelled += 1
            except errors.DomainError as error:
                log.warning("closure: a booking could not be cancelled", extra={"code": error.code})
        if not cursor:
            break
    for waiting in waitlist.list_entries(caller):
        if waiting.status in ("waiting", "offered"):
            try:
                waitlist.leave(caller, waiting.entry_id, now)
            except errors.DomainError as error:
                log.warning("closure: a waitlist entry could not be left", extra={"code": error.code})
    for authorisation in proxies.my_proxies(caller, now):
        if authorisation.link.status != "revoked":
            try:
                proxies.revoke(caller, authorisation.link.proxy_id, now)
            except errors.DomainError as error:
                log.warning("closure: a proxy could not be ended", extra={"code": error.code})
    for link in guardians.my_links(caller, now):
        own = link.guardians.links.get(account.account_id)
        if own is not None and own.status != "revoked":
            try:
                guardians.revoke_own(caller, link.guardians.minor_id_number, now)
            except errors.DomainError as error:
                log.warning("closure: a guardian link could not be ended", extra={"code": error.code})
    from .. import keyed

    erased = booking_store.pseudonymise_for_account(account.account_id, keyed.pseudonym)
    pseudonym = "closed-" + hashlib.sha256(account.account_id.encode()).hexdigest()[:12]
    entry = audit.entry(
        caller,
        "account.close",
        f"ACCOUNT#{account.account_id}",
        now,
        before={"id_number": mask_id_number(account.id_number or ""), "phone": mask_phone(account.phone or "")},
        after={"cancelled_bookings": cancelled, "bookings_pseudonymised": erased},
    )
    sms = []
    if account.phone:
        sms.append(
            messages.message(
                f"{account.account_id}#closed",
                "account_closed",
                account.phone,
                account.lang,
                now,
                {"account_id": account.account_id},
                bookings=cancelled,
            )
        )
    try:
        account_claims.close_account(account, pseudonym, sms, now, lambda tx: tx.put("audit", entry_item(entry)))
    except Cancelled:
        raise errors.InvalidState("The account changed meanwhile; try again.") from None
    log.info("account closed", extra={"account_id": account.account_id, "cancelled": cancelled})
    return {"cancelled_bookings": cancelled}
