"""The local API Gateway: the template's Api routes, each request turned into exactly the REST API
(v1) Lambda proxy event and handed to the function in-process, plus the local-only routes
(/local/sms, /local/clock, /local/sms-provider, /docs) that the deployed template does not have.

`Gateway.invoke` is the whole dispatch without HTTP, for tests; `serve` puts it behind an HTTP server.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from hallbook.clock import get_clock
from hallbook.i18n import N_
from local import pages, state
from local.environment import ACCOUNT_ID
from local.runtime import Functions
from local.scheduler import Run
from local.template import Route

log = logging.getLogger(__name__)

STAGE = "api"
_SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>hallbook API (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/v1/openapi.json", dom_id: "#swagger-ui", validatorUrl: null,
                                 persistAuthorization: true, deepLinking: true});
  </script>
</body>
</html>
"""
# Swagger UI's own files, served from the swagger-ui-bundle-v2 package (requirements-dev.txt): /docs
# loads nothing from outside, so it works offline.
_DOCS_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "swagger-ui.css.map": "application/json",  # what the browser's developer tools ask for
    "swagger-ui-bundle.js.map": "application/json",
}


def _docs_asset(name: str) -> Callable[[Request], Response]:
    def serve_asset(_: Request) -> Response:
        try:
            from swagger_ui_bundle import swagger_ui_path
        except ImportError:
            return problem(
                503, "Service Unavailable", "pip install -r requirements-dev.txt (swagger-ui-bundle-v2)", "INTERNAL"
            )
        body = (swagger_ui_path / name).read_bytes()
        return _response(200, body, [("Content-Type", _DOCS_ASSETS[name]), ("Cache-Control", "public, max-age=3600")])

    return serve_asset


class LocalControls(Protocol):
    """What the local-only routes act on (implemented by LocalSystem)."""

    def sms_messages(self, phone: str | None = None) -> list[dict[str, str]]: ...

    def move_clock(self, instant: datetime, *, exhaustive: bool = False) -> list[Run]:
        """Move the clock, firing the schedules it passes (`exhaustive`: every run, even one a hint shows
        to have nothing to do); the runs fired, in order."""
        ...


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    header_list: list[tuple[str, str]] = field(default_factory=list, repr=False)  # as sent on the wire

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw (percent-encoded), without the query
    query: list[tuple[str, str]]  # decoded
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


def _response(status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> Response:
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return Response(status, merged, body, list(headers))


def _json_response(status: int, payload: Any, content_type: str = "application/json") -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return _response(status, body, [("Content-Type", content_type)])


def problem(status: int, title: str, detail: str, code: str) -> Response:
    """An RFC 9457 problem, as the API's own errors are."""
    payload = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
    return _json_response(status, payload, "application/problem+json")


def api_problem(request: Request, status: int, code: str, detail: str) -> Response:
    """A refusal of the gateway itself (no such route, method or page) made as the API's own are: from
    the message catalogue, in the caller's Accept-Language (docs/i18n.md)."""
    from hallbook.web.problems import Problem, answering_in

    accept_language = next((v for n, v in request.headers if n.lower() == "accept-language"), None)
    with answering_in(accept_language):
        return _proxy_response(Problem(status, code, detail).to_proxy())


class _CompiledRoute:
    """A template path ("/v1/offices/{office_id}") matched segment by segment."""

    def __init__(self, route: Route):
        self.route = route
        self.segments = route.path.strip("/").split("/") if route.path.strip("/") else []
        # API Gateway prefers literal segments to {params}, and {params} to a greedy {proxy+}
        self.specificity = tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in self.segments)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        parameters: dict[str, str] = {}
        for i, pattern in enumerate(self.segments):
            if pattern.startswith("{") and pattern.endswith("+}"):
                if i >= len(segments):
                    return None
                parameters[pattern[1:-2]] = "/".join(segments[i:])
                return parameters
            if i >= len(segments):
                return None
            if pattern.startswith("{") and pattern.endswith("}"):
                if not segments[i]:
                    return None
                parameters[pattern[1:-1]] = segments[i]
            elif pattern != segments[i]:
                return None
        return parameters if len(segments) == len(self.segments) else None


class Gateway:
    def __init__(self, routes: Sequence[Route], functions: Functions, controls: LocalControls, host: str = "127.0.0.1"):
        self._routes = sorted((_CompiledRoute(r) for r in routes), key=lambda r: r.specificity)
        self._functions = functions
        self._controls = controls
        self.host = host  # the Host header of requests made through invoke()
        self.edge_cache: Any = None  # local/edge_cache.EdgeCache: the stage cache, set by LocalSystem
        self._local_routes: dict[str, dict[str, Callable[[Request], Response]]] = {
            "/local/sms": {"GET": self._get_sms},
            "/local/clock": {"GET": self._get_clock, "POST": self._post_clock},
            "/local/sms-provider": {"POST": self._post_sms_provider},
            "/local/identity": {"POST": self._post_identity},
            "/docs": {
                "GET": lambda _: _response(200, _SWAGGER_UI.encode(), [("Content-Type", "text/html; charset=utf-8")])
            },
            **{f"/docs/{name}": {"GET": _docs_asset(name)} for name in _DOCS_ASSETS},
        }

    def invoke(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | dict[str, Any] | list[Any] | None = None,
        query: Mapping[str, str | Sequence[str]] | None = None,
    ) -> Response:
        """One request through the same dispatch as HTTP. `path` may carry a ?query; a dict or list
        `body` is sent as JSON."""
        header_list = list((headers or {}).items())
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False)
            if not any(name.lower() == "content-type" for name, _ in header_list):
                header_list.append(("Content-Type", "application/json"))
        raw_path, _, raw_query = path.partition("?")
        query_list = parse_qsl(raw_query, keep_blank_values=True)
        for name, values in (query or {}).items():
            query_list.extend((name, v) for v in ([values] if isinstance(values, str) else values))
        if not any(name.lower() == "host" for name, _ in header_list):
            header_list.insert(0, ("Host", self.host))
        payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        return self.handle(Request(method.upper(), raw_path, query_list, header_list, payload, "127.0.0.1"))

    def handle(self, request: Request) -> Response:
        """The answer to one request; every answer says `X-Content-Type-Options: nosniff`, as the
        functions' do (hallbook/web/app.py `hardened`) and the template's gateway responses."""
        response = self._dispatch(request)
        if "x-content-type-options" in response.headers:
            return response
        return _response(response.status, response.body, [*response.header_list, ("X-Content-Type-Options", "nosniff")])

    def _dispatch(self, request: Request) -> Response:
        local = self._local_routes.get(request.path)
        if local is not None:
            if request.method in local:
                return local[request.method](request)
            return _method_not_allowed(request, local)
        page = pages.serve(request)  # local/pages.py: /, /board/{office_id}, /staff/, /assets/...
        if page is not None:
            return page
        segments = [unquote(s) for s in request.path.strip("/").split("/")] if request.path.strip("/") else []
        matched = [(r, p) for r in self._routes if (p := r.match(segments)) is not None]
        if not matched:
            return api_problem(
                request, 404, "NOT_FOUND", N_("No route {method} {path}.", method=request.method, path=request.path)
            )
        # the most specific resource takes the request, whichever methods it has
        resource = [(c, p) for c, p in matched if c.route.path == matched[0][0].route.path]
        for compiled, parameters in resource:
            if compiled.route.method in (request.method, "ANY"):
                return self._call(compiled.route, parameters, request)
        if request.method == "OPTIONS":
            return pages.preflight(request)  # the API's CORS preflight, as API Gateway's mock answers it
        return _method_not_allowed(request, {compiled.route.method for compiled, _ in resource})

    # ------------------------------------------------------------ the template's routes

    def _call(self, route: Route, path_parameters: dict[str, str], request: Request) -> Response:
        edge, at = self.edge_cache, (request.method, route.path, path_parameters, request.query, request.headers)
        if edge is not None and (cached := edge.lookup(*at)) is not None:
            return cached
        response = self._call_function(route, path_parameters, request)
        if edge is not None:
            edge.store(*at, response)
        return response

    def _call_function(self, route: Route, path_parameters: dict[str, str], request: Request) -> Response:
        event = self._event(route, path_parameters, request)
        request_id = event["requestContext"]["requestId"]
        try:
            result = self._functions.invoke(route.function_logical_id, event)
            response = _proxy_response(result)
        except Exception:
            log.exception("%s %s: %s failed", request.method, request.path, route.function_logical_id)
            response = _json_response(502, {"message": "Internal server error"})
        return _response(response.status, response.body, [*response.header_list, ("x-amzn-RequestId", request_id)])

    def _event(self, route: Route, path_parameters: dict[str, str], request: Request) -> dict[str, Any]:
        """API Gateway's REST API (v1) proxy event. It adds the X-Forwarded-* headers and a trace id."""
        request_id = str(uuid.uuid4())
        header_list = [
            *request.headers,
            ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"),
            ("X-Forwarded-For", request.source_ip),
            ("X-Forwarded-Port", self.host.rpartition(":")[2] if ":" in self.host else "80"),
            ("X-Forwarded-Proto", "http"),
        ]
        headers = dict(header_list)
        multi_headers: dict[str, list[str]] = {}
        for name, value in header_list:
            multi_headers.setdefault(name, []).append(value)
        multi_query: dict[str, list[str]] = {}
        for name, value in request.query:
            multi_query.setdefault(name, []).append(value)
        now = get_clock().now()
        host = next((v for n, v in header_list if n.lower() == "host"), self.host)
        return {
            "resource": route.path,
            "path": unquote(request.path),
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": route.function_logical_id,
                "resourcePath": route.path,
                "httpMethod": request.method,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S %z"),
                "path": f"/{STAGE}{unquote(request.path)}",
                "accountId": ACCOUNT_ID,
                "protocol": "HTTP/1.1",
                "stage": STAGE,
                "domainPrefix": host.split(".")[0],
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "requestId": request_id,
                "identity": {
                    "cognitoIdentityPoolId": None,
                    "accountId": None,
                    "cognitoIdentityId": None,
                    "caller": None,
                    "sourceIp": request.source_ip,
                    "principalOrgId": None,
                    "accessKey": None,
                    "cognitoAuthenticationType": None,
                    "cognitoAuthenticationProvider": None,
                    "userArn": None,
                    "userAgent": next((v for n, v in header_list if n.lower() == "user-agent"), None),
                    "user": None,
                },
                "domainName": host,
                "apiId": "local",
            },
            "body": request.body.decode("utf-8", errors="replace") if request.body else None,
            "isBase64Encoded": False,
        }

    # ------------------------------------------------------------ local-only routes

    def _get_sms(self, request: Request) -> Response:
        phone = next((v for n, v in request.query if n == "phone" and v), None)
        return _json_response(200, self._controls.sms_messages(phone))

    def _get_clock(self, _: Request) -> Response:
        return _json_response(200, {"now": get_clock().now().isoformat()})

    def _post_clock(self, request: Request) -> Response:
        try:
            body = json.loads(request.body or b"{}")
            instant = datetime.fromisoformat(body["now"])
            exhaustive = body.get("exhaustive", False) is True  # every run fires, even those with nothing to do
        except (ValueError, KeyError, TypeError, AttributeError):
            return problem(
                422, "Unprocessable Content", 'expected {"now": "2026-09-14T12:00+08:00"}', "VALIDATION_ERROR"
            )
        if instant.tzinfo is None:
            return problem(422, "Unprocessable Content", "the instant needs an offset, e.g. +08:00", "VALIDATION_ERROR")
        from local.scheduler import ClockMovedBack

        try:
            runs = self._controls.move_clock(instant, exhaustive=exhaustive)
        except ClockMovedBack as e:
            return problem(409, "Conflict", str(e), "INVALID_STATE")
        return _json_response(
            200,
            {
                "now": get_clock().now().isoformat(),
                "fired": [run.schedule for run in runs],
                "failed": [run.schedule for run in runs if run.error],
            },
        )

    def _post_identity(self, request: Request) -> Response:
        """The fake real-name source learns an ID number's real owner (name, optionally phone and a
        minor's guardians): registering that number under another name or phone is then refused."""
        from local.identity import verifier

        try:
            body = json.loads(request.body or b"{}")
            id_number, name = str(body["id_number"]), str(body.get("name") or "")
            phone = body.get("phone")
            guardians = [str(g) for g in body.get("guardians") or []]
        except (ValueError, KeyError, TypeError, AttributeError):
            return problem(
                422,
                "Unprocessable Content",
                'expected {"id_number": "...", "name": "...", "phone"?: "...", "guardians"?: [...]}',
                "VALIDATION_ERROR",
            )
        verifier.register(id_number, name, str(phone) if phone else None, guardians)
        return _json_response(200, {"id_number": id_number[:3] + "*" * 11 + id_number[-4:], "recorded": True})

    def _post_sms_provider(self, request: Request) -> Response:
        try:
            failing = json.loads(request.body or b"{}")["failing"]
        except (ValueError, KeyError, TypeError):
            failing = None
        if not isinstance(failing, bool):
            return problem(422, "Unprocessable Content", 'expected {"failing": true|false}', "VALIDATION_ERROR")
        state.SMS_PROVIDER_FAILING.set(failing)
        return _json_response(200, {"failing": failing})


def _method_not_allowed(request: Request, methods: Iterable[str]) -> Response:
    allowed = ", ".join(sorted(methods))
    response = api_problem(
        request,
        405,
        "VALIDATION_ERROR",
        N_(
            "{method} is not allowed on {path}; use {allowed}.",
            method=request.method,
            path=request.path,
            allowed=allowed,
        ),
    )
    return _response(405, response.body, [*response.header_list, ("Allow", allowed)])


def _proxy_response(result: Any) -> Response:
    """The HTTP response API Gateway makes of a Lambda proxy integration's result."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError(f"malformed Lambda proxy response: {result!r:.200}")
    multi = result.get("multiValueHeaders") or {}
    multi_names = {name.lower() for name in multi}
    header_list = [(name, str(v)) for name, values in multi.items() for v in values]
    header_list += [(n, str(v)) for n, v in (result.get("headers") or {}).items() if n.lower() not in multi_names]
    if not any(name.lower() == "content-type" for name, _ in header_list):
        header_list.append(("Content-Type", "application/json"))
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return _response(result["statusCode"], payload, header_list)


# ---------------------------------------------------------------- HTTP


MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit (10 MB)
IDLE_SECONDS = 30  # a connection that sends nothing (or stalls inside a body) for this long is closed


class BadFraming(ValueError):
    """The request's body cannot be delimited safely (RFC 9112 section 6): answered 400, connection closed."""


def read_body(headers: Any, rfile: Any) -> bytes:
    """The request's body, framed as RFC 9112 section 6.3 says: `Transfer-Encoding: chunked` is
    decoded (chunk extensions and trailers skipped), else exactly `Content-Length` bytes are read, else
    there is none. Raises BadFraming for anything that could leave the connection out of step with
    the client - a Content-Length that is not digits, two that differ, one over MAX_BODY, both framings
    at once, another transfer coding, a malformed chunk - rather than guess (a guess is how one
    request's bytes become a second request)."""
    encodings = [v.strip().lower() for value in headers.get_all("Transfer-Encoding") or [] for v in value.split(",")]
    lengths = {v.strip() for value in headers.get_all("Content-Length") or [] for v in value.split(",")}
    if encodings:
        if lengths:
            raise BadFraming("a request may not carry both Transfer-Encoding and Content-Length")
        if encodings != ["chunked"]:
            raise BadFraming("the only transfer coding accepted is chunked")
        return _read_chunked(rfile)
    if not lengths:
        return b""
    if len(lengths) != 1:
        raise BadFraming("Content-Length is given twice, differently")
    [length] = lengths
    if not (length.isascii() and length.isdigit()):
        raise BadFraming("Content-Length must be a number of bytes")
    if int(length) > MAX_BODY:
        raise BadFraming(f"the body is over {MAX_BODY} bytes, API Gateway's limit")
    body: bytes = rfile.read(int(length))
    if len(body) != int(length):
        raise BadFraming("the body ended before its Content-Length")
    return body


def _read_chunked(rfile: Any) -> bytes:
    body = bytearray()
    while True:
        line = rfile.readline(1024)
        size_text = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
            raise BadFraming("a chunk's size line is malformed")
        size = int(size_text, 16)
        if len(body) + size > MAX_BODY:
            raise BadFraming(f"the body is over {MAX_BODY} bytes, API Gateway's limit")
        if size == 0:
            break
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadFraming("a chunk is shorter than its size says")
        body += chunk
    for _ in range(100):  # trailer fields, then the empty line
        trailer = rfile.readline(8192)
        if trailer in (b"\r\n", b"\n"):
            return bytes(body)
        if not trailer.endswith(b"\n"):
            break
    raise BadFraming("the chunked body does not end")


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has a Content-Length
    timeout = IDLE_SECONDS  # the socket's: a stalled client ends its own connection, never a thread's life
    gateway: Gateway

    def _dispatch(self) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        try:
            body = read_body(self.headers, self.rfile)
        except BadFraming as error:
            self.close_connection = True  # what follows on this connection cannot be trusted
            self._send(problem(400, "Bad Request", str(error), "VALIDATION_ERROR"), closing=True)
            return
        request = Request(
            method=self.command,
            path=raw_path,
            query=parse_qsl(raw_query, keep_blank_values=True),
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        self._send(self.gateway.handle(request))

    def _send(self, response: Response, closing: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.header_list:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if "x-content-type-options" not in response.headers:
            self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(response.body)))
        if closing:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        """Every method reaches the gateway (TRACE, PROPFIND, ...: 405 problem+json there), never the
        standard library's 501 page."""
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.client_address[0], *args)


class _Server(ThreadingHTTPServer):
    # the standard library listens with a backlog of 5: at noon 32-64 phones connecting at once
    # were reset. The kernel caps it at net.core.somaxconn (4096 on current kernels).
    request_queue_size = 1024
    daemon_threads = True


def serve(gateway: Gateway, port: int) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1:`port` for `gateway` (call serve_forever on it)."""
    handler = type("GatewayHttpHandler", (_HttpHandler,), {"gateway": gateway})
    server = _Server(("127.0.0.1", port), handler)
    server.daemon_threads = True
    gateway.host = f"127.0.0.1:{server.server_port}"
    pages.allow_own_origin(gateway.host)
    return server
