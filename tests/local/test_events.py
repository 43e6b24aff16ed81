"""events/ holds a sample event for every handler, in the shape its source sends: API Gateway REST
proxy events for a few routes of each API function, the EventBridge Scheduler inputs of
template.yaml, SQS batches (ReleaseQueue, SmsQueue), a DynamoDB stream batch (the outbox relay) and a
Secrets Manager rotation step. Each is invoked here in local mode, against the demo data, and must get
a sensible answer; `sam local invoke <Function> -e events/<function>/<file>.json` takes the same files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.system import LocalSystem
from local.template import functions, read_sam_template, schedules
from tests.conftest import START

EVENTS = Path(__file__).resolve().parents[2] / "events"
FILES = sorted(EVENTS.glob("*/*.json"))
RAW = read_sam_template()
BY_FOLDER = {Path(f.code_uri).name: logical_id for logical_id, f in functions(RAW).items()}


@pytest.fixture(scope="module")
def demo(local_system: LocalSystem) -> LocalSystem:
    local_system.reset(START, seed=True)
    return local_system


def event_of(file: Path) -> dict[str, Any]:
    return json.loads(file.read_text(encoding="utf-8"))


def test_every_function_and_schedule_has_sample_events() -> None:
    assert {f.parent.name for f in FILES} == set(BY_FOLDER)
    samples = [event_of(f) for f in FILES if f.name.startswith("schedule-")]
    assert sorted(
        json.dumps(json.loads(s.input_json), sort_keys=True) for s in schedules(RAW) if s.input_json
    ) == sorted(json.dumps(e, sort_keys=True) for e in samples)


@pytest.mark.parametrize("file", FILES, ids=[str(f.relative_to(EVENTS)) for f in FILES])
def test_the_handler_answers_its_sample_event(demo: LocalSystem, file: Path) -> None:
    event = event_of(file)
    result = demo.functions.invoke(BY_FOLDER[file.parent.name], event)
    if "httpMethod" in event:  # API Gateway REST proxy
        body = json.loads(result["body"])
        if file.stem.endswith("-without-token"):
            assert (result["statusCode"], body["code"]) == (401, "UNAUTHENTICATED"), body
        else:
            assert result["statusCode"] == 200, body
            assert body
    elif "job" in event:  # an EventBridge Scheduler input
        assert result["job"] == event["job"], result
    elif "Records" in event:  # SQS or DynamoDB stream batch: nothing left to retry
        assert result == {"batchItemFailures": []}
    else:  # a Secrets Manager rotation step: createSecret leaves a pending key
        secretsmanager = demo._session.client("secretsmanager", endpoint_url=demo.aws.url)
        assert result is None
        versions = secretsmanager.describe_secret(SecretId=event["SecretId"])["VersionIdsToStages"]
        assert versions[event["ClientRequestToken"]] == ["AWSPENDING"]
