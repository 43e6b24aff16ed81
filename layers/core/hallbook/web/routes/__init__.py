"""Every router of the API. Each function includes the routers of its audience; the OpenAPI document
includes them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..routing import Route


def ALL_ROUTERS():  # noqa: N802 - a registry, imported lazily so a function loads only what it serves
    # the citizens' catalog, accounts and bookings; closures, the hall, the catalog, the call centre;
    # residence permits (R17); guardian links (R2) and the owner's reclaim of an ID number (R1); logout,
    # SMS login codes, password change; the waitlist (R18), family proxies (R20), abuse flags (R22), draws (R23)
    from . import (
        accounts,
        applications,
        applications_admin,
        applications_staff,
        bookings,
        catalog,
        catalog_admin,
        closures,
        draws,
        draws_admin,
        flags,
        identity,
        identity_staff,
        operator,
        proxies,
        sessions,
        staff,
        waitlist,
    )

    return [
        catalog.router,
        accounts.router,
        bookings.router,
        closures.router,
        staff.router,
        catalog_admin.router,
        operator.router,
        applications.router,
        applications_staff.router,
        applications_admin.router,
        identity.router,
        identity_staff.router,
        sessions.router,
        waitlist.router,
        proxies.router,
        flags.router,
        draws.router,
        draws_admin.router,
    ]


def every_route() -> dict[tuple[str, str], Route]:
    """Every route of every function (the document, the tests): imports every router first."""
    from ..routing import ROUTES

    ALL_ROUTERS()
    return ROUTES
