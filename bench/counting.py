"""DynamoDB requests and write units, counted with botocore event hooks on every client that
boto3 or pynamodb creates, and attributed to the attempt running on the calling thread."""

from __future__ import annotations

import threading
from collections import Counter

import botocore.session

_local = threading.local()
_lock = threading.Lock()
totals: dict[str, Counter] = {}

WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def write_units(operation: str, params: dict) -> int:
    """Write units as DynamoDB bills them for items under 1 KB (a failed condition still costs)."""
    if operation == "TransactWriteItems":
        return 2 * len(params.get("TransactItems", []))
    if operation == "BatchWriteItem":
        return sum(len(v) for v in params.get("RequestItems", {}).values())
    return 1 if operation in WRITE_OPS else 0


_everywhere: str | None = None  # a bucket for requests of every thread (a job's own thread pool)


def _hook(model, params, **_):
    bucket = getattr(_local, "bucket", None) or _everywhere
    if bucket is None:
        return
    with _lock:
        c = totals.setdefault(bucket, Counter())
        c["requests"] += 1
        c["write_requests"] += model.name in WRITE_OPS
        c["write_units"] += write_units(model.name, params)
        c[model.name] += 1


_original = botocore.session.Session.create_client


def _create_client(self, service_name, *args, **kwargs):
    client = _original(self, service_name, *args, **kwargs)
    if service_name == "dynamodb":
        client.meta.events.register("before-parameter-build.dynamodb", _hook)
    return client


def install() -> None:
    botocore.session.Session.create_client = _create_client


class attributed:
    """with attributed() as a: ... ; a.counts is what that block cost (on this thread; `everywhere`: on
    every thread without a bucket of its own, e.g. the block's thread pool)."""

    def __init__(self, everywhere: bool = False):
        self.counts = Counter()
        self._everywhere = everywhere

    def __enter__(self):
        global _everywhere
        self._key = f"a{id(self)}"
        _local.bucket = self._key
        if self._everywhere:
            _everywhere = self._key
        return self

    def __exit__(self, *exc):
        global _everywhere
        _local.bucket = None
        if self._everywhere:
            _everywhere = None
        with _lock:
            self.counts = totals.pop(self._key, Counter())
        return False
