"""Every router of the API. Each function includes the routers of its audience; the OpenAPI document
includes them all."""


def ALL_ROUTERS():  # noqa: N802 - a registry, imported lazily so a function loads only what it serves
    from . import accounts, admin, bookings, catalog
    from . import catalog_admin, operator, staff  # issue 6: the hall, the catalogue, the call centre
    from . import applications  # issue 7: residence permits and their online applications
    from . import identity  # guardian links (R2) and the owner's reclaim of an ID number (R1)
    from . import sessions  # issue 11: logout, SMS login codes, password change
    from . import proxies  # issue 15: family proxies (R20)
    from . import flags  # issue 15: abuse flags (R22)

    return [catalog.router, accounts.router, bookings.router, admin.router, staff.router, catalog_admin.router,
            operator.router, applications.router, applications.staff_router, applications.admin_router,
            identity.router, identity.staff_router, sessions.router, proxies.router, flags.router]
