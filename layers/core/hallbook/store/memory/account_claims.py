"""The account aggregate's claims in memory, as store/account_claims.py writes them: a registration,
a verified phone, a phone change, a closure and a reclaim's rebind, each moving the `ID#`/`PHONE#`
claims and the account together, all or nothing, raising PhoneTaken, IdTaken or Cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ...domain.errors import IdTaken, PhoneTaken
from ..account_claims import UNVERIFIED_CLAIM_HOURS
from ..accounts import Account
from ..audit import AuditEntry
from ..base import Cancelled
from ..outbox import Message
from .account_state import AccountState, Claim, Life


class ClaimWrites(AccountState):
    """Who holds which ID number and phone."""

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
