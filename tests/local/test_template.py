"""Local mode builds everything from template.yaml: checked here against the template's text,
read with a plain YAML loader (not local.loader's)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from local.system import LocalSystem
from local.template import (
    TEMPLATE_PATH,
    Resources,
    UnresolvedReference,
    api_routes,
    event_sources,
    function_environment,
    load_handler,
    load_template,
    read_sam_template,
    schedules,
)


class _TagsAsText(yaml.SafeLoader):
    """!GetAtt SmsDLQ.Arn reads as the text "!GetAtt SmsDLQ.Arn"."""


_TagsAsText.add_multi_constructor(
    "!", lambda loader, tag, node: f"!{tag} {node.value if isinstance(node, yaml.ScalarNode) else '...'}"
)


@pytest.fixture(scope="module")
def template_text() -> dict[str, Any]:
    return yaml.load(Path(TEMPLATE_PATH).read_text(encoding="utf-8"), Loader=_TagsAsText)  # noqa: S506


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {n: r.get("Properties", {}) for n, r in template["Resources"].items() if r["Type"] == resource_type}


def test_tables_are_the_templates(system: LocalSystem, template_text: dict[str, Any]) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=system.aws.url)
    declared = of_type(template_text, "AWS::DynamoDB::Table")
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(declared)
    for name, spec in declared.items():
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == spec["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(spec["AttributeDefinitions"], key=str)
        assert table["BillingModeSummary"]["BillingMode"] == spec["BillingMode"]
        indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {
            i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in spec.get("GlobalSecondaryIndexes", [])
        }
        assert table.get("StreamSpecification", {}).get("StreamViewType") == spec.get("StreamSpecification", {}).get(
            "StreamViewType"
        )
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in spec:
            assert ttl == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": spec["TimeToLiveSpecification"]["AttributeName"],
            }
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_queues_secrets_and_topics_are_the_templates(system: LocalSystem, template_text: dict[str, Any]) -> None:
    sqs = boto3.client("sqs", endpoint_url=system.aws.url)
    for name, spec in of_type(template_text, "AWS::SQS::Queue").items():
        attributes = sqs.get_queue_attributes(QueueUrl=system.resources.ref(name), AttributeNames=["All"])["Attributes"]
        for attribute in ("VisibilityTimeout", "MessageRetentionPeriod"):
            if attribute in spec:
                assert attributes[attribute] == str(spec[attribute])
        if "RedrivePolicy" in spec:
            dead_letter = spec["RedrivePolicy"]["deadLetterTargetArn"].removeprefix("!GetAtt ")
            assert f'"maxReceiveCount": {spec["RedrivePolicy"]["maxReceiveCount"]}' in attributes["RedrivePolicy"]
            assert system.resources.get_att(dead_letter.split(".")[0], "Arn") in attributes["RedrivePolicy"]
    secretsmanager = boto3.client("secretsmanager", endpoint_url=system.aws.url)
    for name in of_type(template_text, "AWS::SecretsManager::Secret"):
        value = secretsmanager.get_secret_value(SecretId=system.resources.ref(name))["SecretString"]
        assert len(value) == 64 and value.isalnum()
    sns = boto3.client("sns", endpoint_url=system.aws.url)
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert topics == {system.resources.ref(name) for name in of_type(template_text, "AWS::SNS::Topic")}


def test_the_translation_is_offline_and_merges_the_globals() -> None:
    cfn = load_template()
    jobs = cfn["Resources"]["JobsFunction"]
    assert jobs["Type"] == "AWS::Lambda::Function"
    assert (jobs["Properties"]["Timeout"], jobs["Properties"]["MemorySize"]) == (
        300,
        1024,
    )  # R23: a draw of 100,000 entries
    assert jobs["Properties"]["Environment"]["Variables"]["CATALOG_TABLE"] == {"Ref": "CatalogTable"}
    assert cfn["Resources"]["JobsFunctionNoonRelease"]["Type"] == "AWS::Scheduler::Schedule"


def test_every_api_event_is_a_route(template_text: dict[str, Any]) -> None:
    declared = sorted(
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"], name)
        for name, spec in of_type(template_text, "AWS::Serverless::Function").items()
        for event in spec.get("Events", {}).values()
        if event["Type"] == "Api"
    )
    routes = api_routes(read_sam_template())
    assert sorted((r.method, r.path, r.function_logical_id) for r in routes) == declared
    assert all(r.code_uri.startswith("functions/") and r.handler for r in routes)


def test_function_environment_is_resolved(system: LocalSystem, template_text: dict[str, Any]) -> None:
    declared = template_text["Globals"]["Function"]["Environment"]["Variables"]
    assert set(declared) <= set(system.environment)
    assert all(isinstance(v, str) for v in system.environment.values())
    assert system.environment["STAGE"] == "dev"
    assert system.environment["CATALOG_TABLE"] == "CatalogTable"
    assert system.environment["SMS_QUEUE_URL"] == f"{system.aws.url}/123456789012/SmsQueue"
    assert system.environment["JWT_SECRET_ARN"].startswith(
        "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:JwtSigningSecret-"
    )
    assert {k: os.environ[k] for k in system.environment} == system.environment


def test_reset_keeps_every_name_and_arn(local_system: LocalSystem) -> None:
    environment, secrets = dict(local_system.environment), dict(local_system.resources.secrets)
    local_system.reset()
    assert function_environment(local_system.cfn, local_system.resources) == environment
    assert local_system.resources.secrets == secrets


def test_intrinsic_functions_resolve() -> None:
    cfn = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "NAME": {"Fn::Sub": "hallbook-${Stage}-${AWS::Region}-${!Literal}"},
                            "QUEUE": {"Fn::Sub": ["${Url}/x", {"Url": {"Ref": "Queue"}}]},
                            "ARN": {"Fn::GetAtt": ["Queue", "Arn"]},
                            "JOINED": {"Fn::Join": [",", ["a", {"Ref": "Stage"}]]},
                            "MODE": {"Fn::If": ["IsProd", "strict", "relaxed"]},
                            "FLAG": True,
                        }
                    }
                },
            }
        },
    }
    resources = Resources(refs={"Queue": "http://q"}, attributes={"Queue": {"Arn": "arn:q"}})
    assert function_environment(cfn, resources) == {
        "NAME": "hallbook-dev-cn-north-1-${Literal}",
        "QUEUE": "http://q/x",
        "ARN": "arn:q",
        "JOINED": "a,dev",
        "MODE": "relaxed",
        "FLAG": "true",
    }
    cfn["Resources"]["Fn"]["Properties"]["Environment"]["Variables"] = {"API": {"Ref": "Api"}}
    with pytest.raises(UnresolvedReference, match="Api"):
        function_environment(cfn, resources)


def test_event_sources_and_schedules() -> None:
    raw = read_sam_template()
    sources = {(s.source_type, s.source, s.function) for s in event_sources(raw)}
    assert sources >= {
        ("sqs", "ReleaseQueue", "JobsFunction"),
        ("sqs", "SmsQueue", "NotifierFunction"),
        ("dynamodb", "OutboxTable", "NotifierFunction"),
    }
    outbox = next(s for s in event_sources(raw) if s.source_type == "dynamodb")
    assert (outbox.batch_size, outbox.report_batch_item_failures, outbox.maximum_retry_attempts) == (100, True, 10)
    noon = next(s for s in schedules(raw) if s.name == "hallbook-dev-noon-release")
    assert (noon.expression, noon.timezone, noon.input_json, noon.function) == (
        "cron(0 12 * * ? *)",
        "Asia/Shanghai",
        '{"job": "release"}',
        "JobsFunction",
    )


def test_handlers_with_the_same_file_name_stay_apart(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(f"def handler(event, context):\n    return {name!r}\n")
    one = load_handler(tmp_path / "one", "app.handler")
    two = load_handler(tmp_path / "two", "app.handler")
    assert (one({}, None), two({}, None)) == ("one", "two")
    assert load_handler(tmp_path / "one", "app.handler") is one


def test_repository_handlers_are_the_modules_tests_import() -> None:
    import functions.jobs.app as jobs

    assert load_handler("functions/jobs/", "app.lambda_handler") is jobs.lambda_handler


def test_the_layer_installs_exactly_the_runtime_requirements():
    """sam build installs layers/core/requirements.txt into the layer: it must pin what the app runs with."""

    def pins(path):
        return sorted(
            line.strip() for line in Path(path).read_text().splitlines() if line.strip() and not line.startswith("#")
        )

    root = Path(__file__).resolve().parents[2]
    assert pins(root / "layers/core/requirements.txt") == pins(root / "requirements.txt")
