"""Family proxies (R20): a citizen authorises another citizen's account, by an SMS code sent to the
citizen's own phone, to book, list and cancel for them; either side revokes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models import CURSOR, BookingIn, BookingOut, BookingsOut, RescheduleIn
from ..models_proxies import ProxiesOut, ProxyConfirmIn, ProxyOut, ProxyRequestIn
from ..routing import (
    BOOKING_ATTEMPTS,
    BOOKING_REFUSALS,
    CANCEL_REFUSALS,
    CITIZEN,
    HTML,
    LIMITED,
    RESCHEDULE_REFUSALS,
    SMS_BY_ADDRESS,
    Limit,
    declare,
    merge,
)

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import bookings, confirmation, proxies
else:
    bookings = lazy("hallbook.services.bookings")
    confirmation = lazy("hallbook.services.confirmation")
    proxies = lazy("hallbook.services.proxies")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
ProxyId = Annotated[str, Path(max_length=64)]


def _json(status: int, body, headers: dict | None = None) -> Response:
    return Response(status, "application/json", body, {**NO_STORE, **(headers or {})})


@declare(
    router,
    "POST",
    "/v1/proxies",
    tags=["proxies"],
    roles=CITIZEN,
    limits=(
        SMS_BY_ADDRESS,
        Limit("proxy_account", "account", shared=True, what="proxy requests"),
        Limit("proxy_phone", "phone", shared=True, what="proxy requests"),
    ),
    ok=(202, 200),
    refusals={403: ("PHONE_NOT_VERIFIED",), 404: ("NOT_FOUND",), **LIMITED},
)
def request_proxy(body: Annotated[ProxyRequestIn, Body()]) -> Response[ProxyOut]:
    """Ask a citizen (an older relative) to let you book for them: 202 `pending`, and an SMS code goes
    to the phone registered on their account; 200 with the active authorisation you already hold."""
    link, created = proxies.request(verified_caller(router), body.id_number, body.phone, now())
    return _json(202 if created else 200, ProxyOut.of(link))


@declare(router, "GET", "/v1/proxies", tags=["proxies"], roles=CITIZEN)
def list_proxies() -> Response[ProxiesOut]:
    """Authorisations you gave (`you_are: citizen`) and hold (`you_are: proxy`), newest first."""
    return _json(200, ProxiesOut(proxies=[ProxyOut.of(a) for a in proxies.my_proxies(verified_caller(router), now())]))


@declare(
    router,
    "POST",
    "/v1/proxies/{proxy_id}/confirm",
    tags=["proxies"],
    roles=CITIZEN,
    refusals={403: ("PHONE_NOT_VERIFIED",), 409: ("INVALID_STATE",), **LIMITED},
)
def confirm_proxy(proxy_id: ProxyId, body: Annotated[ProxyConfirmIn, Body()]) -> Response[ProxyOut]:
    """The citizen's SMS code, read out to the proxy, activates the authorisation (R20)."""
    return _json(200, ProxyOut.of(proxies.confirm(verified_caller(router), proxy_id, body.code, now())))


@declare(
    router,
    "DELETE",
    "/v1/proxies/{proxy_id}",
    tags=["proxies"],
    roles=CITIZEN,
    refusals={404: ("NOT_FOUND",)},
    writes=True,
)
def revoke_proxy(proxy_id: ProxyId) -> Response[ProxyOut]:
    """The citizen or the proxy ends the authorisation; both are told by SMS. Bookings made stay."""
    return _json(200, ProxyOut.of(proxies.revoke(verified_caller(router), proxy_id, now())))


@declare(
    router, "GET", "/v1/proxies/{proxy_id}/bookings", tags=["proxies"], roles=CITIZEN, refusals={404: ("NOT_FOUND",)}
)
def proxy_list_bookings(
    proxy_id: ProxyId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[BookingsOut]:
    """The bookings of the citizen you act for (R20), masked as their own."""
    page = proxies.list_bookings(verified_caller(router), proxy_id, limit, cursor, now())
    return _json(200, BookingsOut(bookings=BookingOut.each(page.bookings), next_cursor=page.next_cursor))


@declare(
    router,
    "POST",
    "/v1/proxies/{proxy_id}/bookings",
    tags=["proxies"],
    roles=CITIZEN,
    limits=BOOKING_ATTEMPTS,
    ok=(201,),
    refusals=merge(BOOKING_REFUSALS, LIMITED),
    ok_headers=("Idempotent-Replayed",),
)
def proxy_create_booking(
    proxy_id: ProxyId,
    body: Annotated[BookingIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Response[BookingOut]:
    """Book for the citizen, under every rule of their own booking; the SMS go to both of you."""
    booking, created = proxies.book(
        verified_caller(router),
        proxy_id,
        bookings.BookingRequest(**body.model_dump()),
        idempotency_key,
        now(),
    )
    return _json(201, BookingOut.of(booking), {} if created else {"Idempotent-Replayed": "true"})


@declare(
    router,
    "POST",
    "/v1/proxies/{proxy_id}/bookings/{booking_id}/cancel",
    tags=["proxies"],
    roles=CITIZEN,
    refusals=CANCEL_REFUSALS,
)
def proxy_cancel_booking(proxy_id: ProxyId, booking_id: Annotated[str, Path(max_length=64)]) -> Response[BookingOut]:
    """Cancel a booking of the citizen you act for, under R10; both of you are told by SMS."""
    return _json(200, BookingOut.of(proxies.cancel(verified_caller(router), proxy_id, booking_id, now())))


# reschedule for the citizen (R8a with R20)
@declare(
    router,
    "POST",
    "/v1/proxies/{proxy_id}/bookings/{booking_id}/reschedule",
    tags=["proxies"],
    roles=CITIZEN,
    limits=BOOKING_ATTEMPTS,
    refusals=merge(RESCHEDULE_REFUSALS, LIMITED),
)
def proxy_reschedule_booking(
    proxy_id: ProxyId,
    booking_id: Annotated[str, Path(max_length=64)],
    body: Annotated[RescheduleIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[BookingOut]:
    """Move a booking of the citizen you act for to another time (R8a): one step, not a cancellation;
    the citizen gets the SMS, and you a copy."""
    from ...services.reschedule import RescheduleRequest

    request = RescheduleRequest(**body.model_dump())
    moved = proxies.reschedule(verified_caller(router), proxy_id, booking_id, request, idempotency_key, now())
    return _json(200, BookingOut.of(moved))


@declare(
    router,
    "GET",
    "/v1/proxies/{proxy_id}/bookings/{booking_id}/confirmation",
    tags=["proxies"],
    roles=CITIZEN,
    refusals={404: ("NOT_FOUND",)},
    media=HTML,
)
def proxy_get_confirmation(proxy_id: ProxyId, booking_id: Annotated[str, Path(max_length=64)]) -> Response[str]:
    """The citizen's printable confirmation (R13), for the proxy to print or pass on."""
    booking = proxies.own_booking_for(verified_caller(router), proxy_id, booking_id)
    return Response(
        200,
        "text/html; charset=utf-8",
        confirmation.page_for(booking),
        {**NO_STORE, "Content-Security-Policy": confirmation.CSP},
    )
