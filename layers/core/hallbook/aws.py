"""boto3 clients, created once per process on first use (not at cold start)."""

from __future__ import annotations

from functools import cache


@cache
def client(service: str):
    import boto3  # on first use: pynamodb needs botocore only, and the catalog routes no boto3 client

    return boto3.client(service)
