"""R1/R2: the real-name source behind one interface.

The seeds' halls check a citizen's name and ID number against the provincial unified identity
platform and the public-security population database; carriers confirm that a phone is registered
to that ID number. Deployed, `HttpsVerifier` calls a configured provider (endpoint and credentials in
Secrets Manager, see template.yaml `IdentityVerifierSecret`) with short timeouts, two retries with
jittered back-off, and a circuit breaker, so a provider outage costs the noon rush nothing but a
"try again" for the few accounts not verified yet. Local mode and tests install a fake
(`local.identity.FakeVerifier`) with `set_verifier`.

The provider contract (an adapter in front of the provincial platform speaks it):
  POST {endpoint}/identity-checks {name, id_number, phone?}
    -> {"result": "match" | "mismatch", "phone_matches": true | false | null}
  POST {endpoint}/guardianship-checks {guardian_id_number, minor_id_number}
    -> {"result": "guardian" | "not_guardian" | "unknown"}
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..config import settings

if TYPE_CHECKING:
    from ..store.accounts import Account

log = logging.getLogger(__name__)

MATCH, MISMATCH, UNAVAILABLE = "match", "mismatch", "unavailable"


@dataclass(frozen=True)
class IdentityCheck:
    outcome: str  # match | mismatch | unavailable
    source: str  # which real-name source answered (e.g. "provincial-platform", "local-fake")
    phone_matches: bool | None = None  # the phone is registered to this ID number (None: not asked/unknown)

    @property
    def verified(self) -> bool:
        return self.outcome == MATCH and self.phone_matches is not False


class IdentityVerifier(Protocol):
    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck: ...

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        """True or False when the population database knows; None when it cannot say."""
        ...


class CircuitBreaker:
    """Open after `failures` consecutive failures; half-open (one trial call) after `reset_seconds`."""

    def __init__(self, failures: int = 5, reset_seconds: float = 30.0):
        self.failures, self.reset_seconds = failures, reset_seconds
        self._count = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at >= self.reset_seconds:
                self._opened_at = time.monotonic()  # one trial; a failure keeps it open
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self._count, self._opened_at = 0, None

    def failed(self) -> None:
        with self._lock:
            self._count += 1
            if self._count >= self.failures:
                self._opened_at = time.monotonic()


CREDENTIALS_CACHE_SECONDS = (
    300  # how long a process reuses the provider's credentials (a rotation reaches it within this)
)


class HttpsVerifier:
    SOURCE = "provincial-platform"

    def __init__(self, endpoint: str, secret_arn: str, timeout: float = 1.5, retries: int = 2):
        self.endpoint, self.secret_arn = endpoint.rstrip("/"), secret_arn
        self.timeout, self.retries = timeout, retries
        self.breaker = CircuitBreaker()

    def _credentials(self) -> str:
        from ..aws import secret

        return secret(self.secret_arn, max_age=CREDENTIALS_CACHE_SECONDS) or ""

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if not self.breaker.allow():
            return None
        body = json.dumps(payload, ensure_ascii=False).encode()
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(
                f"{self.endpoint}{path}",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._credentials()}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https endpoint from config
                    answer = json.loads(response.read())
                self.breaker.succeeded()
                return answer if isinstance(answer, dict) else None
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code != 429:
                    self.breaker.succeeded()  # the provider answered: a bad request is not an outage
                    log.warning("identity provider refused the request", extra={"status": error.code})
                    return None
            except (OSError, ValueError):
                pass
            if attempt < self.retries:
                time.sleep(min(1.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
        self.breaker.failed()
        log.warning("identity provider unavailable", extra={"path": path})
        return None

    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck:
        answer = self._post("/identity-checks", {"name": name, "id_number": id_number, "phone": phone})
        if answer is None or answer.get("result") not in (MATCH, MISMATCH):
            return IdentityCheck(UNAVAILABLE, self.SOURCE)
        phone_matches = answer.get("phone_matches")
        return IdentityCheck(
            str(answer["result"]), self.SOURCE, phone_matches if isinstance(phone_matches, bool) else None
        )

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        answer = self._post(
            "/guardianship-checks", {"guardian_id_number": guardian_id_number, "minor_id_number": minor_id_number}
        )
        result = (answer or {}).get("result")
        return True if result == "guardian" else False if result == "not_guardian" else None


class UnconfiguredVerifier:
    """No provider configured: nothing is verified (accounts cannot book until one is)."""

    SOURCE = "none"

    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck:
        return IdentityCheck(UNAVAILABLE, self.SOURCE)

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        return None


_verifier: IdentityVerifier | None = None


def get_verifier() -> IdentityVerifier:
    global _verifier
    if _verifier is None:
        config = settings()
        _verifier = (
            HttpsVerifier(config.identity_verifier_url, config.identity_verifier_secret_arn)
            if config.identity_verifier_url
            else UnconfiguredVerifier()
        )
    return _verifier


def set_verifier(verifier: IdentityVerifier | None) -> None:
    global _verifier
    _verifier = verifier


# ---------------------------------------------------------------- the use cases around the check


def check_registration(name: str, id_number: str, phone: str) -> IdentityCheck:
    """R1 at registration: a name + ID number (+ phone) the real-name source says do not belong together
    is refused, without saying which part did not match. An unavailable source does not stop a
    registration: the account then cannot book until a later check succeeds (`ensure_verified`)."""
    from ..domain.errors import ValidationFailed

    result = get_verifier().check(name, id_number, phone)
    if result.outcome == MISMATCH or result.phone_matches is False:
        raise ValidationFailed(
            "The name, ID number and phone do not match the real-name record. If someone "
            "else registered your ID number, a hall can give it back to you.",
            field="id_number",
        )
    return result


def ensure_verified(account: Account, now: datetime) -> None:
    """R1 before booking: an account whose identity was never confirmed is checked again now."""
    from ..domain.errors import Busy, Forbidden
    from ..store.stores import stores

    if account.identity_verified:
        return
    result = get_verifier().check(account.name, account.id_number or "", account.phone)
    if result.outcome == UNAVAILABLE:
        raise Busy("The real-name check is unavailable just now; please try again in a minute.")
    stores().account_store.record_identity_check(account.account_id, result.verified, result.source, now.isoformat())
    if not result.verified:
        raise Forbidden("Your name and ID number did not pass the real-name check; visit a hall with your ID card.")
