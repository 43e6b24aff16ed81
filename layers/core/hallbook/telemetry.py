"""Metrics for the operators' dashboards and alarms (template.yaml, "dashboards and alarms"): CloudWatch
embedded metric format through Powertools, namespace POWERTOOLS_METRICS_NAMESPACE (Hallbook), every
metric with the `service` dimension.

Dimensions stay few and bounded: a route family (ROUTE_FAMILIES, about ten), a refusal code (the
contract's table), who cancelled (citizen / operator / hall), a calendar source (three), and the
office only for the hall's queue gauge (the offices of one city: tens to a few hundred).
A metric without extra dimensions joins the invocation's one EMF line (flushed by the handler's
`log_metrics`); a dimensioned one is its own line at once. A metric never fails the work it counts.

tests/api/test_dashboards.py reads every metric the template's dashboards and alarms name and checks
that this code emits each one with those dimensions."""

from __future__ import annotations

import json
import logging

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit, single_metric

log = logging.getLogger(__name__)
metrics = Metrics()  # one set per process, shared with web.app's and the jobs' handlers

Count, Seconds, Milliseconds = MetricUnit.Count, MetricUnit.Seconds, MetricUnit.Milliseconds


def emit(name: str, value: float, unit: MetricUnit = Count, **dimensions: str) -> None:
    try:
        if not dimensions:
            metrics.add_metric(name=name, unit=unit, value=value)
            return
        with single_metric(name=name, unit=unit, value=value, default_dimensions=metrics.default_dimensions) as one:
            for key, dim in dimensions.items():
                one.add_dimension(name=key, value=str(dim) or "-")
    except Exception:  # noqa: BLE001 - a metric never fails a booking
        log.warning("metric %s not emitted", name, exc_info=True)


def count(name: str, value: float = 1, **dimensions: str) -> None:
    emit(name, value, Count, **dimensions)


def seconds(name: str, value: float, **dimensions: str) -> None:
    emit(name, max(0.0, value), Seconds, **dimensions)


# ---------------------------------------------------------------- one line per API request

# (method or "*", template path prefix, family), first match wins
ROUTE_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("POST", "/v1/bookings", "bookings"),
    ("*", "/v1/bookings", "my-bookings"),
    ("GET", "/v1/offices/{office_id}/availability", "availability"),
    ("*", "/v1/operator/", "operator"),
    ("*", "/v1/accounts", "accounts"),
    ("*", "/v1/sessions", "accounts"),
    ("*", "/v1/me", "accounts"),
    ("*", "/v1/guardian-links", "accounts"),
    ("*", "/v1/offices/{office_id}/check-ins", "hall"),
    ("*", "/v1/offices/{office_id}/tickets", "hall"),
    ("*", "/v1/offices/{office_id}/queue", "hall"),
    ("*", "/v1/offices/{office_id}/counters", "hall"),  # R15a: pause and resume
    ("*", "/v1/offices/{office_id}/guardian-links", "hall"),
    ("*", "/v1/offices/{office_id}/identity-reclaims", "hall"),
    ("*", "/v1/offices/{office_id}/applications", "applications"),
    ("*", "/v1/applications", "applications"),
    ("GET", "/v1/permits", "applications"),
    ("GET", "/v1/services", "catalog"),
    ("GET", "/v1/offices", "catalog"),
    ("GET", "/v1/openapi.json", "catalog"),
)


def route_family(method: str, resource: str) -> str:
    method = (method or "").upper()
    for wanted, prefix, family in ROUTE_FAMILIES:
        if (wanted in ("*", method)) and resource.startswith(prefix):
            return family
    return "admin" if resource.startswith("/v1/") else "other"


def request(event: dict, result: dict, elapsed_ms: float) -> None:
    """After each API request: its latency and outcome by route family, and the refusal's code."""
    try:
        status = int(result.get("statusCode") or 0)
        family = route_family(str(event.get("httpMethod") or ""), str(event.get("resource") or ""))
        line = EphemeralMetrics()
        line.add_dimension(name="family", value=family)
        line.add_metric(name="RouteLatency", unit=Milliseconds, value=round(elapsed_ms, 2))
        line.add_metric(name="Requests", unit=Count, value=1)
        line.add_metric(name="ClientErrors", unit=Count, value=1 if 400 <= status < 500 else 0)
        line.add_metric(name="ServerErrors", unit=Count, value=1 if status >= 500 else 0)
        line.flush_metrics()
        if status >= 400:
            code = _code(result)
            if code:
                count("Refusals", code=code)
    except Exception:  # noqa: BLE001
        log.warning("request metrics not emitted", exc_info=True)


def _code(result: dict) -> str | None:
    try:
        body = json.loads(result.get("body") or "{}")
    except (TypeError, ValueError):
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code.isupper() and len(code) <= 40 else None
