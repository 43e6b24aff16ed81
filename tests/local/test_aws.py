"""The embedded AWS: requests serialised, and the patched TransactWriteItems answering exactly as
moto's own, without its cost growing with the table."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend

from local.aws import MOTO_TRANSACT_WRITE_ITEMS, install_moto_patches
from local.system import LocalSystem


@pytest.fixture
def dynamodb(system: LocalSystem) -> Any:
    return boto3.client("dynamodb", endpoint_url=system.aws.url)


@pytest.fixture
def moto_original() -> Iterator[None]:
    """moto's own TransactWriteItems for the duration of the test."""
    DynamoDBBackend.transact_write_items = MOTO_TRANSACT_WRITE_ITEMS  # type: ignore[method-assign]
    try:
        yield
    finally:
        install_moto_patches()


def create_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def key(pk: str, sk: str = "-") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def transactions(table: str) -> list[list[dict[str, Any]]]:
    """Successes, failed conditions (ALL_OLD too), a duplicate item, an unknown table, and a write
    that fails only while being applied (arithmetic on a string)."""
    count_cap = {":one": {"N": "1"}, ":cap": {"N": "2"}}
    increment = {
        "Update": {
            "TableName": table,
            "Key": key("counter"),
            "UpdateExpression": "SET n = if_not_exists(n, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(n) OR n < :cap",
            "ExpressionAttributeValues": {**count_cap, ":zero": {"N": "0"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
    return [
        [{"Put": {"TableName": table, "Item": {**key("a"), "v": {"S": "1"}}}}, increment],
        [
            {
                "Put": {
                    "TableName": table,
                    "Item": {**key("b"), "v": {"S": "2"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Delete": {"TableName": table, "Key": key("a")}},
            increment,
        ],
        # fails: "a" no longer exists, and the counter is at its cap with ALL_OLD asked
        [
            {"Put": {"TableName": table, "Item": {**key("c")}}},
            {"ConditionCheck": {"TableName": table, "Key": key("a"), "ConditionExpression": "attribute_exists(pk)"}},
            increment,
        ],
        [{"Put": {"TableName": table, "Item": {**key("d")}}}, {"Delete": {"TableName": table, "Key": key("d")}}],
        [{"Put": {"TableName": table, "Item": {**key("e")}}}, {"Put": {"TableName": "NoSuchTable", "Item": key("e")}}],
        [{"Put": {"TableName": table, "Item": {**key("f"), "s": {"S": "text"}}}}],
        [
            {"Put": {"TableName": table, "Item": {**key("g")}}},
            {
                "Update": {
                    "TableName": table,
                    "Key": key("f"),
                    "UpdateExpression": "SET s = s + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ],
    ]


def run(dynamodb: Any, table: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(the outcome of each transaction, the table's items, its stream's records)."""
    create_table(dynamodb, table)
    outcomes: list[Any] = []
    for items in transactions(table):
        try:
            dynamodb.transact_write_items(TransactItems=items)
            outcomes.append("ok")
        except ClientError as e:
            outcomes.append(
                (e.response["Error"]["Code"], e.response["Error"]["Message"], e.response.get("CancellationReasons"))
            )
    rows = sorted(dynamodb.scan(TableName=table)["Items"], key=lambda i: i["pk"]["S"])
    streams = boto3.client("dynamodbstreams", endpoint_url=dynamodb.meta.endpoint_url)
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records = [(r["eventName"], r["dynamodb"]["Keys"]) for r in streams.get_records(ShardIterator=iterator)["Records"]]
    return outcomes, rows, records


def test_patched_transactions_answer_as_moto_does(dynamodb: Any, moto_original: None) -> None:
    expected = run(dynamodb, "WithMotosOwn")
    install_moto_patches()
    outcomes, rows, records = run(dynamodb, "WithPatched")
    assert (outcomes, rows, records) == expected

    assert outcomes[0] == "ok" and outcomes[1] == "ok"
    code, message, reasons = outcomes[2]
    assert code == "TransactionCanceledException"
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert reasons[2]["Item"]["n"] == {"N": "2"}  # ALL_OLD
    assert "[None, ConditionalCheckFailed, ConditionalCheckFailed]" in message
    assert outcomes[3][:2] == (
        "ValidationException",
        "Transaction request cannot include multiple operations on one item",
    )
    assert outcomes[4][0] == "ResourceNotFoundException"  # moto validates table names before the transaction
    assert outcomes[6][0] == "ValidationException"  # raised while applying: "g" and its stream record undone
    assert [r["pk"]["S"] for r in rows] == ["b", "counter", "f"]
    assert [r["n"] for r in rows if r["pk"]["S"] == "counter"] == [{"N": "2"}]


def test_a_failed_condition_writes_nothing(dynamodb: Any) -> None:
    create_table(dynamodb, "Guarded")
    with pytest.raises(ClientError) as failed:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Guarded", "Item": key("x")}},
                {
                    "Update": {
                        "TableName": "Guarded",
                        "Key": key("y"),
                        "UpdateExpression": "SET n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "Guarded",
                        "Key": key("z"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert [r["Code"] for r in failed.value.response["CancellationReasons"]] == [
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert dynamodb.scan(TableName="Guarded")["Items"] == []


def test_concurrent_conditional_transactions_never_exceed_the_cap(dynamodb: Any, system: LocalSystem) -> None:
    create_table(dynamodb, "Race")
    dynamodb.put_item(TableName="Race", Item={**key("counter"), "n": {"N": "0"}})
    succeeded: list[int] = []
    lock = threading.Lock()

    def book(thread: int) -> None:
        client = boto3.client("dynamodb", endpoint_url=system.aws.url)
        for attempt in range(25):
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": "Race",
                                "Key": key("counter"),
                                "UpdateExpression": "SET n = n + :one",
                                "ConditionExpression": "n < :cap",
                                "ExpressionAttributeValues": {":one": {"N": "1"}, ":cap": {"N": "100"}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": "Race",
                                "Item": key(f"booking-{thread}-{attempt}"),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            except ClientError as e:
                assert e.response["Error"]["Code"] == "TransactionCanceledException"
            else:
                with lock:
                    succeeded.append(thread)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(succeeded) == 100
    counter = dynamodb.get_item(TableName="Race", Key=key("counter"), ConsistentRead=True)["Item"]
    assert counter["n"] == {"N": "100"}
    assert dynamodb.scan(TableName="Race", Select="COUNT")["Count"] == 101


def test_transaction_cost_does_not_grow_with_the_table(dynamodb: Any) -> None:
    rates = {}
    for size in (1, 5000):
        table = f"Sized{size}"
        create_table(dynamodb, table)
        items = [{"PutRequest": {"Item": {**key(f"item-{i}"), "n": {"N": "0"}}}} for i in range(size)]
        for start in range(0, size, 25):
            dynamodb.batch_write_item(RequestItems={table: items[start : start + 25]})
        started = time.perf_counter()
        for i in range(200):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": key("item-0"),
                            "UpdateExpression": "SET n = n + :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                    {"Put": {"TableName": table, "Item": key(f"new-{i}")}},
                ]
            )
        rates[size] = 200 / (time.perf_counter() - started)
        assert dynamodb.get_item(TableName=table, Key=key("item-0"))["Item"]["n"] == {"N": "200"}
    # moto's own copies every table it touches: ~300 tx/s with 1 item, ~10 with 5,000 (a 30th). Patched, the
    # rate is the same at both sizes; a quarter leaves room for a loaded machine and still catches the copy.
    assert rates[5000] > rates[1] / 4, f"{rates[1]:.0f} tx/s with 1 item, {rates[5000]:.0f} tx/s with 5,000 items"


def test_the_patches_refuse_a_moto_they_were_not_written_for(monkeypatch: Any) -> None:
    import moto

    from local.aws import install_partition_queries

    monkeypatch.setattr(moto, "__version__", "5.3.0")
    for install in (install_moto_patches, install_partition_queries):
        with pytest.raises(RuntimeError, match=r"moto 5\.2\.5.*moto 5\.3\.0 is installed"):
            install()


def _reads(dynamodb: Any, name: str) -> dict[str, Any]:
    keys = [{"pk": {"S": "p"}, "sk": {"S": f"{i:03d}"}} for i in range(3)]
    return {
        "GetItem": dynamodb.get_item(TableName=name, Key=keys[0], ConsistentRead=True)["Item"],
        "BatchGetItem": sorted(
            dynamodb.batch_get_item(RequestItems={name: {"Keys": keys}})["Responses"][name], key=lambda i: i["sk"]["S"]
        ),
        "Query": dynamodb.query(
            TableName=name, KeyConditionExpression="pk = :p", Limit=2, ExpressionAttributeValues={":p": {"S": "p"}}
        ),
        "Scan": dynamodb.scan(TableName=name, ReturnConsumedCapacity="TOTAL"),
    }


def test_reads_answer_by_json_dumps_exactly_as_moto_s_serializer(dynamodb: Any) -> None:
    """The short way for read results (local.aws._dynamo_result_body) gives what moto's own
    serializer gives: the same reads, once through each, compared whole (ResponseMetadata aside)."""
    from moto.dynamodb.responses import DynamoResult

    from local import aws

    create_table(dynamodb, "fast-reads")
    for i in range(3):
        dynamodb.put_item(
            TableName="fast-reads",
            Item={
                "pk": {"S": "p"},
                "sk": {"S": f"{i:03d}"},
                "n": {"N": str(i * 1.5)},
                "tags": {"SS": ["a", "b"]},
                "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "2"}, {"BOOL": True}, {"NULL": True}]}}},
                "text": {"S": '中文 "quoted" \\ back'},
            },
        )
    DynamoResult.execute_result = aws.MOTO_DYNAMO_RESULT_BODY  # type: ignore[method-assign]
    try:
        by_moto = _reads(dynamodb, "fast-reads")
    finally:
        install_moto_patches()
    _reads(dynamodb, "fast-reads")  # the first answer of each operation is checked against moto's
    assert set(aws._fast_read_headers) >= aws.FAST_READS and not aws._slow_reads
    strip = lambda r: {k: v for k, v in r.items() if k != "ResponseMetadata"} if isinstance(r, dict) else r  # noqa: E731
    assert {k: strip(v) for k, v in _reads(dynamodb, "fast-reads").items()} == {k: strip(v) for k, v in by_moto.items()}


def test_an_item_over_400_kb_is_still_refused(dynamodb: Any) -> None:
    """moto's size check, made once per item (local.aws._item_init): the same limit."""
    create_table(dynamodb, "sizes")
    dynamodb.put_item(
        TableName="sizes",
        Item={"pk": {"S": "p"}, "sk": {"S": "ok"}, "a": {"S": "x" * 200_000}, "b": {"S": "x" * 200_000}},
    )
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(
            TableName="sizes",
            Item={"pk": {"S": "p"}, "sk": {"S": "big"}, "a": {"S": "x" * 200_000}, "b": {"S": "x" * 206_000}},
        )
    assert "Item size has exceeded the maximum allowed size" in str(refused.value)
    assert "Item" not in dynamodb.get_item(TableName="sizes", Key={"pk": {"S": "p"}, "sk": {"S": "big"}})
