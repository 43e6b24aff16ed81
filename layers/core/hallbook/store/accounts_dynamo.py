"""The account aggregate on DynamoDB (store.stores.AccountStore): the functions of store.accounts,
account_claims, account_codes, login_throttle, second_factor and sessions, with the audit entry a
claim's change writes in its transaction given as an entry (the Protocol's) rather than a callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..domain.ratelimit import Backoff, Budget
from . import account_claims, account_codes, accounts, login_throttle, ratelimits, second_factor, sessions
from .account_codes import Pending
from .accounts import Account
from .audit import AuditEntry, entry_item
from .base import Items
from .login_throttle import LoginGuard
from .outbox import Message
from .sessions import TokenState


def _with_audit(entry: AuditEntry | None) -> Callable[[Items], None] | None:
    if entry is None:
        return None

    def add(tx: Items) -> None:
        tx.put("audit", entry_item(entry))

    return add


class DynamoAccounts:
    """Every method is one of the store modules' functions (their docstrings say how each is atomic)."""

    def get_account(self, account_id: str) -> Account | None:
        return accounts.get_account(account_id)

    def get_verified_citizen(self, account_id: str) -> Account | None:
        return accounts.get_verified_citizen(account_id)

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        return accounts.get_accounts(account_ids)

    def record_identity_check(self, account_id: str, verified: bool, source: str, at: str) -> None:
        accounts.record_identity_check(account_id, verified, source, at)

    def find_account_id(self, login_key: str) -> str | None:
        return accounts.find_account_id(login_key)

    def register_account(self, account: Account, logins: list[str], message: Message | None, now: datetime) -> None:
        account_claims.register_account(account, logins, message, now)

    def mark_phone_verified(self, account: Account, code_hash: str) -> bool:
        return account_claims.mark_phone_verified(account, code_hash)

    def count_verification_attempt(self, account_id: str, code_hash: str, limit: int) -> bool:
        return account_codes.count_verification_attempt(account_id, code_hash, limit)

    def replace_code(
        self,
        account_id: str,
        code_hash: str,
        expires_at: str,
        sends: int,
        period_start: str,
        sends_before: int,
        message: Message,
    ) -> bool:
        return account_codes.replace_code(account_id, code_hash, expires_at, sends, period_start, sends_before, message)

    def spend_stranger_attempt(self, limit: str, key: str, period: int, allowed: int, period_ends_at: float) -> bool:
        return ratelimits.count(limit, key, period, allowed, period_ends_at)

    def get_account_for_login(self, account_id: str, address: str | None = None) -> tuple[Account, LoginGuard] | None:
        return login_throttle.get_account_for_login(account_id, address)

    def reserve_address_attempt(
        self, account_id: str, address: str, at: int, backoff: Backoff, seen: tuple[int, int] | None = None
    ) -> int:
        return login_throttle.reserve_address_attempt(account_id, address, at, backoff, seen)

    def reserve_login_budget(self, account_id: str, at: int, budget: Budget) -> int | None:
        return login_throttle.reserve_login_budget(account_id, at, budget)

    def require_second_factor(self, account_id: str, until: int) -> None:
        login_throttle.require_second_factor(account_id, until)

    def record_login_failure(self, account_id: str) -> None:
        login_throttle.record_login_failure(account_id)

    def forget_address_attempts(self, account_id: str, address: str) -> None:
        login_throttle.forget_address_attempts(account_id, address)

    def record_login_success(self, account_id: str, address: str, refund_seconds: int) -> None:
        login_throttle.record_login_success(account_id, address, refund_seconds)

    def replace_login_code(
        self,
        account_id: str,
        code_hash: str,
        expires_at: int,
        sends: int,
        period_start: int,
        sends_before: int,
        message: Message,
    ) -> bool:
        return second_factor.replace_login_code(
            account_id, code_hash, expires_at, sends, period_start, sends_before, message
        )

    def count_login_code_attempt(self, account_id: str, code_hash: str, limit: int) -> bool:
        return second_factor.count_login_code_attempt(account_id, code_hash, limit)

    def use_login_code(self, account_id: str, code_hash: str) -> bool:
        return second_factor.use_login_code(account_id, code_hash)

    def set_totp_secret(self, account_id: str, secret: str) -> None:
        second_factor.set_totp_secret(account_id, secret)

    def use_totp_step(self, account_id: str, step: int) -> bool:
        return second_factor.use_totp_step(account_id, step)

    def token_state(self, account_id: str) -> TokenState | None:
        return sessions.token_state(account_id)

    def revoke_session(self, account_id: str, sid: str, expires_at: int, at: int) -> None:
        sessions.revoke_session(account_id, sid, expires_at, at)

    def change_password(self, account_id: str, old_hash: str, new_hash: str) -> int | None:
        return sessions.change_password(account_id, old_hash, new_hash)

    def get_pending(self, account_id: str, kind: str) -> tuple[Account, Pending] | None:
        return account_codes.get_pending(account_id, kind)

    def replace_pending_code(
        self,
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
        return account_codes.replace_pending_code(
            account_id, kind, code_hash, expires_at, sends, period_start, sends_before, message, phone
        )

    def count_pending_attempt(self, account_id: str, kind: str, code_hash: str, limit: int) -> bool:
        return account_codes.count_pending_attempt(account_id, kind, code_hash, limit)

    def reset_password(self, account_id: str, code_hash: str, password_hash: str, message: Message) -> int | None:
        return account_codes.reset_password(account_id, code_hash, password_hash, message)

    def change_phone(
        self,
        account: Account,
        new_phone: str,
        code_hash: str | None,
        sms: list[Message],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        account_claims.change_phone(account, new_phone, code_hash, sms, now, _with_audit(audit))

    def close_account(
        self, account: Account, pseudonym: str, sms: list[Message], now: datetime, audit: AuditEntry | None = None
    ) -> None:
        account_claims.close_account(account, pseudonym, sms, now, _with_audit(audit))

    def rebind_id_number(
        self,
        holder_id: str | None,
        strip_holder: bool,
        owner: Account,
        sms: list[Message],
        audit: AuditEntry | None = None,
    ) -> None:
        account_claims.rebind_id_number(holder_id, strip_holder, owner, sms, _with_audit(audit))

    def count_code_attempt(self, account_id: str, limit: int) -> bool:
        return account_codes.count_code_attempt(account_id, limit)

    def set_first_password(self, account: Account, code_hash: str, password_hash: str) -> bool:
        return account_codes.set_first_password(account, code_hash, password_hash)
