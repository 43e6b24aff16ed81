"""The login throttle in memory, as store/login_throttle.py and ratelimits.py write it: the
back-off of each (account, address), the account's failure budget and second-factor requirement, and
the counters of keys with no account behind them."""

from __future__ import annotations

from dataclasses import replace

from ...domain.ratelimit import Backoff, Budget
from .account_state import AccountState


class LoginThrottle(AccountState):
    """How often a login may be tried."""

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
