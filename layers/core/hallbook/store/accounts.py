"""The account aggregate (R1): one item per account, and claim items `ID#<id number>`,
`PHONE#<phone>` and `LOGIN#<login>` that make an ID number, a phone and a staff login unique.
`register_account` writes the claims, the account and its verification SMS in one transaction, so
two concurrent registrations of one phone cannot both win."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from ..config import settings
from ..domain.errors import IdTaken, PhoneTaken, ValidationFailed
from .base import BaseMeta, Cancelled, Items, transact
from .outbox import Message


class AccountItem(Model):
    class Meta(BaseMeta):
        table_name = settings().accounts_table

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
    code_window_start = UnicodeAttribute(null=True)
    login_failures = NumberAttribute(null=True)
    locked_until = UnicodeAttribute(null=True)
    # claim items of an account whose phone is not verified yet: free again after this instant
    claim_expires_at = UnicodeAttribute(null=True)


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
    code_window_start: str | None = None
    login_failures: int = 0
    locked_until: str | None = None


def _account(item: AccountItem) -> Account:
    return Account(
        account_id=item.account_id, name=item.name or "", id_number=item.id_number, phone=item.phone,
        password_hash=item.password_hash or "", phone_verified=bool(item.phone_verified),
        role=item.role or "citizen", office_id=item.office_id, lang=item.lang or "zh",
        created_at=item.created_at or "", code_hash=item.code_hash, code_expires_at=item.code_expires_at,
        code_attempts=int(item.code_attempts or 0), code_sends=int(item.code_sends or 0),
        code_window_start=item.code_window_start, login_failures=int(item.login_failures or 0),
        locked_until=item.locked_until,
    )


def account_key(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


UNVERIFIED_CLAIM_HOURS = 24


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
        tx.put("account", AccountItem(
            account_key(account.account_id), account_id=account.account_id, name=account.name,
            id_number=account.id_number, phone=account.phone, password_hash=account.password_hash,
            phone_verified=account.phone_verified, role=account.role, office_id=account.office_id,
            lang=account.lang, created_at=account.created_at, code_hash=account.code_hash,
            code_expires_at=account.code_expires_at, code_attempts=0, code_sends=account.code_sends,
            code_window_start=account.code_window_start, login_failures=0,
        ), AccountItem.pk.does_not_exist())
        if message is not None:
            tx.put("message", message.item())

    try:
        transact(build)
    except Cancelled as cancelled:
        if any(cancelled.failed(key) for key in logins if key.startswith("PHONE#")):
            raise PhoneTaken("This phone number already belongs to another ID number.") from None
        if any(cancelled.failed(key) for key in logins):
            raise IdTaken("This ID number already has an account.") from None
        raise


def find_account_id(login_key: str) -> str | None:
    try:
        return AccountItem.get(login_key, consistent_read=True).account_id
    except AccountItem.DoesNotExist:
        return None


def get_account(account_id: str) -> Account | None:
    try:
        return _account(AccountItem.get(account_key(account_id), consistent_read=True))
    except AccountItem.DoesNotExist:
        return None


_verified: dict[str, tuple[float, Account]] = {}
VERIFIED_CACHE_SECONDS = 300.0


def get_verified_citizen(account_id: str) -> Account | None:
    """An account for booking: a verified citizen's is kept per process for a few minutes (its name,
    ID number and phone do not change, and verification is never undone), so a citizen trying one
    slot after another at noon costs no account read after the first; any other is read each time
    (verifying takes effect at once)."""
    cached = _verified.get(account_id)
    if cached and time.monotonic() - cached[0] < VERIFIED_CACHE_SECONDS:
        return cached[1]
    account = get_account(account_id)
    if account is not None and account.phone_verified and account.role == "citizen":
        if len(_verified) > 50_000:
            _verified.clear()
        _verified[account_id] = (time.monotonic(), account)
    return account


def _update(account_id: str, actions, condition=None) -> bool:
    """An update guarded by `condition`; False when the condition did not hold."""
    item = AccountItem(account_key(account_id))
    cond = AccountItem.pk.exists() if condition is None else (AccountItem.pk.exists() & condition)
    try:
        item.update(actions=actions, condition=cond)
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def record_code_attempt(account_id: str, attempts_before: int) -> bool:
    """Count a verification attempt; False if a concurrent attempt counted first (then re-read)."""
    return _update(account_id, [AccountItem.code_attempts.set(attempts_before + 1)],
                   (AccountItem.code_attempts == attempts_before) | AccountItem.code_attempts.does_not_exist())


def mark_phone_verified(account: Account, code_hash: str) -> bool:
    """Single use: succeeds only while that very code is still the account's and its ID number and
    phone claims are still its own (they expire unverified); the claims then stop expiring."""
    def build(tx: Items) -> None:
        tx.update("account", AccountItem(account_key(account.account_id)), [
            AccountItem.phone_verified.set(True), AccountItem.code_hash.remove(),
            AccountItem.code_expires_at.remove(), AccountItem.code_attempts.set(0),
        ], AccountItem.code_hash == code_hash)
        for key in (f"ID#{account.id_number}", f"PHONE#{account.phone}"):
            tx.update("claim", AccountItem(key), [AccountItem.claim_expires_at.remove()],
                      AccountItem.account_id == account.account_id)

    try:
        transact(build)
        return True
    except Cancelled:
        return False


def replace_code(account_id: str, code_hash: str, expires_at: str, sends: int, window_start: str,
                 sends_before: int, message: Message) -> bool:
    """A new verification code and its SMS, atomically; False if a concurrent resend won."""
    def build(tx: Items) -> None:
        tx.update("account", AccountItem(account_key(account_id)), [
            AccountItem.code_hash.set(code_hash), AccountItem.code_expires_at.set(expires_at),
            AccountItem.code_attempts.set(0), AccountItem.code_sends.set(sends),
            AccountItem.code_window_start.set(window_start),
        ], (AccountItem.code_sends == sends_before) | AccountItem.code_sends.does_not_exist())
        tx.put("message", message.item())

    try:
        transact(build)
        return True
    except Cancelled as cancelled:
        if cancelled.failed("account"):
            return False
        raise


def record_login_failure(account_id: str, failures: int, locked_until: str | None) -> None:
    actions = [AccountItem.login_failures.set(failures)]
    actions.append(AccountItem.locked_until.set(locked_until) if locked_until else AccountItem.locked_until.remove())
    _update(account_id, actions)


def record_login_success(account_id: str) -> None:
    _update(account_id, [AccountItem.login_failures.set(0), AccountItem.locked_until.remove()])


def set_password(account_id: str, password_hash: str) -> None:
    if not _update(account_id, [AccountItem.password_hash.set(password_hash)]):
        raise ValidationFailed("no such account")


def utc_iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")


def get_accounts(account_ids: list[str]) -> dict[str, Account]:
    """Accounts by id, 100 to a BatchGetItem request (jobs that text many citizens at once)."""
    keys = [account_key(a) for a in dict.fromkeys(account_ids)]
    return {i.account_id: _account(i) for i in AccountItem.batch_get(keys)} if keys else {}
