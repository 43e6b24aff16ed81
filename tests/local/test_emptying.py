"""Resetting between tests empties the template's resources in place (local/emptying.py): the state
after it is the one recreating everything gives, and the tables' write counters the clock hints use
(local.aws.table_generation) see every change."""

from __future__ import annotations

import boto3

from local import aws
from local.system import LocalSystem


def client(system: LocalSystem, service: str):
    return boto3.Session().client(service, endpoint_url=system.aws.url)


def test_reset_empties_every_table_queue_bucket_and_sms_and_keeps_names(system: LocalSystem) -> None:
    dynamodb, sqs, s3 = client(system, "dynamodb"), client(system, "sqs"), client(system, "s3")
    environment = dict(system.environment)
    dynamodb.put_item(TableName=system.resources.ref("SlotsTable"), Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
    sqs.send_message(QueueUrl=system.resources.ref("SmsQueue"), MessageBody="{}")
    s3.put_object(Bucket=system.resources.ref("UploadsBucket"), Key="k", Body=b"x")
    client(system, "sns").publish(PhoneNumber="+8613700000000", Message="hello")
    dynamodb.create_table(
        TableName="Extra",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )

    system.reset()

    assert dynamodb.scan(TableName=system.resources.ref("SlotsTable"))["Items"] == []
    depth = sqs.get_queue_attributes(
        QueueUrl=system.resources.ref("SmsQueue"), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert depth["ApproximateNumberOfMessages"] == "0"
    assert s3.list_objects_v2(Bucket=system.resources.ref("UploadsBucket")).get("KeyCount", 0) == 0
    assert system.sms_messages() == []
    assert "Extra" not in dynamodb.list_tables()["TableNames"]
    assert system.environment == environment
    dynamodb.put_item(TableName=system.resources.ref("SlotsTable"), Item={"pk": {"S": "a"}, "sk": {"S": "b"}})


def test_reset_brings_a_rotated_secret_back_as_created(system: LocalSystem) -> None:
    secrets = client(system, "secretsmanager")
    name = next(iter(system.resources.secrets))
    arn, first = system.resources.ref(name), system.resources.secrets[name]
    secrets.put_secret_value(SecretId=arn, SecretString="another key", VersionStages=["AWSCURRENT"])

    system.reset()

    assert secrets.get_secret_value(SecretId=arn)["SecretString"] == first
    assert len(secrets.list_secret_version_ids(SecretId=arn)["Versions"]) == 1


def test_table_generation_moves_on_writes_and_resets_not_on_reads(system: LocalSystem) -> None:
    dynamodb = client(system, "dynamodb")
    slots, bookings = system.resources.ref("SlotsTable"), system.resources.ref("BookingsTable")
    before = aws.table_generation(slots), aws.table_generation(bookings)
    dynamodb.get_item(TableName=slots, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
    dynamodb.query(TableName=slots, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    assert (aws.table_generation(slots), aws.table_generation(bookings)) == before

    dynamodb.put_item(TableName=slots, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
    assert aws.table_generation(slots) != before[0] and aws.table_generation(bookings) == before[1]
    written = aws.table_generation(slots)
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": slots,
                    "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}},
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "1"}},
                }
            }
        ]
    )
    assert aws.table_generation(slots) != written
    written = aws.table_generation(slots)
    dynamodb.batch_write_item(RequestItems={slots: [{"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}}}]})
    assert aws.table_generation(slots) != written

    untouched = aws.table_generation(bookings)
    system.reset()
    assert aws.table_generation(bookings) != untouched
