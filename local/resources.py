"""Creating what the translated template declares - tables, queues, secrets, topics, buckets - in
the embedded AWS, each named by its logical id, and the functions' environment that points at them."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

import boto3

from local.environment import PARTITION, REGION
from local.intrinsics import Resolver, Resources, as_env_value

# moto lets a tag fix the random suffix of a secret's ARN. A fixed suffix keeps the ARN (and so
# every function's JWT_SECRET_ARN) the same after a reset recreates the secret.
_SECRET_ARN_SUFFIX_TAG = {"Key": "_custom_id_", "Value": "LoCaL1"}
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
)
_SECRET_ALPHABET = string.ascii_letters + string.digits  # GenerateSecretString with ExcludePunctuation


def _of_type(cfn: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in cfn["Resources"].items()
        if resource["Type"] == resource_type
    }


def create_resources(
    cfn: Mapping[str, Any],
    session: boto3.Session,
    *,
    endpoint_url: str | None = None,
    secret_values: Mapping[str, str] | None = None,
) -> Resources:
    """Create every table, queue, secret, topic and bucket of the translated template `cfn`, each named
    by its logical id. Secrets get `secret_values[logical_id]`, or a new random 64-character key."""
    resources = Resources()
    resolver = Resolver(cfn, resources)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    dynamodb = client("dynamodb")
    for name, properties in _of_type(cfn, "AWS::DynamoDB::Table").items():
        table = _create_table(dynamodb, name, resolver.resolve(properties))
        resources.refs[name] = name
        resources.attributes[name] = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            resources.attributes[name]["StreamArn"] = table["LatestStreamArn"]

    sqs = client("sqs")
    queues = _of_type(cfn, "AWS::SQS::Queue")
    for name, properties in queues.items():
        attributes = {a: str(properties[a]) for a in _QUEUE_ATTRIBUTES if a in properties}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resources.refs[name] = url
        resources.attributes[name] = {"Arn": arn, "QueueName": name, "QueueUrl": url}
    for name, properties in queues.items():  # once every dead-letter queue exists
        if "RedrivePolicy" in properties:
            redrive = json.dumps(resolver.resolve(properties["RedrivePolicy"]))
            sqs.set_queue_attributes(QueueUrl=resources.refs[name], Attributes={"RedrivePolicy": redrive})

    secretsmanager = client("secretsmanager")
    for name in _of_type(cfn, "AWS::SecretsManager::Secret"):
        value = (secret_values or {}).get(name) or "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(64))
        arn = secretsmanager.create_secret(Name=name, SecretString=value, Tags=[_SECRET_ARN_SUFFIX_TAG])["ARN"]
        resources.refs[name] = arn
        resources.secrets[name] = value

    sns = client("sns")
    for name in _of_type(cfn, "AWS::SNS::Topic"):
        arn = sns.create_topic(Name=name)["TopicArn"]
        resources.refs[name] = arn
        resources.attributes[name] = {"TopicArn": arn, "TopicName": name}

    s3 = client("s3")
    for name, properties in _of_type(cfn, "AWS::S3::Bucket").items():
        _create_bucket(s3, name, resolver.resolve(properties))
        resources.refs[name] = name
        resources.attributes[name] = {"Arn": f"arn:{PARTITION}:s3:::{name}", "BucketName": name}
    return resources


def _create_bucket(s3: Any, name: str, properties: dict[str, Any]) -> None:
    """The bucket, named by its logical id (moto takes the capitals S3 would refuse; presigned URLs
    are then path-style, http://127.0.0.1:<port>/<name>, which curl reaches), with the template's
    public access block, default encryption, lifecycle rules and CORS."""
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
        )
    encryption = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if encryption:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]} for rule in encryption
                ]
            },
        )
    rules = properties.get("LifecycleConfiguration", {}).get("Rules")
    if rules:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": rule.get("Id", f"rule{n}"),
                        "Status": rule["Status"],
                        "Filter": {"Prefix": rule.get("Prefix", "")},
                        **({"Expiration": {"Days": rule["ExpirationInDays"]}} if "ExpirationInDays" in rule else {}),
                        **(
                            {"AbortIncompleteMultipartUpload": rule["AbortIncompleteMultipartUpload"]}
                            if "AbortIncompleteMultipartUpload" in rule
                            else {}
                        ),
                    }
                    for n, rule in enumerate(rules)
                ]
            },
        )
    cors = properties.get("CorsConfiguration", {}).get("CorsRules")
    if cors:
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={
                "CORSRules": [
                    {
                        **{k: v for k, v in rule.items() if k != "MaxAge"},
                        **({"MaxAgeSeconds": rule["MaxAge"]} if "MaxAge" in rule else {}),
                    }
                    for rule in cors
                ]
            },
        )


def _create_table(dynamodb: Any, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in properties:
        request["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    for indexes, keys in (
        ("GlobalSecondaryIndexes", ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")),
        ("LocalSecondaryIndexes", ("IndexName", "KeySchema", "Projection")),
    ):
        if indexes in properties:
            request[indexes] = [{k: index[k] for k in keys if k in index} for index in properties[indexes]]
    if "StreamSpecification" in properties:
        request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    table = dynamodb.create_table(**request)["TableDescription"]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:  # moto ignores it in CreateTable
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]}
        )
    return table


def function_environment(cfn: Mapping[str, Any], resources: Resources) -> dict[str, str]:
    """The environment variables of every Lambda function, resolved. All handlers share one process
    in local mode, so two functions giving one variable different values is an error."""
    resolver = Resolver(cfn, resources)
    environment: dict[str, str] = {}
    for name, properties in _of_type(cfn, "AWS::Lambda::Function").items():
        variables = resolver.resolve(properties.get("Environment", {}).get("Variables", {}))
        for key, value in variables.items():
            value = as_env_value(value)
            if environment.setdefault(key, value) != value:
                raise ValueError(f"{name} sets {key}={value!r}, another function {environment[key]!r}")
    return environment
