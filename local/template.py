"""template.yaml is the single source of infrastructure: local mode reads its tables, queues,
secrets, topics, routes, event sources and schedules from it, never from a second list.

This module answers what the SAM template declares (functions, API routes, event sources,
schedules): simpler to read from the SAM events themselves than from the translation. The rest of
local mode's template handling lives beside it, and is importable from here too:
- local.loader: reading template.yaml (samtranslator's YAML loader) and translating it offline;
- local.intrinsics: Ref, Fn::GetAtt, Fn::Sub, ... against the created resources;
- local.resources: creating the tables, queues, secrets, topics and buckets, and the functions' environment;
- local.handlers: importing a function's handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from local.environment import PARTITION, REGION
from local.handlers import LambdaHandler, load_handler
from local.intrinsics import Resolver, Resources, UnresolvedReference
from local.loader import REPO_ROOT, TEMPLATE_PATH, load_template, read_sam_template, translate
from local.resources import create_resources, function_environment

__all__ = [
    "PARTITION",
    "REGION",
    "REPO_ROOT",
    "TEMPLATE_PATH",
    "EventSource",
    "Function",
    "LambdaHandler",
    "Resources",
    "Route",
    "Schedule",
    "UnresolvedReference",
    "api_routes",
    "create_resources",
    "event_sources",
    "function_environment",
    "functions",
    "load_handler",
    "load_template",
    "read_sam_template",
    "schedules",
    "translate",
]


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
    source_type: Literal["sqs", "dynamodb"]
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
    for source_type, event_type, source_key, default_batch in (
        ("sqs", "SQS", "Queue", 10),
        ("dynamodb", "DynamoDB", "Stream", 100),
    ):
        for logical_id, _, properties in _events(raw, event_type):
            retries = properties.get("MaximumRetryAttempts", -1)
            sources.append(
                EventSource(
                    source_type=source_type,  # type: ignore[arg-type]
                    source=_logical_id_of(properties[source_key]),
                    batch_size=int(properties.get("BatchSize", default_batch)),
                    function=logical_id,
                    report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
                    maximum_retry_attempts=None if source_type == "sqs" or retries == -1 else int(retries),
                )
            )
    return sources


def schedules(raw: Mapping[str, Any]) -> list[Schedule]:
    """The enabled ScheduleV2 events (names resolved against the parameter defaults)."""
    resolver = Resolver(raw, Resources())
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
