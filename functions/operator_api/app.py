"""Call-centre API: operators find a caller by ID number and phone, list, book and cancel for them
(every action audited). Thin: routing and wiring only; rules live in hallbook.domain and hallbook.services."""

from hallbook.web.app import api_handler
from hallbook.web.routes import operator

app, lambda_handler = api_handler(operator.router)
