"""Environment variables as one pydantic model (read once per process)."""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    stage: str = "dev"
    catalog_table: str = "CatalogTable"
    slots_table: str = "SlotsTable"
    accounts_table: str = "AccountsTable"
    bookings_table: str = "BookingsTable"
    outbox_table: str = "OutboxTable"
    idempotency_table: str = "IdempotencyTable"
    tickets_table: str = "TicketsTable"
    audit_table: str = "AuditTable"
    flags_table: str = "FlagsTable"  # R22: abuse flags and their counters
    permits_table: str = "PermitsTable"  # residence permits and their online applications (R17)
    uploads_bucket: str = "UploadsBucket"  # application materials (R17)
    release_queue_url: str = ""
    sms_queue_url: str = ""
    sms_dlq_url: str = ""  # the jobs function only: {"job": "redrive_sms"}
    jwt_secret_arn: str = ""
    # local mode only: the JWT key when no secret ARN is configured
    jwt_local_key: str = Field(default="", repr=False)
    aws_endpoint_url: str | None = None
    aws_region: str = "cn-north-1"
    token_ttl_seconds: int = 2 * 3600
    # R1/R2: the real-name source (HTTPS provider; its credentials in Secrets Manager)
    identity_verifier_url: str = ""
    identity_verifier_secret_arn: str = ""
    # issue 11: rate limits, "<requests>/<seconds>" (hallbook/web/guard.py says which route counts what,
    # README "Limits" why these numbers). In memory per Lambda environment: no write per request.
    limit_booking_account: str = "10/10"
    limit_booking_address: str = "50/10"
    limit_availability_address: str = "10/2"
    # global, one conditional write per (key, window) in RATE_LIMITS_TABLE: low-volume, abuse-prone routes
    limit_sms_address: str = "20/3600"
    limit_register_address: str = "10/3600"
    limit_register_phone: str = "3/86400"
    limit_guardian_account: str = "10/86400"
    limit_guardian_minor: str = "5/86400"
    limit_proxy_account: str = "10/86400"  # R20: proxy requests per account a day
    limit_proxy_phone: str = "5/86400"  # ... and per citizen's phone: 5 codes a day at most
    rate_limits_table: str = "RateLimitsTable"


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = {k.lower(): v for k, v in os.environ.items()}
    if "aws_region" not in env and "aws_default_region" in env:
        env["aws_region"] = env["aws_default_region"]
    fields = Settings.model_fields
    return Settings(**{k: v for k, v in env.items() if k in fields and v != ""})


def reset_settings() -> None:
    settings.cache_clear()
