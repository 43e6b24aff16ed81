"""API Gateway's stage cache, simulated in front of the local gateway's handlers.

What the template asks of the deployed stage (`Api`: CacheClusterEnabled, MethodSettings with
CachingEnabled / CacheTtlInSeconds per resource and method; each route's `RequestParameters` with
`Caching: true` name the cache key) is read from template.yaml, and served the way the stage cache
does: a GET whose route caches is answered from the cache while its entry is younger than the TTL,
keyed on the route, its path, the named query parameters and the named headers (Origin, whose
Access-Control-Allow-Origin the answer carries; If-None-Match, Authorization or anything else do not
vary it - a cached answer is a 200 with its ETag; 304s happen behind the cache, in the handler). Only 200 answers are kept. Time is the injected clock, so tests
and the benchmark move time instead of sleeping. `enabled = False` bypasses it (the benchmark
measures the environments' own caches that way).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hallbook.clock import get_clock


@dataclass(frozen=True)
class CacheRule:
    ttl_seconds: float
    path_keys: tuple[str, ...]  # path parameters in the key
    query_keys: tuple[str, ...]  # query string parameters in the key
    header_keys: tuple[str, ...] = ()  # request headers in the key (Origin: the answer's ACAO varies by it)


def rules_from_template(raw: Mapping[str, Any]) -> dict[tuple[str, str], CacheRule]:
    """(method, path) -> rule, for the routes the stage caches."""
    resources = raw.get("Resources", {})
    settings: dict[tuple[str, str], float] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::Api":
            continue
        properties = resource.get("Properties", {})
        if str(properties.get("CacheClusterEnabled", "false")).lower() != "true":
            continue
        for setting in properties.get("MethodSettings", []):
            if setting.get("CachingEnabled") is True and setting.get("ResourcePath") not in (None, "/*"):
                path = str(setting["ResourcePath"]).removeprefix("/").replace("~1", "/")  # "/~1v1~1x": /v1/x
                settings[(str(setting.get("HttpMethod", "GET")).upper(), path)] = float(
                    setting.get("CacheTtlInSeconds", 300)
                )
    rules: dict[tuple[str, str], CacheRule] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            p = event.get("Properties", {})
            key = (str(p.get("Method", "")).upper(), str(p.get("Path", "")))
            if key not in settings:
                continue
            named = []
            for parameter in p.get("RequestParameters") or []:
                if isinstance(parameter, dict):
                    named += [name for name, spec in parameter.items() if (spec or {}).get("Caching")]
            rules[key] = CacheRule(
                settings[key],
                tuple(n.rpartition(".")[2] for n in named if n.startswith("method.request.path.")),
                tuple(n.rpartition(".")[2] for n in named if n.startswith("method.request.querystring.")),
                tuple(n.rpartition(".")[2].lower() for n in named if n.startswith("method.request.header.")),
            )
    return rules


class EdgeCache:
    def __init__(self, rules: Mapping[tuple[str, str], CacheRule]):
        self.rules = dict(rules)
        self.enabled = True
        self.hits = self.misses = 0
        self._entries: dict[tuple, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _key(
        self,
        method: str,
        route_path: str,
        path_parameters: Mapping[str, str],
        query: list[tuple[str, str]],
        headers: Sequence[tuple[str, str]] = (),
    ) -> tuple | None:
        rule = self.rules.get((method, route_path)) if self.enabled else None
        if rule is None:
            return None
        values = dict(query)
        header_values = {name.lower(): value for name, value in headers}
        return (
            method,
            route_path,
            tuple(path_parameters.get(k) for k in rule.path_keys),
            tuple(values.get(k) for k in rule.query_keys),
            tuple(header_values.get(k) for k in rule.header_keys),
        )

    def lookup(
        self,
        method: str,
        route_path: str,
        path_parameters: Mapping[str, str],
        query: list[tuple[str, str]],
        headers: Sequence[tuple[str, str]] = (),
    ) -> Any | None:
        """The cached response, or None (a miss, or a route that is not cached)."""
        key = self._key(method, route_path, path_parameters, query, headers)
        if key is None:
            return None
        at = get_clock().now().timestamp()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and 0 <= at - entry[0] < self.rules[(method, route_path)].ttl_seconds:
                self.hits += 1
                return entry[1]
            self.misses += 1
        return None

    def store(
        self,
        method: str,
        route_path: str,
        path_parameters: Mapping[str, str],
        query: list[tuple[str, str]],
        headers: Sequence[tuple[str, str]],
        response: Any,
    ) -> None:
        key = self._key(method, route_path, path_parameters, query, headers)
        if key is None or getattr(response, "status", None) != 200:
            return
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (get_clock().now().timestamp(), response)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
