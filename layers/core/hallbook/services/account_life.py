"""R1, account life: a forgotten password reset with an SMS code to the verified phone, a
phone change confirmed by a code to the new phone (the old one is told), a lost old phone handled at a
hall with the ID card (services.phone_change), and the account's closure under PIPL (services.closure).
This module holds what they share and the password reset.

Nothing here tells a stranger who has an account: a reset is answered 202 for every login. Codes are
six digits, valid CODE_MINUTES, tried at most CODE_ATTEMPTS times each (counted before the comparison,
so parallel guesses compare no more). A reset sends at most one code per RESET_INTERVAL while the
last one is still good (a stranger asking again sends nothing new) and RESET_QUOTA.count a day.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from ..domain import errors
from ..domain.identity import mask_phone, parse_phone
from ..domain.ratelimit import DailyQuota
from ..i18n import N_
from ..store.account_claims import UNVERIFIED_CLAIM_HOURS
from ..store.account_codes import Pending
from ..store.accounts import Account
from ..store.base import Cancelled
from ..store.stores import stores
from . import audit, messages, tokens
from .credentials import check_password, code_hash, hasher, new_code
from .identity import get_verifier
from .login import client_address, login_key

log = logging.getLogger(__name__)
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
RESET_INTERVAL = 120  # seconds between two reset codes (while the last is good)
RESET_QUOTA = DailyQuota(8)
PHONE_INTERVAL = 60
PHONE_QUOTA = DailyQuota(5)
WRONG_CODE = N_("The code is wrong or has expired.")


def pending_code_hash(kind: str, account_id: str, code: str) -> str:
    return code_hash(f"{kind}:{account_id}", code)


def _citizen_by_login(login: str, now: datetime) -> Account | None:
    try:
        key = login_key(login, now)
    except errors.ValidationFailed:
        return None
    accounts = stores().account_store
    account_id = accounts.find_account_id(key)
    account = accounts.get_account(account_id) if account_id else None
    if account is None or account.role != "citizen" or not account.phone or not account.phone_verified:
        return None
    return account


def may_send(pending: Pending, at: int, interval: int, quota: DailyQuota) -> tuple[int, int] | None:
    """(period start, sends) for a new code, or None when the last one is still good and younger than
    `interval`, or the day's sends are spent (nothing is sent then: the answer does not change)."""
    period_start, sends = quota.day(pending.period_start, pending.sends, at)
    last_sent = pending.expires_at - CODE_MINUTES * 60 if pending.expires_at else None
    fresh = pending.code_hash and pending.attempts < CODE_ATTEMPTS and pending.expires_at > at
    if fresh and last_sent is not None and at - last_sent < interval:
        return None
    if quota.spent(sends):
        return None
    return period_start, sends


def own_citizen_account(caller: tokens.Caller) -> Account:
    account = stores().account_store.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account has a phone to change.")
    return account


def phone_taken_by_other(phone: str, account_id: str, now: datetime) -> bool:
    accounts = stores().account_store
    holder = accounts.find_account_id(f"PHONE#{phone}")
    if holder is None or holder == account_id:
        return False
    other = accounts.get_account(holder)
    if other is None or other.phone != phone:
        return False  # a stale claim
    # an unverified registration's claim expires (store.register_account): the new phone may take it
    return other.phone_verified or now - datetime.fromisoformat(other.created_at) < timedelta(
        hours=UNVERIFIED_CLAIM_HOURS
    )


def phone_changed_sms(account: Account, new_phone: str, now: datetime, how_zh: str, how_en: str) -> list[Any]:
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
        elif phone_taken_by_other(new_phone, account.account_id, now) or (
            get_verifier().check(account.name, account.id_number or "", new_phone).phone_matches is not True
        ):
            log.info("password reset to a new phone not confirmed", extra={"account_id": account.account_id})
            return
    accounts = stores().account_store
    found = accounts.get_pending(account.account_id, "reset")
    if found is None:
        return
    _, pending = found
    at = int(now.timestamp())
    allowed = may_send(pending, at, RESET_INTERVAL, RESET_QUOTA)
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
    accounts.replace_pending_code(
        account.account_id,
        "reset",
        pending_code_hash("reset", account.account_id, code),
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
    accounts = stores().account_store
    found = accounts.get_pending(account.account_id, "reset") if account else None
    if account is None or found is None or not found[1].code_hash:
        raise errors.ValidationFailed(WRONG_CODE, field="code")
    pending = found[1]
    at = int(now.timestamp())
    if not accounts.count_pending_attempt(account.account_id, "reset", pending.code_hash or "", CODE_ATTEMPTS):
        raise errors.RateLimited("Too many wrong codes; ask for a new code.", retry_after=RESET_INTERVAL)
    right = hmac.compare_digest(
        pending_code_hash("reset", account.account_id, str(code or "").strip()), pending.code_hash or ""
    )
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
            accounts.change_phone(
                account,
                pending.phone,
                None,
                phone_changed_sms(account, pending.phone, now, "实名核验", "real-name check"),
                now,
                entry,
            )
        except Cancelled:
            raise errors.InvalidState("The account changed meanwhile; ask for a new code.") from None
        account = accounts.get_account(account.account_id) or account
        notice = messages.message(
            f"{account.account_id}#reset-done#{at}",
            "password_reset_done",
            account.phone or "",
            account.lang,
            now,
            {"account_id": account.account_id},
        )
    generation = accounts.reset_password(
        account.account_id, pending.code_hash or "", hasher().hash(new_password), notice
    )
    if generation is None:
        raise errors.ValidationFailed(WRONG_CODE, field="code")
    accounts.forget_address_attempts(account.account_id, client_address(source_ip))
    log.info("password reset: older tokens revoked", extra={"account_id": account.account_id})
    return tokens.issue(tokens.Caller(account.account_id, "citizen", None, True, gen=generation), now)
