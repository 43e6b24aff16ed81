"""boto3 clients, created once per process on first use (not at cold start)."""
from __future__ import annotations

from functools import cache

import boto3


@cache
def client(service: str):
    return boto3.client(service)
