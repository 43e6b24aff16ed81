"""Event source mappings emulated by the pump, with a throwaway handler that records its events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.pump import Pump
from local.runtime import Functions
from local.system import LocalSystem
from local.template import EventSource, Function, Resources, load_handler
from tests.polling import eventually

RECORDER = """
events = []

def handler(event, context):
    events.append(event)
    records = event["Records"]
    if any(r.get("body") == "crash" for r in records):
        raise RuntimeError("crash")
    failed = [r for r in records
              if r.get("body", "").startswith("fail")
              or r.get("dynamodb", {}).get("NewImage", {}).get("fail", {}).get("BOOL")]
    return {"batchItemFailures": [
        {"itemIdentifier": r["messageId"] if "messageId" in r else r["dynamodb"]["SequenceNumber"]} for r in failed]}
"""


class Setup:
    def __init__(self, system: LocalSystem, tmp_path: Path):
        (tmp_path / "app.py").write_text(RECORDER)
        self.functions = Functions({"Recorder": Function("Recorder", str(tmp_path), "app.handler", 128, 30)})
        self.events: list[dict[str, Any]] = load_handler(tmp_path, "app.handler").__globals__["events"]
        self.url = system.aws.url
        self.session = boto3.Session()
        self.sqs = boto3.client("sqs", endpoint_url=self.url)
        self.dynamodb = boto3.client("dynamodb", endpoint_url=self.url)
        self.resources = Resources()

    def queue(self, name: str, visibility: int, dead_letter: str | None = None) -> str:
        attributes = {"VisibilityTimeout": str(visibility)}
        if dead_letter:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": self.resources.get_att(dead_letter, "Arn"), "maxReceiveCount": 2}
            )
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.resources.refs[name] = url
        self.resources.attributes[name] = {"Arn": arn}
        return url

    def table(self, name: str) -> None:
        table = self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        self.resources.refs[name] = name
        self.resources.attributes[name] = {"Arn": table["TableArn"], "StreamArn": table["LatestStreamArn"]}

    def pump(self, *sources: EventSource) -> Pump:
        return Pump(sources, self.functions, self.resources, self.session, self.url)

    def count(self, url: str, attribute: str = "ApproximateNumberOfMessages") -> int:
        return int(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[attribute])["Attributes"][attribute])


@pytest.fixture
def setup(system: LocalSystem, tmp_path: Path) -> Setup:
    return Setup(system, tmp_path)


def sqs_source(queue: str, batch_size: int = 10) -> EventSource:
    return EventSource(
        "sqs", queue, batch_size, "Recorder", report_batch_item_failures=True, maximum_retry_attempts=None
    )


def stream_source(table: str, retries: int | None = 3) -> EventSource:
    return EventSource(
        "dynamodb", table, 100, "Recorder", report_batch_item_failures=True, maximum_retry_attempts=retries
    )


def test_sqs_batches_and_partial_failures_end_in_the_dead_letter_queue(setup: Setup) -> None:
    dead_letters = setup.queue("Dead", visibility=30)
    url = setup.queue("Work", visibility=0, dead_letter="Dead")  # failures are visible again at once
    for body in ("one", "fail-two", "three"):
        setup.sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}}
        )

    setup.pump(sqs_source("Work")).drain()

    first = setup.events[0]["Records"]
    assert sorted(r["body"] for r in first) == ["fail-two", "one", "three"]
    record = first[0]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        setup.resources.get_att("Work", "Arn"),
        "cn-north-1",
    )
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "test",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    retried = [r for e in setup.events[1:] for r in e["Records"]]
    assert [(r["body"], r["attributes"]["ApproximateReceiveCount"]) for r in retried] == [("fail-two", "2")]
    assert setup.count(url) == 0
    assert [m["Body"] for m in setup.sqs.receive_message(QueueUrl=dead_letters)["Messages"]] == ["fail-two"]


def test_a_crashed_batch_stays_in_flight_and_drain_still_returns(setup: Setup) -> None:
    url = setup.queue("Slow", visibility=60)
    setup.sqs.send_message(QueueUrl=url, MessageBody="crash")
    assert setup.pump(sqs_source("Slow")).drain() == 1
    assert len(setup.events) == 1
    assert setup.count(url, "ApproximateNumberOfMessagesNotVisible") == 1


def test_large_batches_take_several_receives(setup: Setup) -> None:
    url = setup.queue("Many", visibility=30)
    for start in range(0, 25, 10):
        setup.sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(start, min(25, start + 10))]
        )
    setup.pump(sqs_source("Many", batch_size=20)).drain()
    assert [len(e["Records"]) for e in setup.events] == [20, 5]
    assert setup.count(url) + setup.count(url, "ApproximateNumberOfMessagesNotVisible") == 0


def test_stream_records_reach_the_function(setup: Setup) -> None:
    setup.table("Outbox")
    setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    setup.dynamodb.delete_item(TableName="Outbox", Key={"pk": {"S": "a"}})
    pump = setup.pump(stream_source("Outbox"))

    pump.drain()
    setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": "b"}})
    pump.drain()

    assert [[r["eventName"] for r in e["Records"]] for e in setup.events] == [
        ["INSERT", "MODIFY", "REMOVE"],
        ["INSERT"],
    ]
    modify = setup.events[0]["Records"][1]
    assert (modify["eventSource"], modify["eventSourceARN"], modify["awsRegion"]) == (
        "aws:dynamodb",
        setup.resources.get_att("Outbox", "StreamArn"),
        "cn-north-1",
    )
    assert modify["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert modify["dynamodb"]["OldImage"]["v"] == {"N": "1"} and modify["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert modify["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(modify["dynamodb"]["ApproximateCreationDateTime"], int)


def test_stream_failures_are_retried_from_the_first_failed_record_later(setup: Setup, monkeypatch: Any) -> None:
    setup.table("Outbox")
    for pk, fail in (("a", False), ("b", True), ("c", False)):
        setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": pk}, "fail": {"BOOL": fail}})
    pump = setup.pump(stream_source("Outbox", retries=1))

    pump.drain()  # fails at "b": not retried before the backoff
    assert [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in setup.events] == [["a", "b", "c"]]
    # retried from "b" after the backoff; fails again, which exhausts the one retry: skipped
    eventually(lambda: len(setup.events) == 2, step=pump.drain)
    setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": "d"}})
    eventually(lambda: len(setup.events) == 3, step=pump.drain)
    assert [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in setup.events] == [
        ["a", "b", "c"],
        ["b", "c"],
        ["d"],
    ]


def test_reset_forgets_stream_positions(system: LocalSystem, setup: Setup) -> None:
    setup.table("Outbox")
    setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": "a"}})
    pump = setup.pump(stream_source("Outbox"))
    pump.drain()
    system.aws.reset()
    setup.table("Outbox")
    pump.reset(setup.resources)
    setup.dynamodb.put_item(TableName="Outbox", Item={"pk": {"S": "z"}})
    pump.drain()
    assert [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in setup.events] == [["a"], ["z"]]


def test_the_background_pump_polls_until_stopped(setup: Setup) -> None:
    url = setup.queue("Background", visibility=30)
    pump = setup.pump(sqs_source("Background"))
    pump.start(interval=0.05)
    try:
        setup.sqs.send_message(QueueUrl=url, MessageBody="hello")
        eventually(lambda: setup.events, timeout=5)
    finally:
        pump.stop()
    assert [r["body"] for r in setup.events[0]["Records"]] == ["hello"]
