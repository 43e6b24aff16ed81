"""Staff API: check-in, walk-in tickets, the queue and the public display board (R14, R15), and the
office's residence-permit applications (R17). Thin: routing and wiring only; rules live in
hallbook.domain and hallbook.services."""

from hallbook.web.app import api_handler
from hallbook.web.routes import applications_staff, identity_staff, staff

app, lambda_handler = api_handler(staff.router, applications_staff.router, identity_staff.router)
