"""Call-centre operators (role `operator`) act for a caller found by ID number and phone: list,
book and cancel with the citizen's rules and SMS, every action audited. Role: web/auth.operator.
The citizen's ID number and phone travel in a POST body, never in a URL (URLs end up in logs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import operator
from ..models import CURSOR, BookingOut
from ..models_admin import CitizenLookupIn, CitizenOut, OperatorBookingIn, OperatorBookingsOut

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import bookings
    from ...services import operator as service
else:
    bookings = lazy("hallbook.services.bookings")
    service = lazy("hallbook.services.operator")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Account = Annotated[str, Path(max_length=64)]


@router.post("/v1/operator/citizen-lookups", tags=["call centre"])
def find_citizen(body: Annotated[CitizenLookupIn, Body()]) -> Response[CitizenOut]:
    """The caller's account, found by ID number and phone together (both must match)."""
    caller = operator(router)
    return Response(200, "application/json", service.find_citizen(caller, body.id_number, body.phone, now()), NO_STORE)


@router.get("/v1/operator/citizens/<account_id>/bookings", tags=["call centre"])
def list_bookings(
    account_id: Account,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[OperatorBookingsOut]:
    caller = operator(router)
    page = service.list_bookings(caller, account_id, limit, cursor, now())
    return Response(
        200,
        "application/json",
        OperatorBookingsOut(bookings=BookingOut.each(page.bookings), next_cursor=page.next_cursor),
        NO_STORE,
    )


@router.post("/v1/operator/citizens/<account_id>/bookings", tags=["call centre"])
def book(
    account_id: Account,
    body: Annotated[OperatorBookingIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Response[BookingOut]:
    caller = operator(router)
    booking, created = service.book(
        caller, account_id, bookings.BookingRequest(**body.model_dump()), idempotency_key, now()
    )
    headers = {**NO_STORE, **({} if created else {"Idempotent-Replayed": "true"})}
    return Response(201, "application/json", BookingOut.of(booking), headers)


@router.post("/v1/operator/citizens/<account_id>/bookings/<booking_id>/cancel", tags=["call centre"])
def cancel(account_id: Account, booking_id: Annotated[str, Path(max_length=64)]) -> Response[BookingOut]:
    caller = operator(router)
    return Response(
        200, "application/json", BookingOut.of(service.cancel(caller, account_id, booking_id, now())), NO_STORE
    )
