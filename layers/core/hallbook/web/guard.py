"""Before the resolver: who may call each route (so a refusal never lists a body's fields), and how often.

Powertools validates a request's body, path and query before the route's code runs, so a route that
checks its caller itself (web/auth.py) answers an anonymous PUT with a bad body 422 and the list of
fields. Each route's declaration (web/routing.py, beside its handler) names its roles once; `admit`
checks them on the raw event first: no or invalid token 401, wrong role (or staff of another office)
403, and only then the body. The routes keep their own checks (ensure_live, the office of an
application): the declaration decides who reaches validation, the routes still decide who is served.
tests/api/test_guard.py asserts that the declarations are exactly the template's routes.

Rate limits ride in the same declarations (README "Limits"). Two lines, by cost:
- booking attempts and availability polls, the noon rush's volume: this environment's memory
  (domain.ratelimit.Buckets), no DynamoDB write per request; AWS WAF's rate-based rules in the
  template are the global line in front of every environment;
- registration and SMS codes, low volume and abuse-prone: global counters (store.ratelimits, one
  conditional write per limit), so the limit holds however many environments serve the attacker.
Client addresses are counted before the account or phone a request names, and a refused request
charges nothing further, so an attacker's flood spends the attacker's own address first.
Answers are 429 RATE_LIMITED with Retry-After: the real wait on the injected clock, rounded up.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ..clock import now
from ..domain.errors import DomainError, Forbidden, RateLimited
from ..domain.identity import canonical_or_none
from ..domain.ratelimit import Buckets, Period, Rate, retry_after
from ..i18n import N_
from ..services import tokens
from .problems import PROBLEM_JSON, from_domain
from .routing import ROUTES, Limit
from .routing import Route as Rule

logger = logging.getLogger(__name__)
metrics = Metrics()  # Powertools' metrics are one set per process: web.app's log_metrics flushes these


BUCKETS = Buckets()  # this environment's in-memory limits


@dataclass(frozen=True)
class Refusal:
    """A refusal made before the resolver, as the proxy result API Gateway answers with."""

    error: DomainError

    @property
    def status(self) -> int:
        return self.error.status

    def to_proxy(self) -> dict:
        response = from_domain(self.error)
        return {
            "statusCode": response.status_code,
            "headers": {**response.headers, "Content-Type": PROBLEM_JSON},
            "body": response.body,
            "isBase64Encoded": False,
        }


# ---------------------------------------------------------------- the two calls of web.app


def admit(event: dict) -> Refusal | None:
    """Before the body is read: the in-memory limits by client address, then the caller's token and
    role (401/403), then the in-memory limits by account."""
    rule = rule_of(event)
    if rule is None:
        return None  # not a route of the template: the resolver answers it
    address = client_address(event)
    try:
        _take([limit for limit in rule.limits if not limit.shared and limit.by == "address"], {"address": address})
        try:
            caller = authorise(rule, event)
        except DomainError:
            raise
        except Exception:  # noqa: BLE001 - e.g. the signing key unreadable: the route fails the same way, as a 500 problem
            logger.exception("the guard could not check the token; the route will")
            return None
        try:
            _take(
                [limit for limit in rule.limits if not limit.shared and limit.by == "account"],
                {"account": caller.account_id if caller else None},
            )
        except RateLimited as error:
            _noon_burst(caller, error)
            raise
    except DomainError as error:
        return _refused(error)
    return None


def meter(event: dict) -> Refusal | None:
    """After the body was found to be one JSON object: the global counters (registration, SMS codes),
    client address first. A store failure lets the request through (logged): the routes' own
    per-account limits still hold."""
    rule = rule_of(event)
    shared = [limit for limit in rule.limits if limit.shared] if rule else []
    if not shared:
        return None
    keys = {"address": client_address(event), **_body_keys(event)}
    if any(limit.by == "account" for limit in shared):
        keys["account"] = _account_of(event)
    from ..store import ratelimits

    at = now().timestamp()
    charged: list[tuple[str, str, int]] = []
    _CHARGED.set(charged)
    try:
        for limit in shared:
            key = keys.get(limit.by)
            if key is None:
                continue
            rate = limit.rate()
            period = Period(rate, at)
            if not ratelimits.count(limit.name, key, period.index, rate.count, period.ends_at):
                _give_back(charged)  # a refused request charges nothing
                raise _limited(limit, rate, period.wait)
            if limit.forms_free:
                charged.append((limit.name, key, period.index))
    except DomainError as error:
        return _refused(error)
    except Exception:  # noqa: BLE001 - a counter that cannot be reached must not take registration down
        logger.exception("rate-limit counter unavailable; request let through")
    return None


_CHARGED: ContextVar[list[tuple[str, str, int]] | None] = ContextVar("charged", default=None)


def settle(result: dict) -> None:
    """After the route answered: a request it refused (no 2xx: nothing was sent) gives back the units of
    the limits that count SMS sent (`forms_free`), so a mistyped ID number never spends a quota meant
    for SMS. What bounds refused attempts is their own limit (e.g. register_form_address)."""
    charged = _CHARGED.get()
    if not charged:
        return
    _CHARGED.set(None)
    if not 200 <= int(result.get("statusCode") or 0) < 300:
        _give_back(charged)


def _give_back(charged: list[tuple[str, str, int]]) -> None:
    from ..store import ratelimits

    try:
        for name, key, period in charged:
            ratelimits.give_back(name, key, period)
    except Exception:  # noqa: BLE001 - a unit not given back only makes the limit stricter
        logger.exception("rate-limit counter unavailable; a unit was not given back")
    charged.clear()


# ---------------------------------------------------------------- authorisation


def rule_of(event: dict) -> Rule | None:
    return ROUTES.get((str(event.get("httpMethod") or "").upper(), str(event.get("resource") or "")))


def authorise(rule: Rule, event: dict) -> tokens.Caller | None:
    """The caller the rule admits (None for a public route); raises Unauthenticated or Forbidden with
    the words web/auth.py uses."""
    if not rule.roles:
        return None
    caller = tokens.verify(header(event, "Authorization"), now())
    if caller.role not in rule.roles:
        raise Forbidden(N_("This route is for these accounts: {roles}.", roles=list(rule.roles)))
    if rule.own_office and caller.role == "staff":
        office_id = (event.get("pathParameters") or {}).get("office_id")
        if caller.office_id != office_id:
            raise Forbidden("Staff may act only for their own office.")
    return caller


def header(event: dict, name: str) -> str | None:
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return value
    for key, values in (event.get("multiValueHeaders") or {}).items():
        if key.lower() == wanted and values:
            return values[-1]
    return None


def _account_of(event: dict) -> str | None:
    try:
        return tokens.verify(header(event, "Authorization"), now()).account_id
    except DomainError:
        return None


# ---------------------------------------------------------------- keys


def client_address(event: dict) -> str | None:
    """The address limits count by: API Gateway's requestContext.identity.sourceIp, IPv6 by /64 (what
    one subscriber holds). None - not counted by address - for loopback: only local mode's own gateway
    calls from there, for every client at once (tests, the browser, make bench); API Gateway always
    gives the client's real address."""
    raw = (((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp") or "").strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None  # not an API Gateway event (a direct invocation)
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None
    if address.version == 6:
        return f"{ipaddress.ip_network(f'{address}/64', strict=False).network_address}/64"
    return str(address)


def _body_keys(event: dict) -> dict[str, str]:
    """The body fields limits count by, normalised as the services would read them. A body that does not
    name them is refused by validation later, and sends nothing."""
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    keys = {}
    # R1: the canonical forms the services use, so +86, 0086, spaces and full-width digits are one key
    keys["phone"] = canonical_or_none("phone", body.get("phone"))
    keys["minor_id_number"] = canonical_or_none("id", body.get("minor_id_number"))
    return {k: v for k, v in keys.items() if v}


# ---------------------------------------------------------------- limits


def _take(limits: list[Limit], keys: dict[str, str | None]) -> None:
    """One request charged to this environment's bucket of every limit, or RateLimited (none charged)."""
    checks = {f"{limit.name}#{keys[limit.by]}": (limit, limit.rate()) for limit in limits if keys.get(limit.by)}
    if not checks:
        return
    wait, slowest = BUCKETS.take([(key, rate) for key, (_, rate) in checks.items()], now().timestamp())
    if slowest is not None:
        raise _limited(*checks[slowest], wait)


BY_WORDS = {
    "address": "from this address",
    "account": "from this account",
    "phone": "for this phone number",
    "minor_id_number": "for this minor",
}


def _limited(limit: Limit, rate: Rate, wait: float) -> RateLimited:
    seconds = retry_after(wait)
    return RateLimited(
        N_(
            "Too many {what} {by} (at most {rate}); try again in {seconds} seconds.",
            what=limit.what,
            by=BY_WORDS[limit.by],
            rate=str(rate),
            seconds=seconds,
        ),
        retry_after=seconds,
        limit=limit.name,
    )


def _refused(error: DomainError) -> Refusal:
    if isinstance(error, RateLimited):
        logger.info("rate limited", extra={"limit": error.extra.get("limit")})
        metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
    return Refusal(error)


_BURSTS_NOTED: set[str] = set()  # R22: one flag event per account and day in this environment


def _noon_burst(caller: tokens.Caller | None, error: RateLimited) -> None:
    """R22: an account whose booking attempts pass its limit in the noon minute is counted for the
    administrators' flags (once a day per environment: the refusal itself stays memory-only)."""
    from ..domain.flags import in_noon_minute

    at = now()
    if caller is None or error.extra.get("limit") != "booking_account" or not in_noon_minute(at):
        return
    key = f"{caller.account_id}#{at.date().isoformat()}"
    if key in _BURSTS_NOTED:
        return
    if len(_BURSTS_NOTED) > 100_000:
        _BURSTS_NOTED.clear()
    _BURSTS_NOTED.add(key)
    from ..services import flags

    flags.noon_burst(caller.account_id, at, error.extra.get("limit") or "")


def reset() -> None:
    """Forget this environment's in-memory counts (tests)."""
    BUCKETS.clear()
    _BURSTS_NOTED.clear()
