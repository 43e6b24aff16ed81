"""Citizen API: catalog, availability, accounts, sessions, bookings and residence-permit
applications. Thin: routing and wiring only; rules live in hallbook.domain and hallbook.services."""

from hallbook.web.app import api_handler
from hallbook.web.routes import accounts, applications, bookings, catalog, draws, identity, proxies, sessions, waitlist

app, lambda_handler = api_handler(
    catalog.router,
    accounts.router,
    bookings.router,
    applications.router,
    identity.router,
    sessions.router,
    waitlist.router,
    proxies.router,
    draws.router,
)
