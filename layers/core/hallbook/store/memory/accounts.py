"""The account aggregate in memory (store.stores.AccountStore): accounts, their uniqueness claims, codes,
login throttle, second factor and sessions under one lock, each write all-or-nothing under the same
conditions as store/account_claims.py, account_codes.py, login_throttle.py, second_factor.py and
sessions.py, raising the same exceptions (PhoneTaken, IdTaken, store.base.Cancelled).

What it leaves out, because only DynamoDB can show it (tests/api, tests/races): races between
processes, the retries on contention, TTL deletion of the throttle items, and the per-process caches of
store.accounts (verified citizens) and store.sessions (token state), which it does not need."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ...domain.errors import IdTaken, PhoneTaken
from ...domain.ratelimit import Backoff, Budget
from ..account_claims import UNVERIFIED_CLAIM_HOURS
from ..account_codes import Pending
from ..accounts import Account
from ..audit import AuditEntry
from ..base import Cancelled
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
class MemoryAccounts:
    """The account aggregate: accounts by id, claims by key, the back-off of each (account, address),
    the strangers' counters, the outbox and the audit entries its writes add."""

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

    # ---------------------------------------------------------------- registration and its code

    def register_account(self, account: Account, logins: list[str], message: Message | None, now: datetime) -> None:
        expires = None if account.phone_verified else (now + timedelta(hours=UNVERIFIED_CLAIM_HOURS)).isoformat()
        with self.lock:
            held = [k for k in logins if k in self.claims and not self.claims[k].free_at(now)]
            if any(k.startswith("PHONE#") for k in held):
                raise PhoneTaken("This phone number already belongs to another ID number.")
            if held:
                raise IdTaken("This ID number already has an account.")
            if account.account_id in self.accounts:
                raise Cancelled({"account": "ConditionalCheckFailed"})
            for key in logins:
                self.claims[key] = Claim(account.account_id, expires)
            self.accounts[account.account_id] = replace(account, code_attempts=0, login_failures=0, wards=frozenset())
            self.life[account.account_id] = Life()
            if message is not None:
                self.outbox.append(message)

    def mark_phone_verified(self, account: Account, code_hash: str) -> bool:
        with self.lock:
            stored = self.accounts.get(account.account_id)
            keys = (f"ID#{account.id_number}", f"PHONE#{account.phone}")
            claims = [self.claims.get(k) for k in keys]
            if stored is None or stored.code_hash != code_hash:
                return False
            if any(c is None or c.account_id != account.account_id for c in claims):
                return False
            for claim in claims:
                if claim is not None:
                    claim.expires_at = None
            self.accounts[account.account_id] = replace(
                stored, phone_verified=True, code_hash=None, code_expires_at=None, code_attempts=0
            )
            return True

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

    def spend_stranger_attempt(self, limit: str, key: str, period: int, allowed: int, period_ends_at: float) -> bool:
        with self.lock:
            spent = self.stranger_counts.get((limit, key, period), 0)
            if spent >= allowed:
                return False
            self.stranger_counts[(limit, key, period)] = spent + 1
            return True

    # ---------------------------------------------------------------- the login throttle

    def reserve_address_attempt(
        self, account_id: str, address: str, at: int, backoff: Backoff, seen: tuple[int, int] | None = None
    ) -> int:
        with self.lock:
            found = self.throttles.get((account_id, address))
            if found is None or found[1] <= at - backoff.quiet:
                self.throttles[(account_id, address)] = (1, at)
                return 0
            wait = backoff.wait(*found, at)
            if wait:
                return wait
            self.throttles[(account_id, address)] = (found[0] + 1, at)
            return 0

    def reserve_login_budget(self, account_id: str, at: int, budget: Budget) -> int | None:
        with self.lock:
            stored = self.accounts.get(account_id)
            if stored is None:
                return None
            life = self._life(account_id)
            if life.login_tat is None or life.login_tat < at:
                life.login_tat = at + budget.interval
            elif life.login_tat <= budget.last_tat(at):
                life.login_tat += budget.interval
            else:
                return None
            self.accounts[account_id] = replace(stored, login_failures=stored.login_failures + 1)
            return life.login_tat

    def require_second_factor(self, account_id: str, until: int) -> None:
        with self.lock:
            if account_id in self.accounts:
                life = self._life(account_id)
                if life.second_factor_until is None or life.second_factor_until < until:
                    life.second_factor_until = until

    def record_login_failure(self, account_id: str) -> None:
        with self.lock:
            stored = self.accounts.get(account_id)
            if stored is not None:
                self.accounts[account_id] = replace(stored, login_failures=stored.login_failures + 1)

    def forget_address_attempts(self, account_id: str, address: str) -> None:
        with self.lock:
            self.throttles.pop((account_id, address), None)

    def record_login_success(self, account_id: str, address: str, refund_seconds: int) -> None:
        with self.lock:
            self.throttles.pop((account_id, address), None)
            stored = self.accounts.get(account_id)
            if stored is None:
                return
            life = self._life(account_id)
            if refund_seconds:
                if life.login_tat is None:
                    return  # the condition of the whole update failed: nothing written
                life.login_tat -= refund_seconds
            self.accounts[account_id] = replace(stored, login_failures=0, locked_until=None)

    # ---------------------------------------------------------------- the second factor

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
        with self.lock:
            if account_id not in self.accounts:
                return False
            life = self._life(account_id)
            if life.login_code_sends is not None and life.login_code_sends != sends_before:
                return False
            life.login_code_hash, life.login_code_expires_at, life.login_code_attempts = code_hash, expires_at, 0
            life.login_code_sends, life.login_code_period_start = sends, period_start
            self.outbox.append(message)
            return True

    def count_login_code_attempt(self, account_id: str, code_hash: str, limit: int) -> bool:
        with self.lock:
            life = self._life(account_id)
            if (
                account_id not in self.accounts
                or life.login_code_hash != code_hash
                or life.login_code_attempts >= limit
            ):
                return False
            life.login_code_attempts += 1
            return True

    def use_login_code(self, account_id: str, code_hash: str) -> bool:
        with self.lock:
            life = self._life(account_id)
            if account_id not in self.accounts or life.login_code_hash != code_hash:
                return False
            life.login_code_hash, life.login_code_expires_at = None, 0
            return True

    def set_totp_secret(self, account_id: str, secret: str) -> None:
        with self.lock:
            if account_id in self.accounts:
                self._life(account_id).totp_secret = secret

    def use_totp_step(self, account_id: str, step: int) -> bool:
        with self.lock:
            life = self._life(account_id)
            if account_id not in self.accounts or (life.totp_last_step is not None and life.totp_last_step >= step):
                return False
            life.totp_last_step = step
            return True

    # ---------------------------------------------------------------- sessions and passwords

    def revoke_session(self, account_id: str, sid: str, expires_at: int, at: int) -> None:
        with self.lock:
            if account_id not in self.accounts:
                return
            life = self._life(account_id)
            life.revoked_sids.add(f"{expires_at}:{sid}")
            life.revoked_sids = {
                s for s in life.revoked_sids if not (s.partition(":")[0].isdigit() and int(s.partition(":")[0]) < at)
            }

    def change_password(self, account_id: str, old_hash: str, new_hash: str) -> int | None:
        with self.lock:
            stored = self.accounts.get(account_id)
            if stored is None or stored.password_hash != old_hash:
                return None
            self.accounts[account_id] = replace(stored, password_hash=new_hash)
            life = self._life(account_id)
            life.token_gen += 1
            return life.token_gen

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

    def change_phone(
        self,
        account: Account,
        new_phone: str,
        code_hash: str | None,
        sms: list[Message],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        with self.lock:
            key = f"PHONE#{new_phone}"
            claim = self.claims.get(key)
            if claim is not None and not claim.free_at(now) and claim.account_id != account.account_id:
                raise PhoneTaken("This phone number already belongs to another account.")
            old_key = f"PHONE#{account.phone}"
            moves_off = bool(account.phone and account.phone != new_phone)
            old = self.claims.get(old_key)
            stored = self.accounts.get(account.account_id)
            life = self._life(account.account_id)
            pending = life.pending.get("phone")
            if (
                (moves_off and (old is None or old.account_id != account.account_id))
                or stored is None
                or stored.phone != account.phone
                or (code_hash is not None and (pending is None or pending.code_hash != code_hash))
            ):
                raise Cancelled({"account": "ConditionalCheckFailed"})
            self.claims[key] = Claim(account.account_id)
            if moves_off:
                del self.claims[old_key]
            self.accounts[account.account_id] = replace(stored, phone=new_phone, phone_verified=True)
            if pending is not None:
                life.pending["phone"] = replace(pending, code_hash=None, expires_at=0, phone=None)
            self.outbox.extend(sms)
            if audit is not None:
                self.audit.append(audit)

    def close_account(
        self, account: Account, pseudonym: str, sms: list[Message], now: datetime, audit: AuditEntry | None = None
    ) -> None:
        with self.lock:
            keys = [f"ID#{account.id_number}", f"PHONE#{account.phone}"]
            keys = [k for k in keys if not k.endswith("#None")]
            stored = self.accounts.get(account.account_id)
            life = self._life(account.account_id)
            held_by_other = any(k in self.claims and self.claims[k].account_id != account.account_id for k in keys)
            if held_by_other or stored is None or life.closed_at is not None:
                raise Cancelled({"account": "ConditionalCheckFailed"})
            for key in keys:
                self.claims.pop(key, None)
            self.accounts[account.account_id] = replace(
                stored,
                name=pseudonym,
                id_number=None,
                phone=None,
                password_hash="",
                phone_verified=False,
                identity_verified=False,
                wards=frozenset(),
                code_hash=None,
                code_expires_at=None,
            )
            life.pending = {
                kind: replace(p, code_hash=None, expires_at=0, phone=p.phone if kind == "reset" else None)
                for kind, p in life.pending.items()
            }
            life.login_code_hash, life.login_code_expires_at, life.totp_secret = None, 0, None
            life.revoked_sids = set()
            life.token_gen += 1
            life.closed_at = now.isoformat()
            self.outbox.extend(sms)
            if audit is not None:
                self.audit.append(audit)

    def rebind_id_number(
        self,
        holder_id: str | None,
        strip_holder: bool,
        owner: Account,
        sms: list[Message],
        audit: AuditEntry | None = None,
    ) -> None:
        with self.lock:
            now = datetime.fromisoformat(owner.created_at)
            id_key, phone_key = f"ID#{owner.id_number}", f"PHONE#{owner.phone}"
            phone = self.claims.get(phone_key)
            if phone is not None and not phone.free_at(now) and phone.account_id != (holder_id or "-"):
                raise PhoneTaken("This phone number already belongs to another account.")
            held = self.claims.get(id_key)
            if holder_id is None:
                moved = held is not None and held.expires_at is None
            else:
                moved = held is None or held.account_id != holder_id
            if moved:
                raise IdTaken("The ID number's account changed meanwhile; look it up again.")
            holder = self.accounts.get(holder_id or "")
            if holder_id is not None and strip_holder:
                if holder is None:
                    raise Cancelled({"holder": "ConditionalCheckFailed"})
                self.accounts[holder_id] = replace(holder, id_number=None, identity_verified=False, wards=frozenset())
            if owner.account_id in self.accounts:
                raise Cancelled({"account": "ConditionalCheckFailed"})
            self.claims[id_key] = Claim(owner.account_id)
            self.claims[phone_key] = Claim(owner.account_id)
            self.accounts[owner.account_id] = replace(owner, role="citizen", office_id=None)
            self.outbox.extend(sms)
            if audit is not None:
                self.audit.append(audit)

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
