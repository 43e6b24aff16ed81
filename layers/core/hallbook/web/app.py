"""The resolver every API function builds on: Powertools REST resolver with request validation and
OpenAPI, one error mapping to problem+json, and the shared logger/metrics/tracer."""

from __future__ import annotations

import json
import time

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from .. import libraries, telemetry  # noqa: F401 - libraries first: the platform, then gc.freeze()
from ..config import settings
from ..domain.errors import DomainError
from ..i18n import N_
from ..observability import LazyTracer, logger, metrics, tracer, warm_for_provisioned_concurrency
from ..services import tokens
from ..store import base as _store_base  # noqa: F401 - see below
from . import guard
from .problems import Problem, answering_in, from_domain, from_validation, problem

# Every request of every API function reads or writes the tables: pynamodb (and so botocore) and the
# stores' shared part load at the cold start, not in a first request. A route's own store, service
# and rules load when the route is first used (hallbook/lazy.py), so no request pays for another's.
settings()  # cold start: a missing or malformed variable stops every function here, naming it
__all__ = ["LazyTracer", "api_handler", "logger", "make_resolver", "metrics", "tracer"]


def to_json(body) -> str:
    """Response bodies as UTF-8 JSON: Chinese names and addresses stay readable (and shorter)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def json_body_refusal(event: dict):
    """What browsers and clients really send, read before Powertools sees it. A body whose media type
    is application/json (any case, any parameters), application/*+json or text/plain (what `fetch`
    sends for a string) is read as JSON and handed on as application/json; any other type is 415. The
    JSON must be one object, nested at most MAX_JSON_DEPTH deep. Returns the problem, or None."""
    body = event.get("body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        import base64

        try:
            body = base64.b64decode(body).decode("utf-8")
        except ValueError:
            return Problem(400, "VALIDATION_ERROR", "the body is not UTF-8 text")
        event["body"], event["isBase64Encoded"] = body, False
    media_type = content_type(event).split(";", 1)[0].strip().lower()
    if not (
        media_type in ("", "application/json", "text/plain")
        or (media_type.startswith("application/") and media_type.endswith("+json"))
    ):
        return Problem(
            415, "UNSUPPORTED_MEDIA_TYPE", N_("Send the body as application/json, not {type}.", type=media_type[:60])
        )
    problem_text = json_object_problem(body)
    if problem_text:
        return Problem(400, "VALIDATION_ERROR", problem_text)
    set_content_type(event, "application/json")
    return None


def content_type(event: dict) -> str:
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == "content-type":
            return value or ""
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if name.lower() == "content-type" and values:
            return values[-1] or ""
    return ""


def set_content_type(event: dict, value: str) -> None:
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if headers is None:
            continue
        for name in [n for n in headers if n.lower() == "content-type"]:
            del headers[name]
        headers["Content-Type"] = value if key == "headers" else [value]


MAX_JSON_DEPTH = 32


def json_object_problem(text: str) -> str | None:
    """Why `text` is not one JSON object of reasonable depth, or None. The depth is counted before
    parsing, so a 100,000-deep body costs one pass and no recursion."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return N_("the body is nested more than {depth} deep", depth=MAX_JSON_DEPTH)
        elif char in "]}":
            depth -= 1
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return N_("the body is not valid JSON")
    if not isinstance(value, dict):
        return N_("the body must be a JSON object")
    return None


class OriginsFromEnvironment(CORSConfig):
    """CORS for the pages' origins: ALLOWED_ORIGINS (comma-separated; template parameter
    AllowedOrigins) and LOCAL_ORIGINS (local mode's own origin, once it listens), from the settings.
    Bearer tokens only: never Access-Control-Allow-Credentials, so no cookie is ever sent."""

    def __init__(self) -> None:
        super().__init__(
            allow_headers=["Idempotency-Key", "If-None-Match", "If-Match"],  # If-Match: the admin console's edits
            max_age=600,
            expose_headers=["ETag", "Retry-After", "Location", "Idempotent-Replayed"],
        )

    @property
    def _allowed_origins(self) -> list[str]:
        return settings().cors_origins()

    @_allowed_origins.setter
    def _allowed_origins(self, _: list[str]) -> None:
        pass  # the environment rules


CORS = OriginsFromEnvironment()


def with_cors(event: dict, proxy: dict) -> dict:
    """A response made before the resolver (web/guard.py's 401/403/429) with the resolver's CORS
    headers, so the page can read the refusal."""
    origin = next((v for n, v in (event.get("headers") or {}).items() if n.lower() == "origin"), None)
    headers = CORS.to_dict(CORS.allowed_origin(origin)) if origin else {}
    if headers:
        proxy = {**proxy, "headers": {**(proxy.get("headers") or {}), **headers}}
    return proxy


def hardened(result: dict) -> dict:
    """Every answer of every API function, refusals included: `X-Content-Type-Options: nosniff` (a
    browser never guesses JSON, the confirmation or the .ics as something else) and `Vary: Origin`
    (Access-Control-Allow-Origin depends on the request's Origin; the stage cache keys on it too,
    template RequestParameters), joined to whatever Vary the route set."""
    single = dict(result.get("headers") or {})
    multi = dict(result.get("multiValueHeaders") or {})
    vary: list[str] = []
    for headers in (multi, single):
        for name in [n for n in headers if n.lower() in ("vary", "x-content-type-options")]:
            value = headers.pop(name)
            if name.lower() == "vary":
                vary += [v.strip() for item in (value if isinstance(value, list) else [value]) for v in item.split(",")]
    if "origin" not in {v.lower() for v in vary}:
        vary.append("Origin")
    single["Vary"] = ", ".join(dict.fromkeys(v for v in vary if v))
    single["X-Content-Type-Options"] = "nosniff"
    out = {**result, "headers": single}
    if multi or "multiValueHeaders" in result:
        out["multiValueHeaders"] = multi
    return out


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, serializer=to_json, cors=CORS)

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response:
        if error.status >= 500:
            logger.warning("refused: %s", error.code)
        return from_domain(error)

    @app.exception_handler(RequestValidationError)
    def validation_error(error: RequestValidationError) -> Response:
        return from_validation(list(error.errors()))

    @app.exception_handler(json.JSONDecodeError)
    def bad_json(_: json.JSONDecodeError) -> Response:
        return problem(400, "VALIDATION_ERROR", "the body is not valid JSON", "Invalid request")

    @app.not_found
    def not_found(_: NotFoundError) -> Response:
        return problem(
            404,
            "NOT_FOUND",
            N_("No route {method} {path}.", method=app.current_event.http_method, path=app.current_event.path),
        )

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        return problem(500, "INTERNAL", "Something went wrong on our side; nothing was changed twice. Please retry.")

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi():
        from .openapi import document

        return Response(200, "application/json", document(), {"Cache-Control": "public, max-age=300"})

    return app


def api_handler(*routers):
    """The resolver and Lambda handler of one API function serving `routers`: every API function
    is this wiring and nothing more."""
    from aws_lambda_powertools.logging import correlation_paths

    app = make_resolver()
    for router in routers:
        app.include_router(router)
    warm_for_provisioned_concurrency()

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event, context):
        started = time.perf_counter()  # a measurement for the dashboards, not a rule's time (clock.py)
        tokens.new_request()  # the guard and the route share one decoding of the token
        with answering_in(guard.header(event, "Accept-Language")):  # problems in the caller's language
            # web/guard.py: who may call this route and how often, before Powertools validates anything
            refused = guard.admit(event) or json_body_refusal(event) or guard.meter(event)
            result = with_cors(event, refused.to_proxy()) if refused is not None else app.resolve(event, context)
            guard.settle(result)
        telemetry.request(event, result, (time.perf_counter() - started) * 1000)
        return hardened(result)

    return app, lambda_handler
