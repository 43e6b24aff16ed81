"""One-time codes kept on the account (epoch seconds or ISO instants as each was first written): the
registration's verification code, a reclaimed account's first-password code, and account life's
pending codes (a password reset's, a phone change's). Every attempt is counted by an atomic
conditional ADD BEFORE the code is compared, so parallel guesses compare at most the limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .accounts import Account, AccountItem, account_key, account_of, update_account, update_with_message
from .outbox import Message
from .sessions import forget_token_state


def count_verification_attempt(account_id: str, code_hash: str, limit: int) -> bool:
    """Count one verification attempt against the code `code_hash`, BEFORE it is compared: one atomic
    ADD, allowed while fewer than `limit` were counted for that code. False (nothing counted) when the
    limit is reached or the code is no longer the account's: N parallel attempts count exactly
    min(N, limit), so at most `limit` codes are ever compared."""
    return update_account(
        account_id,
        [AccountItem.code_attempts.add(1)],
        (AccountItem.code_hash == code_hash)
        & (AccountItem.code_attempts.does_not_exist() | (AccountItem.code_attempts < limit)),
    )


def replace_code(
    account_id: str, code_hash: str, expires_at: str, sends: int, period_start: str, sends_before: int, message: Message
) -> bool:
    """A new verification code and its SMS, atomically; False if a concurrent resend won."""
    return update_with_message(
        account_id,
        [
            AccountItem.code_hash.set(code_hash),
            AccountItem.code_expires_at.set(expires_at),
            AccountItem.code_attempts.set(0),
            AccountItem.code_sends.set(sends),
            AccountItem.code_period_start.set(period_start),
        ],
        (AccountItem.code_sends == sends_before) | AccountItem.code_sends.does_not_exist(),
        message,
    )


def count_code_attempt(account_id: str, limit: int) -> bool:
    """Count one attempt at the account's code before it is compared (atomic: ADD under the
    condition that fewer than `limit` were counted); False once `limit` attempts were made."""
    return update_account(
        account_id,
        [AccountItem.code_attempts.add(1)],
        AccountItem.code_attempts.does_not_exist() | (AccountItem.code_attempts < limit),
    )


def set_first_password(account: Account, code_hash: str, password_hash: str) -> bool:
    """A reclaimed account's first password, once, with the code sent to its phone (which that verifies)."""
    return update_account(
        account.account_id,
        [
            AccountItem.password_hash.set(password_hash),
            AccountItem.phone_verified.set(True),
            AccountItem.code_hash.remove(),
            AccountItem.code_expires_at.remove(),
            AccountItem.code_attempts.set(0),
        ],
        (AccountItem.code_hash == code_hash) & (AccountItem.password_hash == ""),
    )


@dataclass(frozen=True)
class Pending:
    """A code waiting on the account (a password reset's, or a phone change's), epoch seconds."""

    code_hash: str | None
    expires_at: int
    attempts: int
    sends: int
    period_start: int
    phone: str | None = None  # a phone change: the new phone


def _pending(item: AccountItem, kind: str) -> Pending:
    get = lambda name: getattr(item, f"{kind}_code_{name}", None)  # noqa: E731
    return Pending(
        get("hash"),
        int(get("expires_at") or 0),
        int(get("attempts") or 0),
        int(get("sends") or 0),
        int(get("period_start") or 0),
        item.pending_phone if kind == "phone" else item.reset_phone,
    )


def get_pending(account_id: str, kind: str) -> tuple[Account, Pending] | None:
    """The account and its `kind` ("reset" or "phone") code, read consistently."""
    try:
        item = AccountItem.get(account_key(account_id), consistent_read=True)
    except AccountItem.DoesNotExist:
        return None
    return account_of(item), _pending(item, kind)


def _attr(kind: str, name: str) -> Any:
    return getattr(AccountItem, f"{kind}_code_{name}")


def replace_pending_code(
    account_id: str,
    kind: str,
    code_hash: str,
    expires_at: int,
    sends: int,
    period_start: int,
    sends_before: int,
    message: Message,
    phone: str | None = None,
) -> bool:
    """A new `kind` code (its attempts at 0) and its SMS, atomically; False if a concurrent send won."""
    actions = [
        _attr(kind, "hash").set(code_hash),
        _attr(kind, "expires_at").set(expires_at),
        _attr(kind, "attempts").set(0),
        _attr(kind, "sends").set(sends),
        _attr(kind, "period_start").set(period_start),
    ]
    if kind == "phone" and phone:
        actions.append(AccountItem.pending_phone.set(phone))
    elif kind == "reset":
        actions.append(AccountItem.reset_phone.set(phone) if phone else AccountItem.reset_phone.remove())
    return update_with_message(
        account_id,
        actions,
        (_attr(kind, "sends") == sends_before) | _attr(kind, "sends").does_not_exist(),
        message,
    )


def count_pending_attempt(account_id: str, kind: str, code_hash: str, limit: int) -> bool:
    """One attempt at the `kind` code, counted BEFORE it is compared (at most `limit` per code)."""
    return update_account(
        account_id,
        [_attr(kind, "attempts").add(1)],
        (_attr(kind, "hash") == code_hash)
        & (_attr(kind, "attempts").does_not_exist() | (_attr(kind, "attempts") < limit)),
    )


def reset_password(account_id: str, code_hash: str, password_hash: str, message: Message) -> int | None:
    """The reset code's new password, once: the generation + 1 (every older token refused), the code
    gone, the login's throttle forgotten (the owner just proved the phone); the new generation or None."""
    actions = [
        AccountItem.password_hash.set(password_hash),
        AccountItem.token_gen.add(1),
        AccountItem.reset_code_hash.remove(),
        AccountItem.reset_code_expires_at.remove(),
        AccountItem.second_factor_until.remove(),
        AccountItem.login_tat.remove(),
        AccountItem.login_failures.set(0),
    ]
    try:
        if not update_with_message(account_id, actions, AccountItem.reset_code_hash == code_hash, message):
            return None
    finally:
        forget_token_state(account_id)
    item = AccountItem.get(account_key(account_id), consistent_read=True, attributes_to_get=["token_gen"])
    return int(item.token_gen or 0)
