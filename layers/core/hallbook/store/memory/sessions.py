"""Sessions and the second factor in memory, as store/second_factor.py and sessions.py write them:
the login code and TOTP steps (each good once), a logout, and a password change that ends every
session."""

from __future__ import annotations

from dataclasses import replace

from ..outbox import Message
from .account_state import AccountState


class SessionWrites(AccountState):
    """What a login and its token rest on."""

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
