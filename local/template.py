"""template.yaml is the single source of infrastructure: local mode reads its tables, queues,
secrets, topics, routes, event sources and schedules from it, never from a second list.

The SAM template is translated to CloudFormation offline with aws-sam-translator (Globals merged,
events expanded) for what AWS would create; routes, event sources and schedules are simpler to
read from the SAM events themselves.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import secrets
import string
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import boto3
import yaml
from samtranslator.translator.transform import transform

from local.aws import ACCOUNT_ID
from local.environment import PARTITION, REGION

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

# moto lets a tag fix the random suffix of a secret's ARN. A fixed suffix keeps the ARN (and so
# every function's JWT_SECRET_ARN) the same after a reset recreates the secret.
_SECRET_ARN_SUFFIX_TAG = {"Key": "_custom_id_", "Value": "LoCaL1"}


# ---------------------------------------------------------------- reading the template

class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags turned into their long forms (!Ref x -> {"Ref": x})."""


def _short_tag(tag: str) -> None:
    long_name = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":  # !GetAtt Table.StreamArn -> ["Table", "StreamArn"]
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long_name: value}

    _CloudFormationLoader.add_constructor(f"!{tag}", construct)


for _tag in ("Ref", "Condition", "GetAtt", "Sub", "If", "Not", "Equals", "And", "Or", "Join", "Select",
             "Split", "FindInMap", "Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "ToJsonString",
             "Length"):
    _short_tag(_tag)


def read_sam_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The SAM template as written (short tags in long form), before translation."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


class _NoManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which would ask IAM for the policy list."""

    def load(self) -> dict[str, str]:
        return {}


def translate(raw: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation that `sam deploy` would create, computed offline."""
    sam = copy.deepcopy(raw)
    # `sam package` replaces local code folders by S3 locations; the translator insists on those.
    for resource in [*sam.get("Resources", {}).values(), {"Properties": sam.get("Globals", {}).get("Function", {})}]:
        properties = resource.get("Properties") or {}
        for uri in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(uri), str):
                properties[uri] = f"s3://local-mode/{properties[uri]}"
    return transform(sam, {}, _NoManagedPolicies())  # type: ignore[arg-type]


def load_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml translated to CloudFormation (no AWS call)."""
    return translate(read_sam_template(path))


# ---------------------------------------------------------------- intrinsic functions

class UnresolvedReference(LookupError):
    pass


@dataclass
class Resources:
    """What CloudFormation's Ref and Fn::GetAtt give for the resources local mode created."""

    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # secret logical id -> SecretString

    def ref(self, logical_id: str) -> str:
        try:
            return self.refs[logical_id]
        except KeyError:
            raise UnresolvedReference(f"local mode does not create {logical_id!r} (Ref)") from None

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise UnresolvedReference(f"local mode has no {logical_id}.{attribute} (Fn::GetAtt)") from None


_PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": "hallbook-local",
}
_NO_VALUE = object()  # AWS::NoValue: the property is dropped


class _Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If and the condition functions against
    the template's parameter defaults and the created `resources`."""

    def __init__(self, template: Mapping[str, Any], resources: Resources):
        self._template = template
        self._resources = resources
        self._parameters = {
            name: spec["Default"] for name, spec in template.get("Parameters", {}).items() if "Default" in spec
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, argument), = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self._resources.get_att(logical_id, attribute)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name == "Fn::Join":
                delimiter, parts = argument
                return delimiter.join(str(p) for p in self.resolve(parts))
            if name == "Fn::If":
                condition, if_true, if_false = argument
                return self.resolve(if_true if self._condition(condition) else if_false)
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._parameters:
            return self._parameters[name]
        if name in _PSEUDO_PARAMETERS:
            return _PSEUDO_PARAMETERS[name]
        return self._resources.ref(name)

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))
        out, i = [], 0
        while (start := text.find("${", i)) >= 0:
            end = text.index("}", start)
            out.append(text[i:start])
            name = text[start + 2:end]
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and not name.startswith("AWS::"):
                out.append(str(self._resources.get_att(*name.split(".", 1))))
            else:
                out.append(str(self._ref(name)))
            i = end + 1
        return "".join(out) + text[i:]

    def _condition(self, condition: Any) -> bool:
        if isinstance(condition, str):  # a named condition
            return self._condition(self._template["Conditions"][condition])
        (name, argument), = condition.items()
        if name == "Fn::Equals":
            left, right = (self.resolve(a) for a in argument)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not self._condition(argument[0])
        if name == "Fn::And":
            return all(self._condition(c) for c in argument)
        if name == "Fn::Or":
            return any(self._condition(c) for c in argument)
        if name == "Condition":
            return self._condition(argument)
        raise ValueError(f"unsupported condition function {name}")


def _as_env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise UnresolvedReference(f"environment value {value!r} did not resolve to a string")
    return str(value)


# ---------------------------------------------------------------- creating the resources

_QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
                     "ReceiveMessageWaitTimeSeconds")
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
    resolver = _Resolver(cfn, resources)

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
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"])
    encryption = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if encryption:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]} for rule in encryption]})
    rules = properties.get("LifecycleConfiguration", {}).get("Rules")
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": rule.get("Id", f"rule{n}"), "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")},
             **({"Expiration": {"Days": rule["ExpirationInDays"]}} if "ExpirationInDays" in rule else {}),
             **({"AbortIncompleteMultipartUpload": rule["AbortIncompleteMultipartUpload"]}
                if "AbortIncompleteMultipartUpload" in rule else {})}
            for n, rule in enumerate(rules)]})
    cors = properties.get("CorsConfiguration", {}).get("CorsRules")
    if cors:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
            {**{k: v for k, v in rule.items() if k != "MaxAge"},
             **({"MaxAgeSeconds": rule["MaxAge"]} if "MaxAge" in rule else {})} for rule in cors]})


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
    resolver = _Resolver(cfn, resources)
    environment: dict[str, str] = {}
    for name, properties in _of_type(cfn, "AWS::Lambda::Function").items():
        variables = resolver.resolve(properties.get("Environment", {}).get("Variables", {}))
        for key, value in variables.items():
            value = _as_env_value(value)
            if environment.setdefault(key, value) != value:
                raise ValueError(f"{name} sets {key}={value!r}, another function {environment[key]!r}")
    return environment


# ---------------------------------------------------------------- functions and their events

@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str
    handler: str
    memory_size: int
    timeout: int


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # /v1/offices/{office_id}
    function_logical_id: str
    code_uri: str
    handler: str


@dataclass(frozen=True)
class EventSource:
    kind: Literal["sqs", "dynamodb"]
    source: str  # the queue's or the table's logical id
    batch_size: int
    function: str  # logical id
    report_batch_item_failures: bool
    maximum_retry_attempts: int | None  # streams only; None: until the record expires


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str  # cron(...) or rate(...)
    timezone: str
    input_json: str | None
    function: str  # logical id


def functions(raw: Mapping[str, Any]) -> dict[str, Function]:
    """Every AWS::Serverless::Function by logical id, with Globals applied."""
    defaults = {"MemorySize": 128, "Timeout": 3, **raw.get("Globals", {}).get("Function", {})}
    return {
        logical_id: Function(
            logical_id=logical_id,
            code_uri=properties["CodeUri"],
            handler=properties["Handler"],
            memory_size=int(properties["MemorySize"]),
            timeout=int(properties["Timeout"]),
        )
        for logical_id, resource in raw["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for properties in [{**defaults, **(resource.get("Properties") or {})}]
    }


def _events(raw: Mapping[str, Any], event_type: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(function logical id, event name, event properties) of each event of `event_type`."""
    return [
        (logical_id, event_name, event.get("Properties") or {})
        for logical_id, resource in raw["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items()
        if event["Type"] == event_type
    ]


def api_routes(raw: Mapping[str, Any]) -> list[Route]:
    by_id = functions(raw)
    return [
        Route(
            method=str(properties["Method"]).upper(),
            path=properties["Path"],
            function_logical_id=logical_id,
            code_uri=by_id[logical_id].code_uri,
            handler=by_id[logical_id].handler,
        )
        for logical_id, _, properties in _events(raw, "Api")
    ]


def _logical_id_of(arn_reference: Any) -> str:
    """ReleaseQueue from {"Fn::GetAtt": ["ReleaseQueue", "Arn"]}."""
    if isinstance(arn_reference, dict) and "Fn::GetAtt" in arn_reference:
        target = arn_reference["Fn::GetAtt"]
        return (target.split(".", 1) if isinstance(target, str) else target)[0]
    raise ValueError(f"local mode reads event sources given as !GetAtt, not {arn_reference!r}")


def event_sources(raw: Mapping[str, Any]) -> list[EventSource]:
    sources: list[EventSource] = []
    for kind, event_type, source_key, default_batch in (("sqs", "SQS", "Queue", 10), ("dynamodb", "DynamoDB", "Stream", 100)):
        for logical_id, _, properties in _events(raw, event_type):
            retries = properties.get("MaximumRetryAttempts", -1)
            sources.append(EventSource(
                kind=kind,  # type: ignore[arg-type]
                source=_logical_id_of(properties[source_key]),
                batch_size=int(properties.get("BatchSize", default_batch)),
                function=logical_id,
                report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
                maximum_retry_attempts=None if kind == "sqs" or retries == -1 else int(retries),
            ))
    return sources


def schedules(raw: Mapping[str, Any]) -> list[Schedule]:
    """The enabled ScheduleV2 events (names resolved against the parameter defaults)."""
    resolver = _Resolver(raw, Resources())
    return [
        Schedule(
            name=resolver.resolve(properties.get("Name", f"{logical_id}{event_name}")),
            expression=properties["ScheduleExpression"],
            timezone=properties.get("ScheduleExpressionTimezone", "UTC"),
            input_json=properties.get("Input"),
            function=logical_id,
        )
        for logical_id, event_name, properties in _events(raw, "ScheduleV2")
        if properties.get("State", "ENABLED") == "ENABLED"
    ]


# ---------------------------------------------------------------- handlers

LambdaHandler = Callable[[dict[str, Any], Any], Any]
_import_lock = threading.Lock()  # gateway threads may ask for the same handler at once


def load_handler(code_uri: str | Path, handler: str) -> LambdaHandler:
    """The callable `handler` ("app.lambda_handler") of the code in `code_uri` (relative to the
    repository, or absolute). Code in the repository is imported by its dotted path from the
    repository root ("functions.citizen_api.app", so the repository must be on sys.path): the same
    module object a test gets by importing it, and no clash between the functions' app.py."""
    module_path, _, attribute = handler.rpartition(".")
    file = (REPO_ROOT / code_uri / Path(*module_path.split("."))).with_suffix(".py").resolve()
    with _import_lock:
        if file.is_relative_to(REPO_ROOT):
            module = importlib.import_module(".".join(file.relative_to(REPO_ROOT).with_suffix("").parts))
        else:  # code outside the repository (a test's throwaway handler)
            name = "lambda_" + "_".join(file.with_suffix("").parts[1:])
            module = sys.modules.get(name) or _import_file(name, file)
    return getattr(module, attribute)


def _import_file(module_name: str, file: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler module at {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
