"""The functions' environment as one validated model, read once per process.

template.yaml's Globals give every function the names of its tables, queues, bucket and secrets.
A variable that is missing or empty is an error the first time `settings()` is called, which the
handlers do at cold start (hallbook.web.app): the function stops there, naming the variable, instead
of running against a table called "CatalogTable" or a queue URL "". Local mode and the tests export
the same variables from the template (local/system.py) before anything reads them.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Name = Field(min_length=1)  # a resource name, URL or ARN the template always sets


class SettingsError(RuntimeError):
    """The environment lacks a variable the template sets, or one does not parse."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, env_ignore_empty=True, extra="ignore", frozen=True)

    stage: str = "dev"
    catalog_table: str = Name
    slots_table: str = Name
    accounts_table: str = Name
    bookings_table: str = Name
    outbox_table: str = Name
    tickets_table: str = Name
    audit_table: str = Name
    flags_table: str = Name  # R22: abuse flags and their counters
    permits_table: str = Name  # residence permits and their online applications (R17)
    rate_limits_table: str = Name
    uploads_bucket: str = Name  # application materials (R17)
    release_queue_url: str = Name
    sms_queue_url: str = Name
    sms_dlq_url: str = ""  # the jobs and notifier functions only (their own Environment in the template)
    jwt_secret_arn: str = ""
    # the key of keyed hashes (hallbook/keyed.py): pseudonyms of ID numbers and phones in logged keys,
    # and the seal on list cursors; never rotated
    hash_key_secret_arn: str = Name
    # local mode only: the JWT key when no secret ARN is configured
    jwt_local_key: str = Field(default="", repr=False)
    aws_endpoint_url: str | None = None  # local mode: the embedded AWS
    aws_region: str = Field(min_length=1, validation_alias=AliasChoices("aws_region", "aws_default_region"))
    token_ttl_seconds: int = 2 * 3600
    # R1/R2: the real-name source (HTTPS provider; its credentials in Secrets Manager). The template's
    # parameter default is no URL: services/identity.py then answers with its unconfigured verifier.
    identity_verifier_url: str = ""
    identity_verifier_secret_arn: str = ""
    # Rate limits, "<requests>/<seconds>" (hallbook/web/guard.py says which route counts what,
    # README "Limits" why these numbers). In memory per Lambda environment: no write per request.
    limit_booking_account: str = "10/10"
    limit_booking_address: str = "50/10"
    limit_availability_address: str = "10/2"
    # global, one conditional write per (key, period) in RATE_LIMITS_TABLE: low-volume, abuse-prone routes
    limit_sms_address: str = "20/3600"
    limit_register_address: str = "10/3600"
    limit_register_phone: str = "3/86400"
    limit_register_form_address: str = "30/600"  # registration forms tried per address, refused or not
    limit_verify_address: str = "30/3600"  # verification codes tried per address, known ID number or not
    limit_reset_address: str = "10/3600"  # password resets asked per address (an SMS each at most)
    limit_login_address: str = "30/60"  # logins tried per address, any login string (memory)
    limit_guardian_account: str = "10/86400"
    limit_guardian_minor: str = "5/86400"
    limit_proxy_account: str = "10/86400"  # R20: proxy requests per account a day
    limit_proxy_phone: str = "5/86400"  # ... and per citizen's phone: 5 codes a day at most
    # the waitlist (R18) and the delayed return of cancelled places (R19); README "Waitlist"
    waitlist_table: str = Name
    waitlist_hold_minutes: int = Field(default=20, ge=1)
    release_delay_min_minutes: int = Field(default=5, ge=0)
    release_delay_max_minutes: int = Field(default=30, ge=1)
    # fair release (R23); README "Draws"
    draws_table: str = Name
    # CORS (hallbook/web/app.py): the pages' origins, comma-separated (template parameter AllowedOrigins;
    # "*" is never honoured), and in local mode only its own origin once it listens (local/pages.py)
    allowed_origins: str = ""
    local_origins: str = ""
    # the notifier (hallbook/notify/pacing.py): the SMS account's rate, shared by the environments that
    # send (SMS_SENDERS = the SQS mapping's MaximumConcurrency)
    sms_rate_per_second: float = Field(default=20, gt=0)
    sms_senders: int = Field(default=1, ge=1)
    # X-Ray: the SDK (Powertools' Tracer) is loaded only where this asks for it (hallbook/observability.py)
    hallbook_xray_sdk: bool = False

    @model_validator(mode="after")
    def _a_signing_key(self) -> Settings:
        if not (self.jwt_secret_arn or self.jwt_local_key):
            raise ValueError("JWT_SECRET_ARN is missing (or, in local mode only, JWT_LOCAL_KEY)")
        return self

    @model_validator(mode="after")
    def _a_delay_range(self) -> Settings:
        if self.release_delay_max_minutes < self.release_delay_min_minutes:
            raise ValueError("RELEASE_DELAY_MAX_MINUTES is below RELEASE_DELAY_MIN_MINUTES")
        return self

    def cors_origins(self, first_allowed_only: bool = False) -> list[str]:
        """The origins whose pages may read the API's answers: ALLOWED_ORIGINS (only its first where
        API Gateway's preflight mock answers one), then LOCAL_ORIGINS; "*" never counts."""
        allowed, local = (
            [o.strip() for o in v.split(",") if o.strip() not in ("", "*")]
            for v in (self.allowed_origins, self.local_origins)
        )
        return (allowed[:1] if first_allowed_only else allowed) + local


def _explain(error: ValidationError) -> SettingsError:
    problems = []
    for e in error.errors():
        variable = "_".join(str(part) for part in e["loc"]).upper()
        if e["type"] == "missing":
            problems.append(f"{variable} is not set")
        elif variable:
            problems.append(f"{variable}: {e['msg']}")
        else:
            problems.append(str(e["msg"]).removeprefix("Value error, "))
    return SettingsError(
        "hallbook cannot start, its environment is incomplete: "
        + "; ".join(problems)
        + " (template.yaml's Globals set these; local mode exports them from the template)"
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]  # the required fields come from the environment
    except ValidationError as error:
        raise _explain(error) from None


def reset_settings() -> None:
    settings.cache_clear()
