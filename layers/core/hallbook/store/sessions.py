"""Sessions (services.tokens): the account's token generation (a password change bumps it), the session
ids logged out before their token expires, and the per-process cache of that state every request's
token is checked against."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cachetools import TTLCache

from .accounts import AccountItem, account_key, update_account
from .base import updated_if


@dataclass(frozen=True)
class TokenState:
    """What a token's claims are checked against: the generation, logged-out session ids, role, office."""

    token_gen: int
    revoked_sids: frozenset[str]
    role: str
    office_id: str | None


TOKEN_STATE_CACHE_SECONDS = 5.0  # how stale a process's view of logouts and password changes may be
_token_states: TTLCache[str, TokenState] = TTLCache(maxsize=50_000, ttl=TOKEN_STATE_CACHE_SECONDS, timer=time.monotonic)


def token_state(account_id: str) -> TokenState | None:
    """The account's token state, kept per process for TOKEN_STATE_CACHE_SECONDS (process time: a
    cache age, not a business instant), so a client's burst of calls costs one read; a logout or
    password change made in this process takes effect here at once, in others within that time."""
    cached = _token_states.get(account_id)
    if cached is not None:
        return cached
    try:
        item = AccountItem.get(
            account_key(account_id),
            consistent_read=True,
            attributes_to_get=["account_id", "token_gen", "revoked_sids", "role", "office_id"],
        )
    except AccountItem.DoesNotExist:
        return None
    state = TokenState(
        int(item.token_gen or 0),
        frozenset(s.partition(":")[2] for s in item.revoked_sids or ()),
        item.role or "citizen",
        item.office_id,
    )
    _token_states[account_id] = state
    return state


def forget_token_state(account_id: str | None = None) -> None:
    if account_id is None:
        _token_states.clear()
    else:
        _token_states.pop(account_id, None)


def revoke_session(account_id: str, sid: str, expires_at: int, at: int) -> None:
    """Logout: the session id is refused until its token would have expired anyway; entries of
    tokens that have expired meanwhile are dropped."""
    item = AccountItem(account_key(account_id))
    try:
        revoked = updated_if(item, [AccountItem.revoked_sids.add({f"{expires_at}:{sid}"})], AccountItem.pk.exists())
    finally:
        forget_token_state(account_id)
    if not revoked:
        return
    stale = {s for s in item.revoked_sids or () if s.partition(":")[0].isdigit() and int(s.partition(":")[0]) < at}
    if stale:
        update_account(account_id, [AccountItem.revoked_sids.delete(stale)])


def change_password(account_id: str, old_hash: str, new_hash: str) -> int | None:
    """The new password and generation + 1, only while the password is still `old_hash` (two
    concurrent changes cannot both win); the new generation, or None."""
    item = AccountItem(account_key(account_id))
    try:
        changed = updated_if(
            item,
            [AccountItem.password_hash.set(new_hash), AccountItem.token_gen.add(1)],
            AccountItem.pk.exists() & (AccountItem.password_hash == old_hash),
        )
    finally:
        forget_token_state(account_id)
    return int(item.token_gen or 0) if changed else None


def bump_token_gen(account_id: str) -> None:
    """Every token of the account is refused from now on (for disabling an account)."""
    update_account(account_id, [AccountItem.token_gen.add(1)])
    forget_token_state(account_id)
