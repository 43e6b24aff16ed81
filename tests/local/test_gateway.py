"""The local API Gateway, with a throwaway handler that echoes what it is given."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from hallbook.notify.sms import SmsFailed, get_sender
from local import state
from local.gateway import Gateway, serve
from local.runtime import Functions
from local.scheduler import occurrences
from local.system import LocalSystem, schedule_hints
from local.template import Function, Route, api_routes, functions, read_sam_template, schedules
from tests.conftest import START

ECHO = """
import base64, json
from hallbook.clock import now

def handler(event, context):
    if event["path"].endswith("/boom"):
        raise RuntimeError("boom")
    if event["path"].endswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG").decode(), "isBase64Encoded": True}
    context_seen = {name: getattr(context, name) for name in
                    ("function_name", "memory_limit_in_mb", "invoked_function_arn", "aws_request_id")}
    context_seen["remaining_ms"] = context.get_remaining_time_in_millis()
    return {
        "statusCode": 201 if event["httpMethod"] == "POST" else 200,
        "headers": {"Content-Type": "application/json", "X-Single": "one"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps({"event": event, "context": context_seen, "now": now().isoformat()}),
    }
"""
EVENT_KEYS = {
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
    "body",
    "isBase64Encoded",
}


@pytest.fixture
def gateway(system: LocalSystem, tmp_path: Path) -> Gateway:
    (tmp_path / "app.py").write_text(ECHO)
    function = Function("EchoFunction", str(tmp_path), "app.handler", memory_size=256, timeout=10)
    routes = [
        Route("GET", "/v1/things", "EchoFunction", str(tmp_path), "app.handler"),
        Route("POST", "/v1/things", "EchoFunction", str(tmp_path), "app.handler"),
        Route("GET", "/v1/things/{thing_id}", "EchoFunction", str(tmp_path), "app.handler"),
        Route("POST", "/v1/things/{thing_id}", "EchoFunction", str(tmp_path), "app.handler"),
        Route("GET", "/v1/things/special", "EchoFunction", str(tmp_path), "app.handler"),
        Route("GET", "/v1/files/{path+}", "EchoFunction", str(tmp_path), "app.handler"),
    ]
    return Gateway(routes, Functions({"EchoFunction": function}), controls=system)


@pytest.fixture
def http_base(gateway: Gateway) -> Iterator[str]:
    server = serve(gateway, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{gateway.host}"
    server.shutdown()
    server.server_close()


def test_get_builds_the_rest_api_proxy_event(gateway: Gateway) -> None:
    response = gateway.invoke("GET", "/v1/things/%E4%B8%80-1?tag=a&tag=b&q=x+y", headers={"X-Trace": "t"})
    assert response.status == 200
    seen = response.json()
    event = seen["event"]
    assert set(event) == EVENT_KEYS
    assert event["resource"] == "/v1/things/{thing_id}"
    assert event["path"] == "/v1/things/一-1"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"thing_id": "一-1"}
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x y"]}
    assert event["headers"]["X-Trace"] == "t" and event["multiValueHeaders"]["X-Trace"] == ["t"]
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["stageVariables"] is None and event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert (context["resourcePath"], context["httpMethod"], context["path"], context["stage"]) == (
        "/v1/things/{thing_id}",
        "GET",
        "/api/v1/things/一-1",
        "api",
    )
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestTimeEpoch"] == int(START.timestamp() * 1000)
    assert len(context["requestId"]) == 36
    assert response.headers["x-amzn-requestid"] == context["requestId"]
    assert seen["now"] == START.isoformat()
    assert seen["context"]["function_name"] == "EchoFunction"
    assert seen["context"]["memory_limit_in_mb"] == 256
    assert seen["context"]["invoked_function_arn"].endswith(":function:EchoFunction")
    assert 0 < seen["context"]["remaining_ms"] <= 10_000


def test_no_query_and_no_path_parameters_are_none(gateway: Gateway) -> None:
    event = gateway.invoke("GET", "/v1/things").json()["event"]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


def test_post_body_and_response_headers(gateway: Gateway) -> None:
    response = gateway.invoke("POST", "/v1/things", body={"name": "证件"}, query={"dry": "1"})
    assert response.status == 201
    event = response.json()["event"]
    assert json.loads(event["body"]) == {"name": "证件"}
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["queryStringParameters"] == {"dry": "1"}
    assert response.headers["x-single"] == "one"
    assert ("Set-Cookie", "a=1") in response.header_list and ("Set-Cookie", "b=2") in response.header_list


def test_literal_segments_win_and_greedy_parameters_take_the_rest(gateway: Gateway) -> None:
    assert gateway.invoke("GET", "/v1/things/special").json()["event"]["resource"] == "/v1/things/special"
    assert gateway.invoke("POST", "/v1/things/special").status == 405  # not POST /v1/things/{thing_id}
    event = gateway.invoke("GET", "/v1/files/a/b/c.txt").json()["event"]
    assert event["pathParameters"] == {"path": "a/b/c.txt"}


def test_unknown_path_and_wrong_method_are_problems(gateway: Gateway) -> None:
    missing = gateway.invoke("GET", "/v1/nothing")
    assert missing.status == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {  # as the API's own refusals: in the caller's language (Chinese by default)
        "type": "https://hallbook.gov.cn/problems/not-found",
        "title": "未找到",
        "status": 404,
        "detail": "没有此接口：GET /v1/nothing。",
        "code": "NOT_FOUND",
    }
    english = gateway.invoke("GET", "/v1/nothing", headers={"Accept-Language": "en"})
    assert english.json()["detail"] == "No route GET /v1/nothing." and english.headers["content-language"] == "en"
    wrong = gateway.invoke("DELETE", "/v1/things")
    assert wrong.status == 405
    assert wrong.json()["code"] == "VALIDATION_ERROR"
    assert wrong.headers["allow"] == "GET, POST"
    assert gateway.invoke("DELETE", "/local/clock").headers["allow"] == "GET, POST"


def test_a_failing_handler_is_a_502_and_base64_bodies_are_decoded(gateway: Gateway) -> None:
    failed = gateway.invoke("GET", "/v1/things/boom")
    assert (failed.status, failed.json()) == (502, {"message": "Internal server error"})
    binary = gateway.invoke("GET", "/v1/things/binary")
    assert (binary.body, binary.headers["content-type"]) == (b"\x89PNG", "image/png")


def test_http_goes_through_the_same_event(gateway: Gateway, http_base: str) -> None:
    request = urllib.request.Request(
        f"{http_base}/v1/things/7?tag=a", data=b'{"x": 1}', method="GET", headers={"X-Trace": "t"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
        over_http = json.loads(response.read())["event"]
    direct = gateway.invoke("GET", "/v1/things/7?tag=a", headers={"X-Trace": "t"}, body='{"x": 1}').json()["event"]
    assert set(over_http) == set(direct) == EVENT_KEYS
    for field in ("resource", "path", "httpMethod", "pathParameters", "queryStringParameters", "body"):
        assert over_http[field] == direct[field]
    assert over_http["headers"]["X-Trace"] == "t"
    assert over_http["requestContext"]["path"] == direct["requestContext"]["path"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{http_base}/nowhere")
    assert missing.value.code == 404 and json.loads(missing.value.read())["code"] == "NOT_FOUND"


def test_local_sms_lists_what_sns_sent_newest_first(api: Gateway, system: LocalSystem) -> None:
    sns = boto3.client("sns", endpoint_url=system.aws.url)
    sns.publish(PhoneNumber="+8613800000001", Message="first")
    sns.publish(PhoneNumber="+8613900000002", Message="other")
    sns.publish(PhoneNumber="+8613800000001", Message="second")
    assert [m["message"] for m in api.invoke("GET", "/local/sms").json()] == ["second", "other", "first"]
    for phone in ("13800000001", "+8613800000001"):
        assert api.invoke("GET", "/local/sms", query={"phone": phone}).json() == [
            {"phone": "+8613800000001", "message": "second"},
            {"phone": "+8613800000001", "message": "first"},
        ]


def test_local_clock_fires_the_templates_schedules(api: Gateway, system: LocalSystem, monkeypatch: Any) -> None:
    """The schedules' functions are stubbed: what they do is their own tests' business."""
    invoked: list[tuple[str, Any, str]] = []
    monkeypatch.setattr(
        system.functions,
        "invoke",
        lambda logical_id, event: invoked.append((logical_id, event, system.clock.now().isoformat())),
    )
    target = datetime.fromisoformat("2026-09-15T12:30+08:00")
    template = read_sam_template()
    hinted = set(schedule_hints(schedules(template), functions(template)))  # left out: nothing to do here
    due = sorted(
        ((at, s) for s in schedules(template) if s.name not in hinted for at in occurrences(s, START, target)),
        key=lambda run: run[0],
    )

    assert api.invoke("GET", "/local/clock").json() == {"now": START.isoformat()}
    moved = api.invoke("POST", "/local/clock", body={"now": target.isoformat()})

    assert moved.json() == {"now": target.isoformat(), "fired": [s.name for _, s in due], "failed": []}
    assert "hallbook-dev-noon-release" in moved.json()["fired"]
    assert invoked == [(s.function, json.loads(s.input_json or "{}"), at.isoformat()) for at, s in due]
    assert system.clock.now() == target
    back = api.invoke("POST", "/local/clock", body={"now": START.isoformat()})
    assert back.status == 409 and back.json()["code"] == "INVALID_STATE"  # jobs cannot be un-run
    assert api.invoke("POST", "/local/clock", body={"now": "2026-09-14T10:00"}).status == 422


def test_local_sms_provider_switch(api: Gateway, system: LocalSystem) -> None:
    assert api.invoke("POST", "/local/sms-provider", body={"failing": True}).json() == {"failing": True}
    assert state.SMS_PROVIDER_FAILING
    with pytest.raises(SmsFailed):
        get_sender().send("+8613800000001", "never sent")
    assert api.invoke("POST", "/local/sms-provider", body={"failing": "yes"}).status == 422
    system.reset()
    assert not state.SMS_PROVIDER_FAILING


def test_docs_page_loads_the_openapi_description(api: Gateway) -> None:
    docs = api.invoke("GET", "/docs")
    assert docs.status == 200 and docs.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in docs.text and "/v1/openapi.json" in docs.text


def test_template_routes_reach_their_functions(api: Gateway, system: LocalSystem, monkeypatch: Any) -> None:
    """Every template route is matched and handed to its function (stubbed here)."""
    called: list[tuple[str, str]] = []
    monkeypatch.setattr(
        system.functions,
        "invoke",
        lambda logical_id, event: called.append((logical_id, event["resource"])) or {"statusCode": 204, "body": ""},
    )
    for route in api_routes(read_sam_template()):
        path = route.path.replace("{", "x").replace("}", "")
        assert api.invoke(route.method, path).status == 204
        assert called[-1] == (route.function_logical_id, route.path)


def test_concurrent_requests_each_get_their_own_answer(system):
    """Lambda gives an execution environment one event at a time, and Powertools' resolver keeps the
    current event on the app object: local mode must not hand one handler two requests at once, or
    one citizen's request could run with another's token."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import registered

    citizens = [registered(system) for _ in range(4)]

    def me(i: int) -> bool:
        citizen = citizens[i % len(citizens)]
        r = system.gateway.invoke("GET", "/v1/me", headers={"Authorization": f"Bearer {citizen.token}"})
        return r.json()["id_number"] == citizen.id_number

    import sys

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: any shared state shows
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            assert all(pool.map(me, range(200)))
    finally:
        sys.setswitchinterval(interval)
