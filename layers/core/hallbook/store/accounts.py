"""The account aggregate (R1): the accounts table's item and the account entity, its reads (with the
verified citizens' cache a booking reads through), and the conditional update every account module
writes with. What else the table keeps has its own module: the uniqueness claims
(store.account_claims), the one-time codes (store.account_codes), the login throttle
(store.login_throttle), the second factor (store.second_factor) and the sessions (store.sessions)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from .base import BaseMeta, Items, latest, setting, transact_unless, updated_if
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
    # login throttling (services.login, store.login_throttle), epoch seconds: the per-login failure budget as a
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
    # account life (services.account_life, phone_change, closure), epoch seconds: the password-reset code and the
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


def account_of(item: AccountItem) -> Account:
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


def new_account_item(account: Account) -> AccountItem:
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


def find_account_id(login_key: str) -> str | None:
    item = latest(AccountItem, login_key)
    return None if item is None else item.account_id


def get_account(account_id: str) -> Account | None:
    item = latest(AccountItem, account_key(account_id))
    return None if item is None else account_of(item)


def get_accounts(account_ids: list[str]) -> dict[str, Account]:
    """Accounts by id, 100 to a BatchGetItem request (jobs that text many citizens at once)."""
    keys = [account_key(a) for a in dict.fromkeys(account_ids)]
    return {i.account_id: account_of(i) for i in AccountItem.batch_get(keys)} if keys else {}


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


def forget_verified(account_id: str) -> None:
    """The account's name, ID number or phone changed: the next booking reads it again."""
    _verified.pop(account_id, None)


def update_account(account_id: str, actions, condition=None) -> bool:
    """An update guarded by `condition`; False when the condition did not hold."""
    cond = AccountItem.pk.exists() if condition is None else (AccountItem.pk.exists() & condition)
    return updated_if(AccountItem(account_key(account_id)), actions, cond)


def update_with_message(account_id: str, actions: list, condition: Any, message: Message) -> bool:
    """The account's `actions` under `condition`, and `message` into the outbox, in one transaction;
    False if the account's condition failed (a concurrent change won)."""

    def build(tx: Items) -> None:
        tx.update("account", AccountItem(account_key(account_id)), actions, condition)
        send_with(tx, [message])

    return transact_unless("account", build)


def record_identity_check(account_id: str, verified: bool, source: str, at: str) -> None:
    """R1: the outcome of the real-name check, kept on the account."""
    update_account(
        account_id,
        [
            AccountItem.identity_verified.set(verified),
            AccountItem.identity_source.set(source),
            AccountItem.identity_checked_at.set(at),
        ],
    )
    forget_verified(account_id)
