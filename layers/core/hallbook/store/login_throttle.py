"""The login throttle's counters (services.login computes with domain.ratelimit): per account and
client address, a back-off item `THROTTLE#<account id>#<address>`; per account, a failure budget kept
on the account item. Every limit is an atomic conditional write made BEFORE the password is
compared, so parallel attempts cannot all pass a check that each read before the others wrote."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DeleteError

from ..domain.ratelimit import Backoff, Budget
from .accounts import Account, AccountItem, account_key, account_of, update_account
from .base import updated_if


def throttle_key(account_id: str, address: str) -> str:
    return f"THROTTLE#{account_id}#{address}"


def _conditional(key: str, actions, condition) -> AccountItem | None:
    """UpdateItem of `key` (created if missing) under `condition`: the item after it, or None when the
    condition did not hold (nothing written)."""
    item = AccountItem(key)
    return item if updated_if(item, actions, condition) else None


def reserve_address_attempt(
    account_id: str, address: str, at: int, backoff: Backoff, seen: tuple[int, int] | None = None
) -> int:
    """Count one login attempt of the account from `address` BEFORE its password is compared, if the
    back-off allows one at `at`: 0, or the seconds still to wait (nothing counted then). `seen` is the
    (failures, last attempt) the caller read, or None when it read no item: it picks the write to try
    first. One conditional write whose condition holds the whole schedule, so N parallel attempts from
    one address pass exactly as many as the schedule allows."""
    key = throttle_key(account_id, address)
    fresh = (
        [
            AccountItem.account_id.set(account_id),
            AccountItem.failures.set(1),
            AccountItem.last_attempt_at.set(at),
            AccountItem.expires_at.set(at + backoff.quiet),
        ],
        AccountItem.pk.does_not_exist() | (AccountItem.last_attempt_at <= at - backoff.quiet),
    )
    last = backoff.free + len(backoff.delays) - 1
    allowed = AccountItem.failures < backoff.free
    for k, delay in enumerate(backoff.delays[:-1]):
        allowed |= (AccountItem.failures == backoff.free + k) & (AccountItem.last_attempt_at <= at - delay)
    allowed |= (AccountItem.failures >= last) & (AccountItem.last_attempt_at <= at - backoff.delays[-1])
    counted = (
        [
            AccountItem.failures.add(1),
            AccountItem.last_attempt_at.set(at),
            AccountItem.expires_at.set(at + backoff.quiet),
        ],
        AccountItem.pk.exists() & allowed,
    )
    for _ in range(3):
        starts_afresh = seen is None or at - seen[1] >= backoff.quiet
        for actions, condition in (fresh, counted) if starts_afresh else (counted, fresh):
            if _conditional(key, actions, condition):
                return 0
        try:
            item = AccountItem.get(key, consistent_read=True)
        except AccountItem.DoesNotExist:
            seen = None  # a success deleted it meanwhile
            continue
        seen = (int(item.failures or 0), int(item.last_attempt_at or 0))
        wait = backoff.wait(*seen, at)
        if wait > 0:
            return wait
    return 1


def reserve_login_budget(account_id: str, at: int, budget: Budget) -> int | None:
    """One unit of the account's failure budget (all addresses together), counted BEFORE the password
    is compared, with the failure itself (login_failures + 1; a success sets it back to 0). The item
    keeps the budget's theoretical arrival time (`login_tat`, see domain.ratelimit.Budget). The new
    tat, or None when the budget was spent already. Atomic: N parallel reservations of a full budget
    win exactly min(N, budget.burst)."""
    key = account_key(account_id)
    failure = AccountItem.login_failures.add(1)
    for _ in range(3):
        # a full budget (never used, or refilled): the arrival time restarts from now
        item = _conditional(
            key,
            [AccountItem.login_tat.set(at + budget.interval), failure],
            AccountItem.pk.exists() & (AccountItem.login_tat.does_not_exist() | (AccountItem.login_tat < at)),
        )
        # partly spent: room left while the tat is at most budget.last_tat(at)
        item = item or _conditional(
            key,
            [AccountItem.login_tat.set(AccountItem.login_tat + budget.interval), failure],
            AccountItem.pk.exists() & AccountItem.login_tat.between(at, budget.last_tat(at)),
        )
        if item is not None:
            return int(item.login_tat)
        try:
            account = AccountItem.get(key, consistent_read=True, attributes_to_get=["login_tat"])
        except AccountItem.DoesNotExist:
            return None
        if account.login_tat is not None and budget.spent(int(account.login_tat), at):
            return None
    return None


def require_second_factor(account_id: str, until: int) -> None:
    """The budget is spent: logins need a second factor until `until` (epoch seconds)."""
    update_account(
        account_id,
        [AccountItem.second_factor_until.set(until)],
        AccountItem.second_factor_until.does_not_exist() | (AccountItem.second_factor_until < until),
    )


def record_login_failure(account_id: str) -> None:
    """One wrong password (or second factor) where no budget unit counted it already (see
    reserve_login_budget), with an atomic ADD: N parallel failures are N."""
    update_account(account_id, [AccountItem.login_failures.add(1)])


def forget_address_attempts(account_id: str, address: str) -> None:
    """The right password came from `address`: its back-off is forgotten (the second factor may still
    be missing or mistyped: that is counted per code, not as a password guess)."""
    try:
        AccountItem(throttle_key(account_id, address)).delete()
    except DeleteError:
        pass


def record_login_success(account_id: str, address: str, refund_seconds: int) -> None:
    """The password was right: the address's attempts are forgotten, the failure count restarts, and
    the budget unit this login reserved is given back (`refund_seconds`, 0 when none was)."""
    try:
        AccountItem(throttle_key(account_id, address)).delete()
    except DeleteError:
        pass
    actions = [AccountItem.login_failures.set(0), AccountItem.locked_until.remove()]
    if refund_seconds:
        update_account(
            account_id,
            [*actions, AccountItem.login_tat.set(AccountItem.login_tat - refund_seconds)],
            AccountItem.login_tat.exists(),
        )
    else:
        update_account(account_id, actions)


@dataclass(frozen=True)
class LoginGuard:
    """What a login checks besides the password (epoch seconds)."""

    token_gen: int = 0
    second_factor_until: int = 0
    login_code_hash: str | None = None
    login_code_expires_at: int = 0
    login_code_attempts: int = 0
    login_code_sends: int = 0
    login_code_period_start: int = 0
    totp_secret: str | None = None
    address_seen: tuple[int, int] | None = None  # (failures, last attempt) from the login's address


def get_account_for_login(account_id: str, address: str | None = None) -> tuple[Account, LoginGuard] | None:
    """The account and its login guard, with the back-off of `address`: one BatchGetItem."""
    keys = [account_key(account_id)] + ([throttle_key(account_id, address)] if address else [])
    items = {i.pk: i for i in AccountItem.batch_get(keys, consistent_read=True)}
    item = items.get(keys[0])
    if item is None:
        return None
    throttle = items.get(keys[1]) if address else None
    return account_of(item), LoginGuard(
        token_gen=int(item.token_gen or 0),
        second_factor_until=int(item.second_factor_until or 0),
        login_code_hash=item.login_code_hash,
        login_code_expires_at=int(item.login_code_expires_at or 0),
        login_code_attempts=int(item.login_code_attempts or 0),
        login_code_sends=int(item.login_code_sends or 0),
        login_code_period_start=int(item.login_code_period_start or 0),
        totp_secret=item.totp_secret,
        address_seen=(int(throttle.failures or 0), int(throttle.last_attempt_at or 0)) if throttle else None,
    )
