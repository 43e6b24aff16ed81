"""What every store module shares: table settings for pynamodb models, the transaction connection,
and the retry of transactions that DynamoDB cancels for contention (pynamodb does not retry those)."""
from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from ..config import settings
from ..domain.errors import Busy

T = TypeVar("T")
RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
RETRYABLE_CAUSES = {"TransactionConflictException", "ThrottlingException", "ProvisionedThroughputExceededException",
                    "TransactionInProgressException", "InternalServerError"}
MAX_ATTEMPTS = 6
BASE_DELAY = 0.015
MAX_DELAY = 0.4


def endpoint() -> str | None:
    return settings().aws_endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


class BaseMeta:
    """Meta for every model: `table_name` is filled in by each model from the settings."""

    region = settings().aws_region
    host = endpoint()
    connect_timeout_seconds = 2
    read_timeout_seconds = 5
    max_retry_attempts = 3


_connection: Connection | None = None


def connection() -> Connection:
    global _connection
    if _connection is None:
        _connection = Connection(region=settings().aws_region, host=endpoint())
    return _connection


def reasons(error: TransactWriteError) -> list[str | None]:
    """One code per transaction item ('ConditionalCheckFailed', 'TransactionConflict', None, ...)."""
    return [r.code if r is not None else None for r in (error.cancellation_reasons or [])]


def is_retryable(error: TransactWriteError) -> bool:
    codes = {c for c in reasons(error) if c and c != "None"}
    if codes:
        return codes <= RETRYABLE_REASONS
    return error.cause_response_code in RETRYABLE_CAUSES


def with_retries(write: Callable[[], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """Run a transaction, retrying contention and throttling with full-jitter exponential backoff.
    A condition that fails is an answer, not contention: it is raised at once."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return write()
        except TransactWriteError as error:
            if not is_retryable(error) or attempt == MAX_ATTEMPTS - 1:
                if is_retryable(error):
                    raise Busy("The booking system is very busy; please try again in a moment.") from error
                raise
            sleep(random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt)))
    raise AssertionError("unreachable")
