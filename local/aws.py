"""The embedded AWS: a moto server in a background thread of this process, one request at a time.

moto is not safe under concurrent requests (measured: unserialised, concurrent TransactWriteItems
were lost or duplicated in 4 runs out of 5), so a WSGI middleware holds one global lock for the
whole of every request. Code that reads moto's backends in-process (the SMS list) takes the same
lock through `EmbeddedAws.lock`.

Because every call is serialised, moto's TransactWriteItems no longer needs its defensive
deep copy of each table it touches (its cost grows with the table: ~300 tx/s with 1 item,
~10 tx/s with 5,000). `install_moto_patches` replaces it with a check-then-apply version, and
`install_partition_queries` hands a Query on a table's key only its partition.

Both replace moto internals, read in moto 5.2.5 (MOTO_VERSION): another moto refuses to start rather
than run patches written for code that may have changed under them.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import moto
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoResult
from moto.dynamodbstreams.models import ShardIterator
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from local import s3post

MOTO_VERSION = "5.2.5"  # what the patches below were written against (requirements-dev.txt pins it)
ITEM_SIZE_LIMIT = 405000  # moto 5.2.5's (LimitedSizeDict): between DynamoDB's measured 409 and 410 KB

# (code, message, item) per transaction item, as moto's TransactionCanceledException takes them
_Reason = tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]
_NO_ERROR: _Reason = (None, None, None)


@dataclass
class EmbeddedAws:
    """A running embedded AWS. `url` is the endpoint for every boto3/pynamodb client."""

    url: str
    lock: threading.Lock
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def reset(self) -> None:
        """Forget every resource and item in every service (moto's POST /moto-api/reset)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request) as response:
            response.read()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def start_embedded_aws(port: int = 0) -> EmbeddedAws:
    """Serve moto on 127.0.0.1:`port` (0 = a free port) from a daemon thread; returns at once."""
    install_moto_patches()
    lock = threading.Lock()
    app = _serialised(DomainDispatcherApplication(create_backend_app), lock)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="embedded-aws", daemon=True)
    thread.start()
    return EmbeddedAws(url=f"http://127.0.0.1:{server.server_port}", lock=lock, _server=server, _thread=thread)


class _QuietHandler(MotoRequestHandler):
    """moto's request handler without one log line per AWS call."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _serialised(app: Callable[..., Iterable[bytes]], lock: threading.Lock) -> Callable[..., list[bytes]]:
    """WSGI middleware: the whole request, including producing the body, runs under `lock`."""

    def serialised_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            _count_writes(environ)
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return serialised_app


# ------------------------------------------------------------ how often each table was written

_DYNAMODB_READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "DescribeEndpoints",
        "DescribeLimits",
        "DescribeStream",
        "GetRecords",
        "GetShardIterator",
        "ListStreams",
    }
)
_writes: dict[str, int] = {}  # table name -> write requests that named it
_writes_unattributed = 0  # write requests whose tables could not be told (and moto resets): every table's


def table_generation(table_name: str) -> tuple[int, int]:
    """A number that changes whenever a request may have written `table_name`: equal generations,
    same items. Read it before reading the table, so a write in between shows as a change."""
    return _writes.get(table_name, 0), _writes_unattributed


def count_unattributed_write() -> None:
    """Every table may have changed without a request (local.emptying)."""
    global _writes_unattributed
    _writes_unattributed += 1


def _count_writes(environ: dict[str, Any]) -> None:
    """Any DynamoDB request that is not a known read counts as a write of the tables it names (all
    of them when they cannot be told apart)."""
    global _writes_unattributed
    if environ.get("PATH_INFO", "").startswith("/moto-api/reset"):
        _writes_unattributed += 1
        return
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    service, _, operation = target.partition(".")
    if not service.startswith("DynamoDB_") or operation in _DYNAMODB_READS:
        return
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        request = json.loads(body or b"{}")
        names = (
            set(request.get("RequestItems", {}))
            if operation == "BatchWriteItem"
            else {
                operation_body["TableName"]
                for item in request.get("TransactItems", [])
                for operation_body in item.values()
            }
            if operation == "TransactWriteItems"
            else {request["TableName"]}
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        _writes_unattributed += 1
        return
    for name in names:
        _writes[name] = _writes.get(name, 0) + 1


def _check_moto_version() -> None:
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(
            f"local/aws.py patches moto {MOTO_VERSION}'s DynamoDB internals (TransactWriteItems, Query, "
            f"shard iterators, Item, read results) and moto {moto.__version__} is installed: install moto[server,dynamodb]=="
            f"{MOTO_VERSION} (requirements-dev.txt), or read the patched moto code again and update them"
        )


def install_moto_patches() -> None:
    """Idempotent. Only correct while every moto call is serialised (see the module docstring)."""
    _check_moto_version()
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    ShardIterator.get = _single_use_shard_iterator_get  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    DynamoResult.execute_result = _dynamo_result_body  # type: ignore[method-assign]
    _remember_pure_lookups()
    s3post.install()  # S3's presigned POST policies, which moto does not check (local/s3post.py)


MOTO_TRANSACT_WRITE_ITEMS = DynamoDBBackend.transact_write_items  # moto's own: what tests compare against
MOTO_ITEM_INIT = Item.__init__
MOTO_BACKEND_FOR_HOST = DomainDispatcherApplication.get_backend_for_host
MOTO_CAMELCASE_TO_UNDERSCORES = moto_utils.camelcase_to_underscores
MOTO_METHOD_NAMES_FROM_CLASS = moto_responses.method_names_from_class


def _remember_pure_lookups() -> None:
    """Three of moto's lookups per request, kept once computed (about half of the embedded AWS's CPU
    in a clock move): which backend serves a host (moto lists its own package directories on disk for
    each request), the method names of a response class (inspect.getmembers, each request) and a
    name's snake_case (a character loop, ~16 times a request). Each depends only
    on its argument. Modules that imported the name already are pointed at the kept version too."""
    backends: dict[str | None, Any] = {}

    def backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in backends:
            backends[host] = MOTO_BACKEND_FOR_HOST(self, host)
        return backends[host]

    DomainDispatcherApplication.get_backend_for_host = backend_for_host  # type: ignore[method-assign]
    method_names: dict[object, list[str]] = {}

    def method_names_from_class(clazz: object) -> list[str]:  # inspect.getmembers of a response class
        if clazz not in method_names:
            method_names[clazz] = MOTO_METHOD_NAMES_FROM_CLASS(clazz)
        return method_names[clazz]

    moto_responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]
    snake = functools.lru_cache(maxsize=4096)(MOTO_CAMELCASE_TO_UNDERSCORES)
    for name, module in list(sys.modules.items()):
        moto_module = name == "moto" or name.startswith("moto.")
        if moto_module and getattr(module, "camelcase_to_underscores", None) is MOTO_CAMELCASE_TO_UNDERSCORES:
            module.camelcase_to_underscores = snake  # type: ignore[attr-defined]


MOTO_DYNAMO_RESULT_BODY = DynamoResult.execute_result
FAST_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_fast_read_headers: dict[str, dict[str, str]] = {}  # operation -> the headers moto's serializer gave it
_slow_reads: set[str] = set()  # operations whose first answer json.dumps did not reproduce


def _dynamo_result_body(self: DynamoResult, context: Any) -> Any:
    """The body of a DynamoDB read's answer by json.dumps: moto 5.2.5 walks the botocore output
    shape for every attribute of every item (~30% of moto's CPU in a clock move), although a read's
    result is already the wire's JSON (`dynamo_to_dict`). Self-checked: the first answer of each
    operation goes through moto's serializer and is compared with json.dumps's; only an operation
    whose bodies were equal (as JSON) takes the short way afterwards, with the headers moto gave it.
    Anything json.dumps cannot write (binary attributes) takes moto's way."""
    operation = context.operation_model.name
    headers = _fast_read_headers.get(operation)
    if headers is not None:
        try:
            return 200, dict(headers), json.dumps(self.result, separators=(",", ":"))
        except (TypeError, ValueError):
            pass
    status, headers, body = MOTO_DYNAMO_RESULT_BODY(self, context)
    if (
        operation in FAST_READS
        and operation not in _slow_reads
        and operation not in _fast_read_headers
        and status == 200
    ):
        try:
            same = json.loads(body) == json.loads(json.dumps(self.result))
        except (TypeError, ValueError):
            same = False
        if same:
            _fast_read_headers[operation] = dict(headers)
        else:
            _slow_reads.add(operation)
    return status, headers, body


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's Item, with its 400 KB check made once: moto's LimitedSizeDict sums the size of every
    attribute at each attribute set, O(attributes squared) per item - half the CPU of a batch of
    slots. Sizes are never negative, so the whole item is over the limit exactly when some prefix of
    its attributes is: the same refusals (ItemSizeTooLarge), at the same inputs."""
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, values)  # later sets (update expressions) still go through its check


_original_shard_iterator_get = ShardIterator.get


def _single_use_shard_iterator_get(self: ShardIterator, limit: int = 1000) -> dict[str, Any]:
    """moto keeps every shard iterator it ever issued (~1 KB each, one per GetRecords). A stream
    poller running for hours would grow without bound, so a consumed iterator is forgotten."""
    self.streams_backend.shard_iterators.pop(self.arn, None)
    return _original_shard_iterator_get(self, limit)


@dataclass
class _Write:
    """A Put, Delete or Update of a transaction whose conditions have all passed."""

    op_type: str
    op: dict[str, Any]
    table: Table
    key: dict[str, Any]


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's TransactWriteItems with the same checks, errors and messages, in two phases:
    phase 1 checks unicity and every condition against the current items and writes nothing;
    phase 2 applies the writes, restoring only the touched items if one of them fails.

    One difference: a write that moto rejects only while applying it (an invalid update
    expression, an item too large) is not reached when another item's condition failed, so the
    answer is TransactionCanceledException where moto's would be ValidationException.
    """
    if len(transact_items) > 100:
        raise TooManyTransactionsException()

    target_items: set[tuple[str, str]] = set()
    reasons: list[_Reason] = []
    writes: list[_Write] = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        old_image: dict[str, Any] | None = None
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                table = self.get_table(table_name)
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]

            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in target_items:
                raise MultipleTransactionsException()
            target_items.add(unique)

            current = self.get_item(table_name, key)
            if op.get("ConditionExpression") is not None:
                condition = get_filter_expression(
                    op["ConditionExpression"],
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not condition.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        old_image = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=old_image)
            if op_type != "ConditionCheck":
                writes.append(_Write(op_type, op, self.get_table(table_name), key))
            reasons.append(_NO_ERROR)
        except MockValidationException:  # includes MultipleTransactionsException
            raise
        except ConditionalCheckFailed as e:
            reasons.append(("ConditionalCheckFailed", str(e.message), old_image))
        except Exception as e:  # moto reports any other failure as the item's reason
            reasons.append((type(e).__name__, str(e), None))

    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    _apply(self, transact_items, writes)


def _apply(backend: DynamoDBBackend, transact_items: list[dict[str, Any]], writes: list[_Write]) -> None:
    """Phase 2. Failures are reported per item exactly as moto's single loop reports them."""
    snapshot = _Snapshot(backend, writes)
    failures: dict[int, _Reason] = {}
    for index, write in enumerate(writes):
        op = write.op
        try:
            if write.op_type == "Put":
                backend.put_item(
                    op["TableName"],
                    op["Item"],
                    condition_expression=op.get("ConditionExpression"),
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
            elif write.op_type == "Delete":
                backend.delete_item(
                    op["TableName"],
                    write.key,
                    condition_expression=op.get("ConditionExpression"),
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
            else:
                backend.update_item(
                    op["TableName"],
                    write.key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=op.get("ConditionExpression"),
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
        except MockValidationException:
            snapshot.restore()
            raise
        except Exception as e:
            failures[index] = (type(e).__name__, str(e), None)

    if failures:
        snapshot.restore()
        # one reason per transaction item, in order; ConditionChecks passed in phase 1
        write_ops = iter(range(len(writes)))
        reasons: list[_Reason] = [
            _NO_ERROR if "ConditionCheck" in item else failures.get(next(write_ops), _NO_ERROR)
            for item in transact_items
        ]
        raise TransactionCanceledException(reasons)


class _Snapshot:
    """Deep copies of the items a transaction is about to write, and of its tables' stream length."""

    def __init__(self, backend: DynamoDBBackend, writes: list[_Write]):
        self._items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self._stream_lengths: dict[int, tuple[Table, int]] = {}
        for write in writes:
            hash_key, range_key = backend.get_keys_value(write.table, write.key)
            before = write.table.get_item(hash_key, range_key)
            self._items.append((write.table, hash_key, range_key, copy.deepcopy(before)))
            if write.table.stream_shard is not None:
                self._stream_lengths[id(write.table)] = (write.table, len(write.table.stream_shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, before in self._items:
            if range_key is not None:
                if before is None:
                    table.items[hash_key].pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = before
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        for table, length in self._stream_lengths.values():
            del table.stream_shard.items[length:]  # type: ignore[union-attr]


def install_partition_queries() -> None:
    """Idempotent. moto (5.2.5) answers a Query on a table's own key by sorting every item of the table
    and keeping the partition's: the noon release queries SlotsTable (thousands of slots, more every
    day) once per hall and service, ~0.4 s each at 7,000 slots. This hands that Query the partition
    alone, which moto then sorts and filters as before: the same answer. Index queries are left as
    they are. Only correct while moto's calls are serialised (see the module docstring)."""
    _check_moto_version()
    if getattr(Table.query, "partition_only", False):
        return
    moto_query = Table.query

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return moto_query(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)  # get, not [hash_key]: no defaultdict entry made
        items = [] if partition is None else list(partition.values()) if self.range_key_attr else [partition]
        self.all_items = lambda: items  # type: ignore[method-assign]  # what moto's Query reads
        try:
            return moto_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.partition_only = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
