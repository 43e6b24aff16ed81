"""The local API Gateway, with a throwaway handler that echoes what it is given."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
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


def _raw(http_base: str, data: bytes, wait: float = 5.0) -> tuple[list[bytes], float]:
    """Send `data` as is on one connection; the status lines of every answer until the server closes
    it (or `wait` passes), and how long that took."""
    host, port = http_base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            received += b"<timeout>"
    return re.findall(rb"HTTP/1\.1 \d{3}", received) + ([b"<timeout>"] if received.endswith(b"<timeout>") else []), (
        time.monotonic() - started
    )


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: -1\r\n",
        b"Content-Length: 99999999999\r\n",
        b"Content-Length: abc\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n",
        b"Content-Length: +2\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
    ],
)
def test_a_body_that_cannot_be_framed_is_a_400_and_the_connection_closes(http_base: str, framing: bytes) -> None:
    """Issue 21 item 9: never a hang, never the body's bytes read as a second request."""
    smuggled = b"GET /v1/things/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    answers, took = _raw(http_base, b"POST /v1/things HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n{}" + smuggled)
    assert answers == [b"HTTP/1.1 400"] and took < 3, (framing, answers)


def test_a_chunked_body_is_read_as_one_body(gateway: Gateway, http_base: str) -> None:
    body = b'{"name": "\xe5\xbc\xa0\xe4\xb8\x89", "n": 1}'
    chunked = (
        b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:])) + b"0\r\nX-T: 1\r\n\r\n"
    )
    second = b"GET /v1/things/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    host, port = http_base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            b"POST /v1/things/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\n\r\n" + chunked + second
        )
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    answers = []
    while received:
        head, _, received = received.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        answers.append((head.split(b" ")[1], json.loads(received[:length])["event"]))
        received = received[length:]
    assert [status for status, _ in answers] == [b"201", b"200"]
    events = [event for _, event in answers]
    assert events[0]["body"] == body.decode() and events[0]["pathParameters"] == {"thing_id": "1"}
    assert events[1]["pathParameters"] == {"thing_id": "2"}  # the next request on the connection, as sent
    bad = b"POST /v1/things HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    assert _raw(http_base, bad)[0] == [b"HTTP/1.1 400"]


def test_a_stalled_body_does_not_hold_the_server(http_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that promises 10 bytes and sends 2 holds only its own connection; others are served."""
    host, port = http_base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as stalled:
        stalled.sendall(b"POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}")
        with urllib.request.urlopen(f"{http_base}/v1/things", timeout=5) as other:
            assert other.status == 200 and other.headers["X-Content-Type-Options"] == "nosniff"


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
