"""Administrator API: hall closures, the catalog (services, halls, calendar), residence permits and
the audit log. Thin: routing and wiring only; rules live in hallbook.domain and hallbook.services."""

from hallbook.web.app import api_handler
from hallbook.web.routes import applications_admin, catalog_admin, closures, draws_admin, flags

app, lambda_handler = api_handler(
    closures.router, catalog_admin.router, applications_admin.router, flags.router, draws_admin.router
)
