"""Each route is declared once, beside its handler: `@declare(router, "POST", "/v1/bookings", ...)` names
its method and path, who may call it (roles; staff only of the path's office), the limits it counts,
what it answers when it succeeds (statuses, media, headers) and the problem codes it refuses with.

Everything else derives from these declarations: the router's own route (Powertools), the guard that
checks roles and limits on the raw event before the body is read (web/guard.py), the OpenAPI
document's security, statuses and refusals (web/openapi.py), and tests/api/test_guard.py's check that
template.yaml declares exactly these routes. A route module imports this module only: nothing here
imports the routes, the guard or the document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import settings
from ..domain.ratelimit import Rate

JSON = "application/json"
HTML = "text/html"
CALENDAR = "text/calendar"  # R13: a booking as an iCalendar event

# who may call a route (a token's role); staff routes of an office are also limited to that office
PUBLIC: tuple[str, ...] = ()
CITIZEN = ("citizen",)
STAFF = ("staff", "admin")  # staff of the office (administrators act for any office)
ADMIN = ("admin",)
OPERATOR = ("operator",)
ANY_ROLE = ("citizen", "staff", "admin", "operator")


@dataclass(frozen=True)
class Limit:
    """One limit a route counts: `Settings.limit_<name>` requests per key, keyed `by` the client
    address, the caller's account or a body field; `shared`: a global counter instead of memory."""

    name: str
    by: str  # address | account | phone | minor_id_number
    shared: bool = False
    what: str = "requests"
    # counts SMS sent, never forms refused (R1): a request the route refuses (any answer but 2xx: a
    # mistyped ID number, a taken phone) gets its unit back, so typos never spend a phone's quota
    forms_free: bool = False

    def rate(self) -> Rate:
        return Rate.parse(getattr(settings(), f"limit_{self.name}"))


SMS_BY_ADDRESS = Limit("sms_address", "address", shared=True, what="SMS codes requested")
BOOKING_ATTEMPTS = (
    Limit("booking_address", "address", what="booking attempts"),
    Limit("booking_account", "account", what="booking attempts"),
)


def merge(*tables: Mapping[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    merged: dict[int, tuple[str, ...]] = {}
    for table in tables:
        for status, codes in table.items():
            merged[status] = tuple(dict.fromkeys((*merged.get(status, ()), *codes)))
    return merged


# services.bookings.book: every refusal of a booking (R1-R12, R23), for the citizen, the operator, a
# proxy and a permit's collection at the window alike
BOOKING_REFUSALS = {
    403: ("PHONE_NOT_VERIFIED", "SUSPENDED", "FORBIDDEN"),
    404: ("NOT_FOUND",),
    409: (
        "WALK_IN_ONLY",
        "SERVICE_NOT_OFFERED",
        "OUTSIDE_WINDOW",
        "NO_SUCH_SLOT",
        "SLOT_FULL",
        "ALREADY_BOOKED",
        "DRAW_OPEN",  # R23: a drawn day before its draw is done
    ),
    422: ("VALIDATION_ERROR", "NOTICE_NOT_ACKNOWLEDGED"),
}
CANCEL_REFUSALS = {404: ("NOT_FOUND",), 409: ("NOT_CANCELLABLE", "CANCEL_CLOSED")}
# services.reschedule.reschedule_booking (R8a): the new slot's refusals and the cancellation's
RESCHEDULE_REFUSALS = merge(
    CANCEL_REFUSALS,
    {
        409: ("SERVICE_NOT_OFFERED", "OUTSIDE_WINDOW", "NO_SUCH_SLOT", "SLOT_FULL", "DRAW_OPEN"),
        422: ("VALIDATION_ERROR",),
    },
)
APPLICATION_STEP = {404: ("NOT_FOUND",), 409: ("INVALID_STATE",)}
CATALOG_CHANGE = {409: ("INVALID_STATE",)}  # changed by someone else meanwhile (store.catalog.ChangedMeanwhile)
# If-Match names a version the entity moved on from; without If-Match a concurrent change is 409
VERSIONED_CHANGE = {409: ("INVALID_STATE",), 412: ("PRECONDITION_FAILED",)}
LIMITED = {429: ("RATE_LIMITED",)}  # too many requests of the client address, account or phone; Retry-After
CREATE_OR_CHANGE = (201, 200)


@dataclass(frozen=True)
class Route:
    """One route as declared. `roles` empty: public. The refusals every route of its kind shares are
    added by the document (401/403 with a token, 422 with parameters or a body, 400/415 with a body,
    404 with path parameters, 503 BUSY for writes); `refusals` names the rest."""

    method: str
    path: str
    roles: tuple[str, ...] = PUBLIC
    own_office: bool = False  # staff only for the path's {office_id} (administrators for any)
    limits: tuple[Limit, ...] = ()
    ok: tuple[int, ...] = (200,)
    refusals: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    media: str = JSON
    writes: bool | None = None  # None: POST and PUT write (a transaction that may answer 503 BUSY)
    ok_headers: tuple[str, ...] = ()
    also_csv: bool = False  # `Accept: text/csv` answers the same as CSV (GET /v1/stats)


# (METHOD, /path/{param}) -> its declaration: every route of the routers imported in this process
ROUTES: dict[tuple[str, str], Route] = {}


def declare(
    router: Any, method: str, path: str, *, tags: list[str], responses: dict | None = None, **declared: Any
) -> Callable:
    """Declare a route and register its handler with the router (Powertools' `<param>` path syntax;
    `responses`: Powertools' own, for an answer its return annotation cannot say, such as a 304)."""
    ROUTES[(method, path)] = Route(method, path, **declared)
    return router.route(path.replace("{", "<").replace("}", ">"), method, tags=tags, responses=responses)


# the document itself: every function serves it (web/app.py)
ROUTES[("GET", "/v1/openapi.json")] = Route("GET", "/v1/openapi.json")
