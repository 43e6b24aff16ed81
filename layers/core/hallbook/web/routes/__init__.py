"""Every router of the API. Each function includes the routers of its audience; the OpenAPI document
includes them all."""


def ALL_ROUTERS():  # noqa: N802 - a registry, imported lazily so a function loads only what it serves
    from . import accounts, bookings, catalog

    return [catalog.router, accounts.router, bookings.router]
