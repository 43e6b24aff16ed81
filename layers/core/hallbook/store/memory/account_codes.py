"""The account aggregate's one-time codes in memory, as store/account_codes.py writes them: the
verification code, a reset's and a phone change's, a reclaim's; each attempt counted BEFORE the code
is compared, each code used once."""

from __future__ import annotations

from dataclasses import replace

from ..account_codes import Pending
from ..accounts import Account
from ..outbox import Message
from .account_state import AccountState


class CodeWrites(AccountState):
    """The codes an account's SMS carry."""

    def count_verification_attempt(self, account_id: str, code_hash: str, limit: int) -> bool:
        with self.lock:
            stored = self.accounts.get(account_id)
            if stored is None or stored.code_hash != code_hash or stored.code_attempts >= limit:
                return False
            self.accounts[account_id] = replace(stored, code_attempts=stored.code_attempts + 1)
            return True

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
        with self.lock:
            stored = self.accounts.get(account_id)
            if stored is None or stored.code_sends != sends_before:
                return False
            self.accounts[account_id] = replace(
                stored,
                code_hash=code_hash,
                code_expires_at=expires_at,
                code_attempts=0,
                code_sends=sends,
                code_period_start=period_start,
            )
            self.outbox.append(message)
            return True

    # ---------------------------------------------------------------- account life: reset, phone change, closure

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
        with self.lock:
            if account_id not in self.accounts:
                return False
            life = self._life(account_id)
            before = life.pending.get(kind)
            if before is not None and before.sends != sends_before:
                return False
            kept = before.phone if before is not None else None  # a reset names its phone each time
            if kind == "reset" or phone:
                kept = phone
            life.pending[kind] = Pending(code_hash, expires_at, 0, sends, period_start, kept)
            self.outbox.append(message)
            return True

    def count_pending_attempt(self, account_id: str, kind: str, code_hash: str, limit: int) -> bool:
        with self.lock:
            pending = self._life(account_id).pending.get(kind)
            if account_id not in self.accounts or pending is None or pending.code_hash != code_hash:
                return False
            if pending.attempts >= limit:
                return False
            self._life(account_id).pending[kind] = replace(pending, attempts=pending.attempts + 1)
            return True

    def reset_password(self, account_id: str, code_hash: str, password_hash: str, message: Message) -> int | None:
        with self.lock:
            stored = self.accounts.get(account_id)
            life = self._life(account_id)
            pending = life.pending.get("reset")
            if stored is None or pending is None or pending.code_hash != code_hash:
                return None
            self.accounts[account_id] = replace(stored, password_hash=password_hash, login_failures=0)
            life.pending["reset"] = replace(pending, code_hash=None, expires_at=0)
            life.token_gen += 1
            life.second_factor_until = life.login_tat = None
            self.outbox.append(message)
            return life.token_gen

    def count_code_attempt(self, account_id: str, limit: int) -> bool:
        with self.lock:
            stored = self.accounts.get(account_id)
            if stored is None or stored.code_attempts >= limit:
                return False
            self.accounts[account_id] = replace(stored, code_attempts=stored.code_attempts + 1)
            return True

    def set_first_password(self, account: Account, code_hash: str, password_hash: str) -> bool:
        with self.lock:
            stored = self.accounts.get(account.account_id)
            if stored is None or stored.code_hash != code_hash or stored.password_hash != "":
                return False
            self.accounts[account.account_id] = replace(
                stored,
                password_hash=password_hash,
                phone_verified=True,
                code_hash=None,
                code_expires_at=None,
                code_attempts=0,
            )
            return True
