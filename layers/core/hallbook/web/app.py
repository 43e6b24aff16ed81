"""The resolver every API function builds on: Powertools REST resolver with request validation and
OpenAPI, one error mapping to problem+json, and the shared logger/metrics/tracer."""
from __future__ import annotations

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from ..domain.errors import DomainError
from .problems import from_domain, from_validation, problem

logger = Logger(log_uncaught_exceptions=True)
metrics = Metrics()
tracer = Tracer()


def to_json(body) -> str:
    """Response bodies as UTF-8 JSON: Chinese names and addresses stay readable (and shorter)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, serializer=to_json)

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
        return problem(404, "NOT_FOUND", f"No route {app.current_event.http_method} {app.current_event.path}.")

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

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event, context):
        return app.resolve(event, context)

    return app, lambda_handler
