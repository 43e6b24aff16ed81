"""R1, a phone change: confirmed by a code sent to the new phone (the old one is told), or made at a
hall with the ID card when the old phone is lost. The real-name source must not say the new phone is
someone else's, and a phone another account holds is refused."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any

from ..domain import errors
from ..domain.identity import mask_id_number, mask_phone, parse_id_number, parse_phone
from ..i18n import N_
from ..store.accounts import Account
from ..store.base import Cancelled
from ..store.stores import stores
from . import audit, messages, tokens
from .account_life import (
    CODE_ATTEMPTS,
    CODE_MINUTES,
    PHONE_INTERVAL,
    PHONE_QUOTA,
    WRONG_CODE,
    own_citizen_account,
    pending_code_hash,
    phone_changed_sms,
    phone_taken_by_other,
)
from .credentials import new_code
from .identity import MISMATCH, get_verifier

log = logging.getLogger(__name__)


def _real_name_allows(account: Account, phone: str) -> None:
    """R1: the carrier (through the real-name source) does not say the phone is someone else's."""
    result = get_verifier().check(account.name, account.id_number or "", phone)
    if result.outcome == MISMATCH or result.phone_matches is False:
        raise errors.ValidationFailed(
            "The real-name record says this phone is registered to someone else.", field="phone"
        )


def request_phone_change(caller: tokens.Caller, phone: str, now: datetime) -> dict[str, Any]:
    """POST /v1/me/phone: a code to the new phone (one a minute, five a day)."""
    account = own_citizen_account(caller)
    new_phone = parse_phone(phone)
    if new_phone == account.phone:
        raise errors.ValidationFailed("That is the account's phone already.", field="phone")
    if phone_taken_by_other(new_phone, account.account_id, now):
        raise errors.PhoneTaken("This phone number already belongs to another account.")
    _real_name_allows(account, new_phone)
    accounts = stores().account_store
    found = accounts.get_pending(account.account_id, "phone")
    if found is None:
        raise errors.Unauthenticated("The account no longer exists.")
    _, pending = found
    at = int(now.timestamp())
    period_start, sends = PHONE_QUOTA.day(pending.period_start, pending.sends, at)
    last_sent = pending.expires_at - CODE_MINUTES * 60 if pending.expires_at else None
    if PHONE_QUOTA.spent(sends):
        raise errors.RateLimited(
            N_("At most {count} codes a day.", count=PHONE_QUOTA.count),
            retry_after=max(1, PHONE_QUOTA.wait(period_start, at)),
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
    if not accounts.replace_pending_code(
        account.account_id,
        "phone",
        pending_code_hash("phone", account.account_id, f"{new_phone}:{code}"),
        at + CODE_MINUTES * 60,
        sends + 1,
        period_start,
        pending.sends,
        sms,
        phone=new_phone,
    ):
        raise errors.RateLimited("A code was sent just now.", retry_after=PHONE_INTERVAL)
    return {"phone": mask_phone(new_phone), "expires_in": CODE_MINUTES * 60}


def confirm_phone_change(caller: tokens.Caller, code: str, now: datetime) -> dict[str, Any]:
    """POST /v1/me/phone/confirm: the code the new phone received; the account moves to it, and the
    old phone is told."""
    account = own_citizen_account(caller)
    accounts = stores().account_store
    found = accounts.get_pending(account.account_id, "phone")
    pending = found[1] if found else None
    if pending is None or not pending.code_hash or not pending.phone:
        raise errors.InvalidState("No phone change is waiting; ask for a code first (POST /v1/me/phone).")
    if not accounts.count_pending_attempt(account.account_id, "phone", pending.code_hash, CODE_ATTEMPTS):
        raise errors.RateLimited("Too many wrong codes; ask for a new code.", retry_after=PHONE_INTERVAL)
    given = pending_code_hash("phone", account.account_id, f"{pending.phone}:{str(code or '').strip()}")
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
        accounts.change_phone(
            account,
            pending.phone,
            pending.code_hash,
            phone_changed_sms(account, pending.phone, now, "短信验证", "SMS code"),
            now,
            entry,
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
    accounts = stores().account_store
    account_id = accounts.find_account_id(f"ID#{person.value}")
    account = accounts.get_account(account_id) if account_id else None
    if account is None or account.role != "citizen" or account.id_number != person.value:
        raise errors.NotFound("No citizen account holds that ID number.")
    if phone_taken_by_other(new_phone, account.account_id, now):
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
        stores().account_store.change_phone(
            account,
            new_phone,
            None,
            phone_changed_sms(account, new_phone, now, "大厅核验身份证", "ID card checked at a hall"),
            now,
            entry,
        )
    except Cancelled:
        raise errors.InvalidState("The account changed meanwhile; try again.") from None
    return {"account_id": account.account_id, "phone": mask_phone(new_phone), "phone_verified": True}
