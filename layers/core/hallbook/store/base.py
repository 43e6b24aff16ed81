"""What every store module shares: table settings for pynamodb models, the by_account index, the
transaction connection, the retry of transactions that DynamoDB cancels for contention (pynamodb does
not retry those), the reading of a failed condition as an answer (transact's `answers`), and the
single-item reads and conditional writes (latest, updated_if, saved_if)."""

from __future__ import annotations

import base64
import hmac
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..config import SettingsError, settings
from ..domain.errors import Busy, Malformed

T = TypeVar("T")
RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
RETRYABLE_CAUSES = {
    "TransactionConflictException",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "InternalServerError",
}
MAX_ATTEMPTS = 6
BASE_DELAY = 0.015
MAX_DELAY = 0.4


def page(
    query: Callable[[Any], Iterable[Any]], cursor: str | None, convert: Callable[[Any], T], scope: str
) -> tuple[list[T], str | None]:
    """One page of a Query from `cursor` (a `next_cursor` this API gave out; None: the first page):
    `query(last_evaluated_key)` run, its items converted, and the next page's cursor (None: the
    last page). `scope` names the listing and its partition (e.g. "bookings:<account_id>"): a
    cursor is sealed for it, so one given out for another listing, account or office, or anything the
    API did not give out, raises Malformed (400 VALIDATION_ERROR) before DynamoDB sees it."""
    last_key = open_cursor(cursor, scope) if cursor else None
    result = query(last_key)
    items = [convert(i) for i in result]
    next_key = getattr(result, "last_evaluated_key", None)
    return items, seal_cursor(next_key, scope) if next_key else None


CURSOR_MAC_BYTES = 16


def seal_cursor(last_key: Mapping[str, Any], scope: str) -> str:
    """A cursor for `last_key` (DynamoDB's LastEvaluatedKey): its JSON and an HMAC over it and `scope`
    (hallbook/keyed.py), both url-safe base64, "<payload>.<seal>"."""
    from ..keyed import digest

    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    seal = digest(f"cursor {scope}", payload)[:CURSOR_MAC_BYTES]
    return f"{_b64(payload)}.{_b64(seal)}"


def open_cursor(cursor: str, scope: str) -> dict[str, Any]:
    """The LastEvaluatedKey a sealed cursor holds; ValidationFailed for anything else (400)."""
    from ..keyed import digest

    refused = Malformed("`cursor` is not one this API gave out for this list", field="cursor")
    payload_text, dot, seal_text = cursor.partition(".")
    try:
        payload, seal = _unb64(payload_text), _unb64(seal_text)
    except ValueError:
        raise refused from None
    if not dot or not hmac.compare_digest(seal, digest(f"cursor {scope}", payload)[:CURSOR_MAC_BYTES]):
        raise refused
    try:
        last_key = json.loads(payload)
    except ValueError:
        raise refused from None
    if not isinstance(last_key, dict):
        raise refused
    return last_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 4096:
        raise ValueError("empty or too long")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def endpoint() -> str | None:
    return settings().aws_endpoint_url or None


class FromSettings:
    """A Meta attribute read from the settings at each use, not when the model is defined: importing a
    store module needs no environment (unit tests import services without AWS), and the first use
    without one raises the settings' SettingsError naming the missing variable."""

    def __init__(self, name: str, *, optional: bool = False):
        self.name = name
        self.optional = optional

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return getattr(settings(), self.name)
        except SettingsError:
            # pynamodb asks hasattr(Meta, "region"/"host") when the model class is created; a real use
            # reads Meta.table_name first (Model._get_connection), which is not optional and raises.
            if self.optional:
                return None
            raise


def setting(name: str, *, optional: bool = False) -> Any:
    """For a model's Meta: `table_name = setting("slots_table")` (see FromSettings)."""
    return FromSettings(name, optional=optional)


class BaseMeta:
    """Meta for every model: each model sets `table_name = setting("<its table>_table")`."""

    region = setting("aws_region", optional=True)
    host = setting("aws_endpoint_url", optional=True)
    connect_timeout_seconds = 2
    read_timeout_seconds = 5
    max_retry_attempts = 3


class ByAccount(GlobalSecondaryIndex):
    """An account's items, newest first (`created_at`): its bookings, waitlist entries, applications."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


M = TypeVar("M", bound=Model)


def latest(model: type[M], hash_key: Any, range_key: Any = None) -> M | None:
    """The item as stored now (a strongly consistent GetItem); None when there is none."""
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except model.DoesNotExist:
        return None


def failed_condition(error: Exception) -> bool:
    """A single-item write refused by its condition (an answer, not a fault)."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def updated_if(item: Any, actions: list, condition: Any) -> bool:
    """UpdateItem of `item` under `condition`: True when written, False (nothing written) when the
    condition did not hold; any other failure is raised."""
    try:
        item.update(actions=actions, condition=condition)
        return True
    except UpdateError as error:
        if failed_condition(error):
            return False
        raise


def saved_if(item: Any, condition: Any) -> bool:
    """PutItem of `item` under `condition`: True when written, False (nothing written) when the
    condition did not hold; any other failure is raised."""
    try:
        item.save(condition=condition)
        return True
    except PutError as error:
        if failed_condition(error):
            return False
        raise


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


class Cancelled(Exception):
    """A transaction DynamoDB cancelled for a reason that is an answer (a failed condition)."""

    def __init__(self, codes: dict[str, str | None]):
        super().__init__(codes)
        self.codes = codes

    def failed(self, label: str) -> bool:
        return self.codes.get(label) == "ConditionalCheckFailed"


class Items:
    """Items of one transaction, each with a label. pynamodb sends condition checks, then deletes, then puts, then updates,
    whatever order they were added in; the labels are kept in that order so DynamoDB's cancellation
    reasons can be read by name."""

    def __init__(self, tx: TransactWrite):
        self._tx = tx
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def check(self, label: str, model_cls, hash_key, condition) -> None:
        self._tx.condition_check(model_cls, hash_key, condition=condition)
        self._labels["check"].append(label)

    def put(self, label: str, model, condition=None) -> None:
        self._tx.save(model, condition=condition)
        self._labels["put"].append(label)

    def update(self, label: str, model, actions, condition=None) -> None:
        self._tx.update(model, actions=actions, condition=condition)
        self._labels["update"].append(label)

    def delete(self, label: str, model, condition=None) -> None:
        self._tx.delete(model, condition=condition)
        self._labels["delete"].append(label)

    @property
    def labels(self) -> list[str]:
        return [label for operation in ("check", "delete", "put", "update") for label in self._labels[operation]]


class GuardMoved(Exception):
    """An item a write was conditioned on (its `guard`) changed since it was read."""


Guard = Callable[["Items"], None]  # adds condition checks, labelled "guard", to a transaction


Answer = BaseException | type[BaseException]


def transact(build: Callable[[Items], None], answers: Mapping[str, Answer] | None = None) -> None:
    """One TransactWriteItems built by `build`, retried on contention (see with_retries). A failed
    condition of an item labelled in `answers` raises that label's answer (the first in `answers`'
    order whose condition failed); any other failed condition raises Cancelled with the reason code
    of each labelled item."""
    try:
        _transact(build)
    except Cancelled as cancelled:
        _raise_answer(cancelled, answers)
        raise


def transact_unless(label: str, build: Callable[[Items], None], answers: Mapping[str, Answer] | None = None) -> bool:
    """transact(build, answers), True once written; False, nothing written, when the condition of the
    item labelled `label` failed (asked before `answers`)."""
    try:
        _transact(build)
        return True
    except Cancelled as cancelled:
        if cancelled.failed(label):
            return False
        _raise_answer(cancelled, answers)
        raise


def _raise_answer(cancelled: Cancelled, answers: Mapping[str, Answer] | None) -> None:
    for label, answer in (answers or {}).items():
        if cancelled.failed(label):
            raise answer from None


def put_next_version(tx: Items, label: str, item: Any, read_version: int) -> None:
    """`item` written as version `read_version + 1`, only while the stored one is still at
    `read_version` (0: none stored yet): the optimistic write of a document read at that version."""
    model = type(item)
    item.version = read_version + 1
    tx.put(label, item, model.pk.does_not_exist() if read_version == 0 else model.version == read_version)


def _transact(build: Callable[[Items], None]) -> None:
    attempt: list[Items] = []

    def write() -> None:
        with TransactWrite(connection=connection()) as tx:
            items = Items(tx)
            attempt[:] = [items]
            build(items)

    try:
        with_retries(write)
    except TransactWriteError as error:
        codes = reasons(error)
        if not codes:
            raise
        raise Cancelled(dict(zip(attempt[0].labels, codes))) from None


def with_retries(write: Callable[[], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """Run a transaction, retrying contention and throttling with full-jitter exponential backoff.
    A condition that fails is an answer, not contention: it is raised at once. (Fifteen lines kept by
    hand rather than tenacity: no dependency to load at every cold start, and the one question that
    matters here - is this cancellation an answer or contention - is ours to ask either way.)"""
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
