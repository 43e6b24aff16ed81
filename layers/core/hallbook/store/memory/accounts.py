"""The account aggregate in memory (store.stores.AccountStore): accounts, their uniqueness claims, codes,
login throttle, second factor and sessions under one lock, each write all-or-nothing under the same
conditions as store/account_claims.py, account_codes.py, login_throttle.py, second_factor.py and
sessions.py, raising the same exceptions (PhoneTaken, IdTaken, store.base.Cancelled).

What it leaves out, because only DynamoDB can show it (tests/api, tests/races): races between
processes, the retries on contention, TTL deletion of the throttle items, and the per-process caches of
store.accounts (verified citizens) and store.sessions (token state), which it does not need."""

from __future__ import annotations

from .account_claims import ClaimWrites
from .account_codes import CodeWrites
from .account_state import Claim, Life
from .login_throttle import LoginThrottle
from .sessions import SessionWrites

__all__ = ["Claim", "Life", "MemoryAccounts"]


class MemoryAccounts(ClaimWrites, CodeWrites, LoginThrottle, SessionWrites):
    """The account aggregate (store.ports.accounts.AccountStore): one AccountState, written by each
    part's methods under its one lock."""
