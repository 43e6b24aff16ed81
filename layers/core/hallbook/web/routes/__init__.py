"""Every router of the API. Each function includes the routers of its audience; the OpenAPI document
includes them all."""


def ALL_ROUTERS():  # noqa: N802 - a registry, imported lazily so a function loads only what it serves
    from . import accounts, bookings, catalog, closures
    from . import catalog_admin, operator, staff  # the hall, the catalogue, the call centre
    from . import applications  # residence permits and their online applications (R17)
    from . import identity  # guardian links (R2) and the owner's reclaim of an ID number (R1)
    from . import sessions  # logout, SMS login codes, password change

    return [catalog.router, accounts.router, bookings.router, closures.router, staff.router, catalog_admin.router,
            operator.router, applications.router, applications.staff_router, applications.admin_router,
            identity.router, identity.staff_router, sessions.router]
