"""The login's second factor, once the password alone is not enough: a citizen's SMS login code (its
attempts counted before it is compared, single use) and staff's TOTP secret (RFC 6238), each time
step good once."""

from __future__ import annotations

from .accounts import AccountItem, update_account, update_with_message
from .outbox import Message


def replace_login_code(
    account_id: str, code_hash: str, expires_at: int, sends: int, period_start: int, sends_before: int, message: Message
) -> bool:
    """A new SMS login code (its attempts start at 0) and its SMS, atomically; False if a concurrent
    send won."""
    return update_with_message(
        account_id,
        [
            AccountItem.login_code_hash.set(code_hash),
            AccountItem.login_code_expires_at.set(expires_at),
            AccountItem.login_code_attempts.set(0),
            AccountItem.login_code_sends.set(sends),
            AccountItem.login_code_period_start.set(period_start),
        ],
        (AccountItem.login_code_sends == sends_before) | AccountItem.login_code_sends.does_not_exist(),
        message,
    )


def count_login_code_attempt(account_id: str, code_hash: str, limit: int) -> bool:
    """One attempt at the SMS login code `code_hash`, counted before it is compared (as
    count_verification_attempt); False when `limit` were counted or the code changed."""
    return update_account(
        account_id,
        [AccountItem.login_code_attempts.add(1)],
        (AccountItem.login_code_hash == code_hash)
        & (AccountItem.login_code_attempts.does_not_exist() | (AccountItem.login_code_attempts < limit)),
    )


def use_login_code(account_id: str, code_hash: str) -> bool:
    """Single use: the code is gone once a login succeeded with it."""
    return update_account(
        account_id,
        [AccountItem.login_code_hash.remove(), AccountItem.login_code_expires_at.remove()],
        AccountItem.login_code_hash == code_hash,
    )


def set_totp_secret(account_id: str, secret: str) -> None:
    update_account(account_id, [AccountItem.totp_secret.set(secret)])


def use_totp_step(account_id: str, step: int) -> bool:
    """A TOTP code is good once: its time step must be later than the last one used."""
    return update_account(
        account_id,
        [AccountItem.totp_last_step.set(step)],
        AccountItem.totp_last_step.does_not_exist() | (AccountItem.totp_last_step < step),
    )
