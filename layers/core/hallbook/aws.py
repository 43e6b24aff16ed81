"""boto3 clients, created once per process on first use (not at cold start), and the one way a
secret is read (every secret is a Secrets Manager string: the signing keys, the hash key, the
real-name provider's credentials)."""

from __future__ import annotations

import threading
import time
from functools import cache


@cache
def client(service: str):
    import boto3  # on first use: pynamodb needs botocore only, and the catalog routes no boto3 client

    return boto3.client(service)


_lock = threading.Lock()
_secrets: dict[tuple[str, str], tuple[float, str | None]] = {}


def secret(arn: str, stage: str = "AWSCURRENT", max_age: float = 0) -> str | None:
    """The secret's string at `stage`, or None when the secret has no version there (AWSPREVIOUS
    before the first rotation). With `max_age`, a value this process read less than `max_age`
    seconds ago (process time: a cache age, not a business instant) is given again; callers that
    keep their own cache (the signing keys, the hash key) read afresh."""
    key = (arn, stage)
    if max_age:
        with _lock:
            cached = _secrets.get(key)
        if cached is not None and 0 <= time.monotonic() - cached[0] < max_age:
            return cached[1]
    secretsmanager = client("secretsmanager")
    try:
        value: str | None = secretsmanager.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]
    except secretsmanager.exceptions.ResourceNotFoundException:
        if stage == "AWSCURRENT":
            raise
        value = None
    if max_age:
        with _lock:
            _secrets[key] = (time.monotonic(), value)
    return value
