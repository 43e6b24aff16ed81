"""Lambda's event source mappings, emulated: SQS queues and DynamoDB streams polled, batches handed
to the functions in the events Lambda builds, partial batch failures honoured.

SQS: messages not reported failed are deleted; failed ones (or all, if the handler raised) stay in
flight, become visible again after the queue's visibility timeout and, past maxReceiveCount, moto
moves them to the dead-letter queue. Streams: a failed batch is retried from its first failed
record, after a backoff, up to the source's MaximumRetryAttempts, then skipped as Lambda does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from local.background import Periodic
from local.environment import REGION
from local.intrinsics import Resources
from local.runtime import Functions
from local.template import EventSource

log = logging.getLogger(__name__)

_MAX_BACKOFF_SECONDS = 30.0


@dataclass
class _ShardState:
    iterator: str | None = None  # None: ask for one at `position` (or TRIM_HORIZON)
    position: str | None = None  # sequence number of the next record to (re)deliver
    attempts: int = 0
    retry_at: float = 0.0  # time.monotonic()


class Pump:
    def __init__(
        self,
        sources: Sequence[EventSource],
        functions: Functions,
        resources: Resources,
        session: boto3.Session,
        endpoint_url: str,
    ):
        self._sources = list(sources)
        self._functions = functions
        self._resources = resources
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        self._streams = session.client("dynamodbstreams", endpoint_url=endpoint_url)
        self._shards: dict[tuple[str, str], _ShardState] = {}  # (table, shard id) -> state
        self._lock = threading.Lock()  # one poller at a time: drain() and the background thread
        self._background = Periodic("pump", self._poll)

    def reset(self, resources: Resources) -> None:
        """Forget stream positions: the tables (and their streams) were recreated."""
        with self._lock:
            self._resources = resources
            self._shards.clear()

    def drain(self, max_rounds: int = 50) -> int:
        """Poll every source until a round invokes nothing (messages in flight or records waiting
        for a retry do not count as work left); the number of rounds that did something."""
        with self._lock:
            for rounds in range(max_rounds):
                if not self._round():
                    return rounds
            log.warning("pump: still busy after %d rounds", max_rounds)
            return max_rounds

    def start(self, interval: float = 0.2) -> None:
        """Poll in a background thread until stop()."""
        self._background.start(interval)

    def stop(self) -> None:
        self._background.stop()

    def _poll(self) -> None:
        with self._lock:
            while self._round() and not self._background.stopping:
                pass

    def _round(self) -> bool:
        did_work = False
        for source in self._sources:
            if source.source_type == "sqs":
                did_work |= self._poll_queue(source)
            else:
                did_work |= self._poll_stream(source)
        return did_work

    # ------------------------------------------------------------ SQS

    def _poll_queue(self, source: EventSource) -> bool:
        url = self._resources.ref(source.source)
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size:  # a receive gives at most 10
            wanted = min(10, source.batch_size - len(messages))
            received = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=wanted,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            messages += received
            if len(received) < wanted:  # the queue has no more visible messages
                break
        if not messages:
            return False

        queue_arn = self._resources.get_att(source.source, "Arn")
        event = {"Records": [_sqs_record(m, queue_arn) for m in messages]}
        try:
            result = self._functions.invoke(source.function, event)
        except Exception:
            log.exception("%s failed on %d message(s) from %s", source.function, len(messages), source.source)
            return True
        failed = _failed_items(result, {m["MessageId"] for m in messages}, source)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )
        return True

    # ------------------------------------------------------------ DynamoDB streams

    def _poll_stream(self, source: EventSource) -> bool:
        stream_arn = self._resources.get_att(source.source, "StreamArn")
        if not any(table == source.source for table, _ in self._shards):
            description = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
            for shard in description["Shards"]:
                self._shards[(source.source, shard["ShardId"])] = _ShardState()
        did_work = False
        for (table, shard_id), shard in self._shards.items():
            if table == source.source and shard.retry_at <= time.monotonic():
                did_work |= self._poll_shard(source, stream_arn, shard_id, shard)
        return did_work

    def _poll_shard(self, source: EventSource, stream_arn: str, shard_id: str, shard: _ShardState) -> bool:
        if shard.iterator is None:
            where: dict[str, str] = (
                {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": shard.position}
                if shard.position
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            shard.iterator = self._streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **where)[
                "ShardIterator"
            ]
        page = self._streams.get_records(ShardIterator=shard.iterator, Limit=source.batch_size)
        shard.iterator = page.get("NextShardIterator")
        records = page["Records"]
        if not records:
            return False

        event = {"Records": [_stream_record(r, stream_arn) for r in records]}
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        try:
            failed = _failed_items(self._functions.invoke(source.function, event), set(sequence_numbers), source)
        except Exception:
            log.exception("%s failed on %d stream record(s) of %s", source.function, len(records), source.source)
            failed = set(sequence_numbers)

        if not failed:
            shard.position, shard.attempts = None, 0
            return True
        first_failed = next(s for s in sequence_numbers if s in failed)
        shard.attempts += 1
        if source.maximum_retry_attempts is not None and shard.attempts > source.maximum_retry_attempts:
            log.error(
                "%s: giving up on %d record(s) of %s after %d retries (as Lambda discards them)",
                source.function,
                len(records),
                source.source,
                source.maximum_retry_attempts,
            )
            shard.position, shard.attempts = None, 0
            return True
        # redeliver from the first failed record, later
        shard.position, shard.iterator = first_failed, None
        shard.retry_at = time.monotonic() + min(_MAX_BACKOFF_SECONDS, 0.5 * 2 ** (shard.attempts - 1))
        return True


def _failed_items(result: Any, identifiers: set[str], source: EventSource) -> set[str]:
    """The batch items Lambda counts as failed from a successful invocation's result."""
    if not source.report_batch_item_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if not failed <= identifiers:  # an unknown or empty identifier fails the whole batch
        return set(identifiers)
    return failed  # type: ignore[return-value]


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    if "ApproximateCreationDateTime" in dynamodb:  # botocore parsed it; Lambda sends epoch seconds
        dynamodb["ApproximateCreationDateTime"] = int(dynamodb["ApproximateCreationDateTime"].timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
