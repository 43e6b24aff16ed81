"""The account aggregate's port (R1 and account life): `AccountReader`, what the booking path reads of
an account, and `AccountStore`, what services.accounts, login, sessions, account_life, phone_change,
closure and reclaims read and write."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.ratelimit import Backoff, Budget
    from ..account_codes import Pending
    from ..accounts import Account
    from ..audit import AuditEntry
    from ..login_throttle import LoginGuard
    from ..outbox import Message
    from ..sessions import TokenState


class AccountReader(Protocol):
    def get_account(self, account_id: str) -> Account | None: ...

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        """Many accounts at once, by id (those that exist)."""
        ...

    def get_verified_citizen(self, account_id: str) -> Account | None:
        """May answer a verified citizen's account from a short per-process cache."""
        ...


class AccountStore(AccountReader, Protocol):
    """The account aggregate (services.accounts, login, sessions, account_life, phone_change, closure,
    reclaims):
    an account with its uniqueness claims, its one-time codes, its login throttle, second factor and
    sessions. Each write is one conditional step that succeeds whole or changes nothing; a code's
    attempt is counted BEFORE the code is compared, so parallel guesses compare no more than the limit."""

    def record_identity_check(self, account_id: str, verified: bool, source: str, at: str) -> None:
        """R1: the real-name check's outcome kept on the account (a verified citizen's cache forgets it)."""
        ...

    def find_account_id(self, login_key: str) -> str | None:
        """The account a claim names (`ID#`, `PHONE#`, `LOGIN#` in canonical form), if any."""
        ...

    def register_account(self, account: Account, logins: list[str], message: Message | None, now: datetime) -> None:
        """R1: the account, its claims and its first SMS, all or nothing. Raises PhoneTaken (a phone
        claim is held; it answers first) or IdTaken. An unverified account's claims are free again
        after UNVERIFIED_CLAIM_HOURS."""
        ...

    def mark_phone_verified(self, account: Account, code_hash: str) -> bool:
        """The code `code_hash` verifies the phone, once, while the claims are still the account's
        (they then stop expiring); False otherwise."""
        ...

    def count_verification_attempt(self, account_id: str, code_hash: str, limit: int) -> bool:
        """One attempt at the verification code `code_hash`, at most `limit` per code."""
        ...

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
        """A new verification code (attempts at 0) and its SMS, only while `sends_before` codes were sent."""
        ...

    def spend_stranger_attempt(self, limit: str, key: str, period: int, allowed: int, period_ends_at: float) -> bool:
        """One of `allowed` attempts in `period` for a key with no account behind it; False when spent."""
        ...

    def get_account_for_login(self, account_id: str, address: str | None = None) -> tuple[Account, LoginGuard] | None:
        """The account, its login guard and the back-off of `address`, strongly consistent."""
        ...

    def reserve_address_attempt(
        self, account_id: str, address: str, at: int, backoff: Backoff, seen: tuple[int, int] | None = None
    ) -> int:
        """Spend one attempt of the account (or a stranger's key) from `address` if the back-off allows
        one at `at`: 0, else the seconds still to wait (nothing counted)."""
        ...

    def reserve_login_budget(self, account_id: str, at: int, budget: Budget) -> int | None:
        """Spend one unit of the account's failure budget (all addresses): its new tat, None when spent."""
        ...

    def require_second_factor(self, account_id: str, until: int) -> None: ...

    def record_login_failure(self, account_id: str) -> None: ...

    def forget_address_attempts(self, account_id: str, address: str) -> None: ...

    def record_login_success(self, account_id: str, address: str, refund_seconds: int) -> None:
        """The address's back-off forgotten, failures at 0, `refund_seconds` of the budget given back."""
        ...

    def replace_login_code(
        self,
        account_id: str,
        code_hash: str,
        expires_at: int,
        sends: int,
        period_start: int,
        sends_before: int,
        message: Message,
    ) -> bool: ...

    def count_login_code_attempt(self, account_id: str, code_hash: str, limit: int) -> bool: ...

    def use_login_code(self, account_id: str, code_hash: str) -> bool:
        """Single use: True once, for the login that consumed the code."""
        ...

    def set_totp_secret(self, account_id: str, secret: str) -> None: ...

    def use_totp_step(self, account_id: str, step: int) -> bool:
        """A TOTP time step is good once, and only after the last one used."""
        ...

    def token_state(self, account_id: str) -> TokenState | None:
        """What a token is checked against (services.tokens.ensure_live): the generation, the logged-out
        sessions, role and office. May answer from a per-process cache a few seconds old."""
        ...

    def revoke_session(self, account_id: str, sid: str, expires_at: int, at: int) -> None: ...

    def change_password(self, account_id: str, old_hash: str, new_hash: str) -> int | None:
        """The new password and token generation + 1 while the password is still `old_hash`; the new
        generation, or None."""
        ...

    def get_pending(self, account_id: str, kind: str) -> tuple[Account, Pending] | None:
        """The account and its `kind` ("reset" or "phone") code."""
        ...

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
    ) -> bool: ...

    def count_pending_attempt(self, account_id: str, kind: str, code_hash: str, limit: int) -> bool: ...

    def reset_password(self, account_id: str, code_hash: str, password_hash: str, message: Message) -> int | None:
        """Rotate the password with the reset code `code_hash`, once, in one write with the generation
        + 1 and the login throttle cleared (budget, second factor, failures); the new generation or None."""
        ...

    def change_phone(
        self,
        account: Account,
        new_phone: str,
        code_hash: str | None,
        sms: list[Message],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        """R1: the phone's claim moves to `new_phone` (free, expired unverified, or the account's own),
        the account's phone set and verified, with the SMS and the audit entry, all or nothing. Raises
        PhoneTaken, or Cancelled when the account changed meanwhile (`code_hash`: the phone change's
        code must still be that one)."""
        ...

    def close_account(
        self, account: Account, pseudonym: str, sms: list[Message], now: datetime, audit: AuditEntry | None = None
    ) -> None:
        """PIPL: the claims deleted, the personal data erased (name kept as `pseudonym`), every token
        refused, with the SMS and the audit entry, all or nothing. Raises Cancelled if closed already."""
        ...

    def rebind_id_number(
        self,
        holder_id: str | None,
        strip_holder: bool,
        owner: Account,
        sms: list[Message],
        audit: AuditEntry | None = None,
    ) -> None:
        """R1, the owner's reclaim at a hall: the ID number's claim moves from `holder_id` (None: nobody
        holds it, or an expired unverified claim) to the owner's new account `owner`, with its phone's
        claim (free, expired, or the holder's), the account, the SMS and the audit entry, all or nothing;
        with `strip_holder` the holder's account keeps no ID number (nor wards). Raises PhoneTaken, or
        IdTaken when the claim changed hands meanwhile."""
        ...

    def count_code_attempt(self, account_id: str, limit: int) -> bool:
        """One attempt at the account's own code (a reclaim's), at most `limit`, counted BEFORE it is compared."""
        ...

    def set_first_password(self, account: Account, code_hash: str, password_hash: str) -> bool:
        """A reclaimed account's first password, once, with its code `code_hash` (which verifies the phone)."""
        ...
