"""Administrator API: hall closures, the catalogue (services, halls, calendar) and the audit log. Thin: routing and wiring only; rules live in hallbook.domain and
hallbook.services."""
from aws_lambda_powertools.logging import correlation_paths

from hallbook.web.app import logger, make_resolver, metrics, tracer
from hallbook.web.routes import admin, catalog_admin

app = make_resolver()
app.include_router(admin.router)
app.include_router(catalog_admin.router)  # services, halls, calendar, audit log


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
