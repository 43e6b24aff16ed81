"""Citizen API: catalogue, availability, accounts, sessions and bookings. Thin: routing and wiring
only; rules live in hallbook.domain and hallbook.services."""
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit  # noqa: F401  (metrics are emitted by services)

from hallbook.web.app import logger, make_resolver, metrics, tracer
from hallbook.web.routes import accounts, bookings, catalog

app = make_resolver()
app.include_router(catalog.router)
app.include_router(accounts.router)
app.include_router(bookings.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
