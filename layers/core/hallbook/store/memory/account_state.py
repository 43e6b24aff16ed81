"""The account aggregate's state in memory: the claims, what an account item keeps besides the
Account (`Life`), and `AccountState`, the dicts under one lock with the reads; the writes are its
subclasses' in account_claims.py, account_codes.py, login_throttle.py and sessions.py, put together
as accounts.py's MemoryAccounts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..account_codes import Pending
from ..accounts import Account
from ..audit import AuditEntry
from ..login_throttle import LoginGuard
from ..outbox import Message
from ..sessions import TokenState

KINDS = ("reset", "phone")


@dataclass
class Claim:
    """`ID#`, `PHONE#` or `LOGIN#` held by an account; an unverified registration's is free after `expires_at`."""

    account_id: str
    expires_at: str | None = None

    def free_at(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at < now.isoformat()


@dataclass
class Life:
    """What the account item keeps besides the Account: sessions, the login's budget and second factor,
    and the pending codes (store.accounts.AccountItem's attributes of the same names)."""

    token_gen: int = 0
    revoked_sids: set[str] = field(default_factory=set)
    login_tat: int | None = None
    second_factor_until: int | None = None
    login_code_hash: str | None = None
    login_code_expires_at: int = 0
    login_code_attempts: int = 0
    login_code_sends: int | None = None
    login_code_period_start: int = 0
    totp_secret: str | None = None
    totp_last_step: int | None = None
    pending: dict[str, Pending] = field(default_factory=dict)  # "reset", "phone"
    closed_at: str | None = None


@dataclass
class AccountState:
    """What the account aggregate keeps: accounts by id, claims by key, the back-off of each (account,
    address), the strangers' counters, the outbox and the audit entries its writes add; and the reads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    accounts: dict[str, Account] = field(default_factory=dict)
    life: dict[str, Life] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    throttles: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (failures, last attempt)
    stranger_counts: dict[tuple[str, str, int], int] = field(default_factory=dict)
    outbox: list[Message] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    def _life(self, account_id: str) -> Life:
        return self.life.setdefault(account_id, Life())

    # ---------------------------------------------------------------- reads

    def get_account(self, account_id: str) -> Account | None:
        with self.lock:
            return self.accounts.get(account_id)

    def get_verified_citizen(self, account_id: str) -> Account | None:
        return self.get_account(account_id)

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        with self.lock:
            return {a: self.accounts[a] for a in account_ids if a in self.accounts}

    def record_identity_check(self, account_id: str, verified: bool, source: str, at: str) -> None:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is not None:
                self.accounts[account_id] = replace(
                    account, identity_verified=verified, identity_source=source, identity_checked_at=at
                )

    def find_account_id(self, login_key: str) -> str | None:
        with self.lock:
            claim = self.claims.get(login_key)
            return claim.account_id if claim else None

    def get_account_for_login(self, account_id: str, address: str | None = None) -> tuple[Account, LoginGuard] | None:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                return None
            life = self._life(account_id)
            return account, LoginGuard(
                token_gen=life.token_gen,
                second_factor_until=life.second_factor_until or 0,
                login_code_hash=life.login_code_hash,
                login_code_expires_at=life.login_code_expires_at,
                login_code_attempts=life.login_code_attempts,
                login_code_sends=life.login_code_sends or 0,
                login_code_period_start=life.login_code_period_start,
                totp_secret=life.totp_secret,
                address_seen=self.throttles.get((account_id, address)) if address else None,
            )

    def get_pending(self, account_id: str, kind: str) -> tuple[Account, Pending] | None:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                return None
            return account, self._life(account_id).pending.get(kind) or Pending(None, 0, 0, 0, 0)

    def token_state(self, account_id: str) -> TokenState | None:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                return None
            life = self._life(account_id)
            revoked = frozenset(s.partition(":")[2] for s in life.revoked_sids)
            return TokenState(life.token_gen, revoked, account.role or "citizen", account.office_id)

    def token_gen(self, account_id: str) -> int:
        with self.lock:
            return self._life(account_id).token_gen
