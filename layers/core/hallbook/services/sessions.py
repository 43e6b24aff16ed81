"""Sessions of a logged-in account: logging out one session, and a password change (which ends every
other session). Tokens themselves are services.tokens."""

from __future__ import annotations

import logging
from datetime import datetime

from ..domain.errors import Unauthenticated, ValidationFailed
from ..store.stores import stores
from . import tokens
from .credentials import argon2_errors, check_password, hasher
from .login import client_address, reserve_attempt

log = logging.getLogger(__name__)


def logout(caller: tokens.Caller, now: datetime) -> None:
    """DELETE /v1/sessions/current: this token's session id is refused from now on (other sessions
    of the account stay)."""
    stores().account_store.revoke_session(
        caller.account_id, caller.sid or "", caller.expires_at or int(now.timestamp()), int(now.timestamp())
    )


def change_password(
    caller: tokens.Caller, current_password: str, new_password: str, now: datetime, source_ip: str | None = None
) -> tuple[str, int]:
    """POST /v1/me/password: the current password (throttled as a login from this address) and a new
    one; every token issued before is refused from now on (the account's generation + 1), and the
    answer is a new token for this client."""
    address = client_address(source_ip)
    accounts = stores().account_store
    found = accounts.get_account_for_login(caller.account_id, address)
    if found is None:
        raise Unauthenticated("The account no longer exists.")
    account, guard = found
    check_password(new_password)
    reserve_attempt(account, guard, address, int(now.timestamp()))
    try:
        hasher().verify(account.password_hash, current_password or "")
    except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
        accounts.record_login_failure(account.account_id)
        raise ValidationFailed("The current password is wrong.", field="current_password") from None
    if new_password == current_password:
        raise ValidationFailed("The new password must differ from the current one.", field="new_password")
    generation = accounts.change_password(account.account_id, account.password_hash, hasher().hash(new_password))
    if generation is None:
        raise ValidationFailed("The password was changed meanwhile; log in again.", field="current_password")
    accounts.record_login_success(account.account_id, address, 0)
    log.info("password changed: older tokens revoked", extra={"account_id": account.account_id})
    return tokens.issue(
        tokens.Caller(account.account_id, account.role, account.office_id, account.phone_verified, gen=generation), now
    )
