"""The account aggregate (R1): one item per account, and claim items `ID#<id number>`,
`PHONE#<phone>` and `LOGIN#<login>` that make an ID number, a phone and a staff login unique.
`register_account` writes the claims, the account and its verification SMS in one transaction, so
two concurrent registrations of one phone cannot both win."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cachetools import TTLCache
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from ..domain.errors import IdTaken, PhoneTaken
from .base import Answer, BaseMeta, Cancelled, Items, latest, setting, transact, transact_unless, updated_if
from .outbox import Message, send_with


class AccountItem(Model):
    class Meta(BaseMeta):
        table_name = setting("accounts_table")

    pk = UnicodeAttribute(hash_key=True)  # ACCOUNT#<id> | ID#<id number> | PHONE#<phone> | LOGIN#<login>
    account_id = UnicodeAttribute()
    # account items only
    name = UnicodeAttribute(null=True)
    id_number = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    phone_verified = BooleanAttribute(null=True)
    role = UnicodeAttribute(null=True)  # citizen | staff | admin | operator
    office_id = UnicodeAttribute(null=True)
    lang = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    code_hash = UnicodeAttribute(null=True)
    code_expires_at = UnicodeAttribute(null=True)
    code_attempts = NumberAttribute(null=True)
    code_sends = NumberAttribute(null=True)
    code_period_start = UnicodeAttribute(null=True)
    login_failures = NumberAttribute(null=True)
    locked_until = UnicodeAttribute(null=True)
    # claim items of an account whose phone is not verified yet: free again after this instant
    claim_expires_at = UnicodeAttribute(null=True)
    # R1: the real-name check of name + ID number (+ phone ownership): its source and instant
    identity_verified = BooleanAttribute(null=True)
    identity_source = UnicodeAttribute(null=True)
    identity_checked_at = UnicodeAttribute(null=True)
    # an account whose ID number was reclaimed by its owner at a hall keeps no ID number
    id_number_reclaimed_at = UnicodeAttribute(null=True)
    # R2: the minors this account holds an active guardian link for (store.guardians keeps it)
    wards = UnicodeSetAttribute(null=True)
    # sessions (services.tokens): the generation every token must carry (a password change bumps
    # it), and the session ids logged out before their token expires ("<exp epoch>:<sid>")
    token_gen = NumberAttribute(null=True)
    revoked_sids = UnicodeSetAttribute(null=True)
    # login throttling (services.accounts.login), epoch seconds: the per-login failure budget as a
    # GCRA theoretical arrival time, and until when a second factor is required once it is spent
    login_tat = NumberAttribute(null=True)
    second_factor_until = NumberAttribute(null=True)
    # the second factor: a citizen's SMS login code, or staff's TOTP secret (RFC 6238)
    login_code_hash = UnicodeAttribute(null=True)
    login_code_expires_at = NumberAttribute(null=True)
    login_code_attempts = NumberAttribute(null=True)
    login_code_sends = NumberAttribute(null=True)
    login_code_period_start = NumberAttribute(null=True)
    totp_secret = UnicodeAttribute(null=True)
    totp_last_step = NumberAttribute(null=True)
    # account life (services.account_life), epoch seconds: the password-reset code and the
    # phone change waiting for the code sent to the new phone; an account closed under PIPL
    reset_code_hash = UnicodeAttribute(null=True)
    reset_code_expires_at = NumberAttribute(null=True)
    reset_code_attempts = NumberAttribute(null=True)
    reset_code_sends = NumberAttribute(null=True)
    reset_code_period_start = NumberAttribute(null=True)
    reset_phone = UnicodeAttribute(null=True)  # a lost phone: the new one the real-name source confirmed
    pending_phone = UnicodeAttribute(null=True)
    phone_code_hash = UnicodeAttribute(null=True)
    phone_code_expires_at = NumberAttribute(null=True)
    phone_code_attempts = NumberAttribute(null=True)
    phone_code_sends = NumberAttribute(null=True)
    phone_code_period_start = NumberAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    # THROTTLE#<account id>#<address> items: attempts from one client address, epoch seconds
    failures = NumberAttribute(null=True)
    last_attempt_at = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # the table's TTL attribute


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    id_number: str | None
    phone: str | None
    password_hash: str
    phone_verified: bool
    role: str
    office_id: str | None
    lang: str
    created_at: str
    code_hash: str | None = None
    code_expires_at: str | None = None
    code_attempts: int = 0
    code_sends: int = 0
    code_period_start: str | None = None
    login_failures: int = 0
    locked_until: str | None = None
    identity_verified: bool = False
    identity_source: str | None = None
    identity_checked_at: str | None = None
    wards: frozenset[str] = frozenset()


def _account(item: AccountItem) -> Account:
    return Account(
        account_id=item.account_id,
        name=item.name or "",
        id_number=item.id_number,
        phone=item.phone,
        password_hash=item.password_hash or "",
        phone_verified=bool(item.phone_verified),
        role=item.role or "citizen",
        office_id=item.office_id,
        lang=item.lang or "zh",
        created_at=item.created_at or "",
        code_hash=item.code_hash,
        code_expires_at=item.code_expires_at,
        code_attempts=int(item.code_attempts or 0),
        code_sends=int(item.code_sends or 0),
        code_period_start=item.code_period_start,
        login_failures=int(item.login_failures or 0),
        locked_until=item.locked_until,
        identity_verified=bool(item.identity_verified),
        identity_source=item.identity_source,
        identity_checked_at=item.identity_checked_at,
        wards=frozenset(item.wards or ()),
    )


def account_key(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


UNVERIFIED_CLAIM_HOURS = 24


def _new_account_item(account: Account) -> AccountItem:
    """A new account's item: the account as given, with no code attempts and no login failures yet."""
    return AccountItem(
        account_key(account.account_id),
        account_id=account.account_id,
        name=account.name,
        id_number=account.id_number,
        phone=account.phone,
        password_hash=account.password_hash,
        phone_verified=account.phone_verified,
        role=account.role,
        office_id=account.office_id,
        lang=account.lang,
        created_at=account.created_at,
        code_hash=account.code_hash,
        code_expires_at=account.code_expires_at,
        code_attempts=0,
        code_sends=account.code_sends,
        code_period_start=account.code_period_start,
        login_failures=0,
        identity_verified=account.identity_verified,
        identity_source=account.identity_source,
        identity_checked_at=account.identity_checked_at,
    )


def register_account(account: Account, logins: list[str], message: Message | None, now: datetime) -> None:
    """Claims (`ID#`, `PHONE#` or a staff `LOGIN#`), the account and its first SMS, atomically.
    Raises IdTaken / PhoneTaken when a claim already belongs to someone. The claims of an account
    whose phone is not verified expire after UNVERIFIED_CLAIM_HOURS, so a mistyped or malicious
    registration cannot keep a real citizen's phone or ID number from ever registering."""
    expires = None if account.phone_verified else (now + timedelta(hours=UNVERIFIED_CLAIM_HOURS)).isoformat()
    free = AccountItem.pk.does_not_exist() | (AccountItem.claim_expires_at < now.isoformat())

    def build(tx: Items) -> None:
        for key in logins:
            tx.put(key, AccountItem(key, account_id=account.account_id, claim_expires_at=expires), free)
        tx.put(
            "account",
            _new_account_item(account),
            AccountItem.pk.does_not_exist(),
        )
        send_with(tx, [message] if message is not None else [])

    # a phone's claim answers first: PhoneTaken whenever it failed, whatever the other claims did
    taken: dict[str, Answer] = {
        key: PhoneTaken("This phone number already belongs to another ID number.")
        for key in logins
        if key.startswith("PHONE#")
    }
    taken.update({key: IdTaken("This ID number already has an account.") for key in logins if key not in taken})
    transact(build, taken)


def find_account_id(login_key: str) -> str | None:
    item = latest(AccountItem, login_key)
    return None if item is None else item.account_id


def get_account(account_id: str) -> Account | None:
    item = latest(AccountItem, account_key(account_id))
    return None if item is None else _account(item)


VERIFIED_CACHE_SECONDS = 300.0
_verified: TTLCache[str, Account] = TTLCache(maxsize=50_000, ttl=VERIFIED_CACHE_SECONDS, timer=time.monotonic)


def get_verified_citizen(account_id: str) -> Account | None:
    """An account for booking: a verified citizen's is kept per process for a few minutes (its name,
    ID number and phone do not change, and verification is never undone), so a citizen trying one
    slot after another at noon costs no account read after the first; any other is read each time
    (verifying takes effect at once)."""
    cached = _verified.get(account_id)
    if cached is not None:
        return cached
    account = get_account(account_id)
    if account is not None and account.phone_verified and account.role == "citizen":
        _verified[account_id] = account
    return account


def _update(account_id: str, actions, condition=None) -> bool:
    """An update guarded by `condition`; False when the condition did not hold."""
    cond = AccountItem.pk.exists() if condition is None else (AccountItem.pk.exists() & condition)
    return updated_if(AccountItem(account_key(account_id)), actions, cond)


def count_verification_attempt(account_id: str, code_hash: str, limit: int) -> bool:
    """Count one verification attempt against the code `code_hash`, BEFORE it is compared: one atomic
    ADD, allowed while fewer than `limit` were counted for that code. False (nothing counted) when the
    limit is reached or the code is no longer the account's: N parallel attempts count exactly
    min(N, limit), so at most `limit` codes are ever compared."""
    return _update(
        account_id,
        [AccountItem.code_attempts.add(1)],
        (AccountItem.code_hash == code_hash)
        & (AccountItem.code_attempts.does_not_exist() | (AccountItem.code_attempts < limit)),
    )


def mark_phone_verified(account: Account, code_hash: str) -> bool:
    """Single use: succeeds only while that very code is still the account's and its ID number and
    phone claims are still its own (they expire unverified); the claims then stop expiring."""

    def build(tx: Items) -> None:
        tx.update(
            "account",
            AccountItem(account_key(account.account_id)),
            [
                AccountItem.phone_verified.set(True),
                AccountItem.code_hash.remove(),
                AccountItem.code_expires_at.remove(),
                AccountItem.code_attempts.set(0),
            ],
            AccountItem.code_hash == code_hash,
        )
        for key in (f"ID#{account.id_number}", f"PHONE#{account.phone}"):
            tx.update(
                "claim",
                AccountItem(key),
                [AccountItem.claim_expires_at.remove()],
                AccountItem.account_id == account.account_id,
            )

    try:
        transact(build)
        return True
    except Cancelled:
        return False


def replace_code(
    account_id: str, code_hash: str, expires_at: str, sends: int, period_start: str, sends_before: int, message: Message
) -> bool:
    """A new verification code and its SMS, atomically; False if a concurrent resend won."""
    return _update_with_message(
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


def _update_with_message(account_id: str, actions: list, condition: Any, message: Message) -> bool:
    """The account's `actions` under `condition`, and `message` into the outbox, in one transaction;
    False if the account's condition failed (a concurrent change won)."""

    def build(tx: Items) -> None:
        tx.update("account", AccountItem(account_key(account_id)), actions, condition)
        send_with(tx, [message])

    return transact_unless("account", build)


def record_login_failure(account_id: str) -> None:
    """One wrong password (or second factor) where no budget unit counted it already (see
    reserve_login_budget), with an atomic ADD: N parallel failures are N."""
    _update(account_id, [AccountItem.login_failures.add(1)])


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
        _update(
            account_id,
            [*actions, AccountItem.login_tat.set(AccountItem.login_tat - refund_seconds)],
            AccountItem.login_tat.exists(),
        )
    else:
        _update(account_id, actions)


def record_identity_check(account_id: str, verified: bool, source: str, at: str) -> None:
    """R1: the outcome of the real-name check, kept on the account."""
    _update(
        account_id,
        [
            AccountItem.identity_verified.set(verified),
            AccountItem.identity_source.set(source),
            AccountItem.identity_checked_at.set(at),
        ],
    )
    _verified.pop(account_id, None)


def rebind_id_number(
    holder_id: str | None, strip_holder: bool, owner: Account, messages: list[Message], also=None
) -> None:
    """R1, the owner's reclaim at a hall: the ID number's claim moves from `holder_id` (None: nobody
    holds it) to the owner's new account, with its phone claim, the account itself and the SMS, in one
    transaction; with `strip_holder` the holder's account keeps no ID number from then on. `also(tx)`
    adds the audit entry. Raises PhoneTaken when the owner's phone belongs to another account, IdTaken
    when the claim changed hands meanwhile."""
    id_key, phone_key = f"ID#{owner.id_number}", f"PHONE#{owner.phone}"

    def build(tx: Items) -> None:
        claim = AccountItem(id_key, account_id=owner.account_id)
        if holder_id is None:
            tx.put("id", claim, AccountItem.pk.does_not_exist() | AccountItem.claim_expires_at.exists())
        else:
            tx.put("id", claim, AccountItem.account_id == holder_id)
        if holder_id is not None and strip_holder:
            tx.update(
                "holder",
                AccountItem(account_key(holder_id)),
                [
                    AccountItem.id_number.remove(),
                    AccountItem.identity_verified.set(False),
                    AccountItem.id_number_reclaimed_at.set(owner.created_at),
                    AccountItem.wards.remove(),
                ],
                AccountItem.pk.exists(),
            )
        tx.put(
            "phone",
            AccountItem(phone_key, account_id=owner.account_id),
            AccountItem.pk.does_not_exist()
            | (AccountItem.claim_expires_at < owner.created_at)
            | (AccountItem.account_id == (holder_id or "-")),
        )
        tx.put(
            "account",
            _new_account_item(replace(owner, role="citizen", office_id=None)),
            AccountItem.pk.does_not_exist(),
        )
        send_with(tx, messages)
        if also is not None:
            also(tx)

    transact(
        build,
        {
            "phone": PhoneTaken("This phone number already belongs to another account."),
            "id": IdTaken("The ID number's account changed meanwhile; look it up again."),
        },
    )
    _verified.pop(holder_id or "", None)


def count_code_attempt(account_id: str, limit: int) -> bool:
    """Count one attempt at the account's code before it is compared (atomic: ADD under the
    condition that fewer than `limit` were counted); False once `limit` attempts were made."""
    return _update(
        account_id,
        [AccountItem.code_attempts.add(1)],
        AccountItem.code_attempts.does_not_exist() | (AccountItem.code_attempts < limit),
    )


def set_first_password(account: Account, code_hash: str, password_hash: str) -> bool:
    """A reclaimed account's first password, once, with the code sent to its phone (which that verifies)."""
    return _update(
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


def get_accounts(account_ids: list[str]) -> dict[str, Account]:
    """Accounts by id, 100 to a BatchGetItem request (jobs that text many citizens at once)."""
    keys = [account_key(a) for a in dict.fromkeys(account_ids)]
    return {i.account_id: _account(i) for i in AccountItem.batch_get(keys)} if keys else {}


# ---------------------------------------------------------------- login throttling (services.accounts.login)
# Every limit is an atomic conditional write made BEFORE the password is compared, so parallel
# attempts cannot all pass a check that each read before the others wrote.


def throttle_key(account_id: str, address: str) -> str:
    return f"THROTTLE#{account_id}#{address}"


def _conditional(key: str, actions, condition) -> AccountItem | None:
    """UpdateItem of `key` (created if missing) under `condition`: the item after it, or None when the
    condition did not hold (nothing written)."""
    item = AccountItem(key)
    return item if updated_if(item, actions, condition) else None


@dataclass(frozen=True)
class Backoff:
    """The back-off schedule of one account and client address (epoch seconds): the first `free`
    attempts need no wait; each further one waits delays[k] after the one before (the last delay
    repeats); `quiet` seconds without an attempt forget them."""

    free: int
    delays: tuple[int, ...]
    quiet: int

    def wait(self, failures: int, last_attempt_at: int, at: int) -> int:
        """Seconds still to wait at `at` after `failures` attempts, the last at `last_attempt_at`."""
        if failures < self.free or at - last_attempt_at >= self.quiet:
            return 0
        return max(0, last_attempt_at + self.delays[min(failures - self.free, len(self.delays) - 1)] - at)


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


def reserve_login_budget(account_id: str, at: int, interval: int, burst: int) -> int | None:
    """One unit of the account's failure budget (all addresses together), counted BEFORE the password
    is compared, with the failure itself (login_failures + 1; a success sets it back to 0): `burst`
    units, refilled one every `interval` seconds (GCRA: the item keeps the theoretical arrival time
    `tat`, and each unit pushes it `interval` on). The new tat (the budget is empty once
    tat > at + (burst - 1) * interval), or None when it was spent already. Atomic: N parallel
    reservations of a full budget win exactly min(N, burst)."""
    key = account_key(account_id)
    failure = AccountItem.login_failures.add(1)
    for _ in range(3):
        # a full budget (never used, or refilled): the arrival time restarts from now
        item = _conditional(
            key,
            [AccountItem.login_tat.set(at + interval), failure],
            AccountItem.pk.exists() & (AccountItem.login_tat.does_not_exist() | (AccountItem.login_tat < at)),
        )
        # partly spent: room left while tat + interval - at <= burst * interval
        item = item or _conditional(
            key,
            [AccountItem.login_tat.set(AccountItem.login_tat + interval), failure],
            AccountItem.pk.exists() & AccountItem.login_tat.between(at, at + (burst - 1) * interval),
        )
        if item is not None:
            return int(item.login_tat)
        try:
            account = AccountItem.get(key, consistent_read=True, attributes_to_get=["login_tat"])
        except AccountItem.DoesNotExist:
            return None
        if account.login_tat is not None and account.login_tat > at + (burst - 1) * interval:
            return None
    return None


def require_second_factor(account_id: str, until: int) -> None:
    """The budget is spent: logins need a second factor until `until` (epoch seconds)."""
    _update(
        account_id,
        [AccountItem.second_factor_until.set(until)],
        AccountItem.second_factor_until.does_not_exist() | (AccountItem.second_factor_until < until),
    )


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
    return _account(item), LoginGuard(
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


def replace_login_code(
    account_id: str, code_hash: str, expires_at: int, sends: int, period_start: int, sends_before: int, message: Message
) -> bool:
    """A new SMS login code (its attempts start at 0) and its SMS, atomically; False if a concurrent
    send won."""
    return _update_with_message(
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
    return _update(
        account_id,
        [AccountItem.login_code_attempts.add(1)],
        (AccountItem.login_code_hash == code_hash)
        & (AccountItem.login_code_attempts.does_not_exist() | (AccountItem.login_code_attempts < limit)),
    )


def use_login_code(account_id: str, code_hash: str) -> bool:
    """Single use: the code is gone once a login succeeded with it."""
    return _update(
        account_id,
        [AccountItem.login_code_hash.remove(), AccountItem.login_code_expires_at.remove()],
        AccountItem.login_code_hash == code_hash,
    )


def set_totp_secret(account_id: str, secret: str) -> None:
    _update(account_id, [AccountItem.totp_secret.set(secret)])


def use_totp_step(account_id: str, step: int) -> bool:
    """A TOTP code is good once: its time step must be later than the last one used."""
    return _update(
        account_id,
        [AccountItem.totp_last_step.set(step)],
        AccountItem.totp_last_step.does_not_exist() | (AccountItem.totp_last_step < step),
    )


# ---------------------------------------------------------------- sessions (services.tokens)


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
        _update(account_id, [AccountItem.revoked_sids.delete(stale)])


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
    _update(account_id, [AccountItem.token_gen.add(1)])
    forget_token_state(account_id)


# ---------------------------------------------------------------- account life (services.account_life)


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
    return _account(item), _pending(item, kind)


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
    return _update_with_message(
        account_id,
        actions,
        (_attr(kind, "sends") == sends_before) | _attr(kind, "sends").does_not_exist(),
        message,
    )


def count_pending_attempt(account_id: str, kind: str, code_hash: str, limit: int) -> bool:
    """One attempt at the `kind` code, counted BEFORE it is compared (at most `limit` per code)."""
    return _update(
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
        if not _update_with_message(account_id, actions, AccountItem.reset_code_hash == code_hash, message):
            return None
    finally:
        forget_token_state(account_id)
    item = AccountItem.get(account_key(account_id), consistent_read=True, attributes_to_get=["token_gen"])
    return int(item.token_gen or 0)


def change_phone(
    account: Account, new_phone: str, code_hash: str | None, sms: list[Message], now: datetime, also=None
) -> None:
    """R1: the account moves to `new_phone` in one transaction: the new phone's claim (free, expired
    unverified, or the account's own), the old claim deleted, the account's phone set and verified,
    the SMS (the notice to the old phone) and `also(tx)` (an audit entry). `code_hash`: the phone
    change's code must still be that one (None: a hall's change). PhoneTaken when the new phone
    belongs to another account; Cancelled when the account changed meanwhile."""

    def build(tx: Items) -> None:
        tx.put(
            "phone",
            AccountItem(f"PHONE#{new_phone}", account_id=account.account_id),
            AccountItem.pk.does_not_exist()
            | (AccountItem.claim_expires_at < now.isoformat())
            | (AccountItem.account_id == account.account_id),
        )
        if account.phone and account.phone != new_phone:
            tx.delete("old", AccountItem(f"PHONE#{account.phone}"), AccountItem.account_id == account.account_id)
        actions = [
            AccountItem.phone.set(new_phone),
            AccountItem.phone_verified.set(True),
            AccountItem.pending_phone.remove(),
            AccountItem.phone_code_hash.remove(),
            AccountItem.phone_code_expires_at.remove(),
        ]
        condition = AccountItem.phone == account.phone if account.phone else AccountItem.phone.does_not_exist()
        if code_hash is not None:
            condition = condition & (AccountItem.phone_code_hash == code_hash)
        tx.update("account", AccountItem(account_key(account.account_id)), actions, condition)
        send_with(tx, sms)
        if also is not None:
            also(tx)

    transact(build, {"phone": PhoneTaken("This phone number already belongs to another account.")})
    _verified.pop(account.account_id, None)


def close_account(account: Account, pseudonym: str, sms: list[Message], now: datetime, also=None) -> None:
    """PIPL: the account's claims are deleted (the ID number and phone can register again) and its
    personal data erased (the name kept as `pseudonym`, no ID number, phone, password or codes), in one
    transaction with the SMS and `also(tx)` (the audit entry, which the law keeps); every token is
    refused from now on."""
    remove = [
        getattr(AccountItem, name).remove()
        for name in (
            "id_number",
            "phone",
            "wards",
            "code_hash",
            "code_expires_at",
            "login_code_hash",
            "login_code_expires_at",
            "reset_code_hash",
            "reset_code_expires_at",
            "pending_phone",
            "phone_code_hash",
            "phone_code_expires_at",
            "revoked_sids",
            "totp_secret",
        )
    ]

    def build(tx: Items) -> None:
        for key in (f"ID#{account.id_number}", f"PHONE#{account.phone}"):
            if not key.endswith("#None"):
                tx.delete(
                    key,
                    AccountItem(key),
                    AccountItem.pk.does_not_exist() | (AccountItem.account_id == account.account_id),
                )
        tx.update(
            "account",
            AccountItem(account_key(account.account_id)),
            [
                *remove,
                AccountItem.name.set(pseudonym),
                AccountItem.password_hash.set(""),
                AccountItem.phone_verified.set(False),
                AccountItem.identity_verified.set(False),
                AccountItem.token_gen.add(1),
                AccountItem.closed_at.set(now.isoformat()),
            ],
            AccountItem.pk.exists() & AccountItem.closed_at.does_not_exist(),
        )
        send_with(tx, sms)
        if also is not None:
            also(tx)

    try:
        transact(build)
    finally:
        _verified.pop(account.account_id, None)
        forget_token_state(account.account_id)
