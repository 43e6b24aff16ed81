"""Call-centre operators (role `operator`) act for a caller found by ID number and phone, or by the
reference of a booking: list, book, reschedule and cancel with the citizen's rules and SMS, re-send a
confirmation SMS, every action audited. Role: web/auth.operator. The citizen's ID number and phone
travel in a POST body, never in a URL (URLs end up in logs); a reference is no personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import operator
from ..models import CURSOR, BookingOut, RescheduleIn
from ..models_operator import CitizenLookupIn, CitizenOut, OperatorBookingIn, OperatorBookingsOut, OperatorFoundOut
from ..routing import BOOKING_REFUSALS, CANCEL_REFUSALS, LIMITED, OPERATOR, RESCHEDULE_REFUSALS, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import bookings, reschedule
    from ...services import operator as service
else:
    bookings = lazy("hallbook.services.bookings")
    reschedule = lazy("hallbook.services.reschedule")
    service = lazy("hallbook.services.operator")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Account = Annotated[str, Path(max_length=64)]


@declare(
    router,
    "POST",
    "/v1/operator/citizen-lookups",
    tags=["call centre"],
    roles=OPERATOR,
    refusals={404: ("NOT_FOUND",)},
    writes=False,
)
def find_citizen(body: Annotated[CitizenLookupIn, Body()]) -> Response[CitizenOut]:
    """The caller's account, found by ID number and phone together (both must match)."""
    caller = operator(router)
    return Response(200, "application/json", service.find_citizen(caller, body.id_number, body.phone, now()), NO_STORE)


@declare(router, "GET", "/v1/operator/bookings", tags=["call centre"], roles=OPERATOR, refusals={404: ("NOT_FOUND",)})
def find_booking(
    reference: Annotated[
        str,
        Query(
            min_length=1,
            max_length=20,
            description="the reference the caller reads out, e.g. K7M2-9QXH (case, spaces, hyphens, O/0, I/L/1 forgiven)",
        ),
    ],
) -> Response[OperatorFoundOut]:
    """The booking a caller reads out (case, spaces, hyphens, O/0 and I/L/1 forgiven), masked, with the
    account holder's masked name and phone for the operator to confirm with the caller."""
    caller = operator(router)
    found = service.find_by_reference(caller, reference, now())
    out = OperatorFoundOut(
        account_id=found.account_id,
        name=found.name,
        phone=found.phone,
        id_number=found.id_number,
        booking=BookingOut.of(found.booking),
    )
    return Response(200, "application/json", out, NO_STORE)


@declare(router, "GET", "/v1/operator/citizens/{account_id}/bookings", tags=["call centre"], roles=OPERATOR)
def operator_list_bookings(
    account_id: Account,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[OperatorBookingsOut]:
    """The caller's bookings, masked, for the operator who found the caller (audited)."""
    caller = operator(router)
    page = service.list_bookings(caller, account_id, limit, cursor, now())
    return Response(
        200,
        "application/json",
        OperatorBookingsOut(bookings=BookingOut.each(page.bookings), next_cursor=page.next_cursor),
        NO_STORE,
    )


@declare(
    router,
    "POST",
    "/v1/operator/citizens/{account_id}/bookings",
    tags=["call centre"],
    roles=OPERATOR,
    ok=(201,),
    refusals=BOOKING_REFUSALS,
    ok_headers=("Idempotent-Replayed",),
)
def operator_create_booking(
    account_id: Account,
    body: Annotated[OperatorBookingIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Response[BookingOut]:
    """Book for the caller under every rule of their own booking (R8-R12); audited with the operator's id."""
    caller = operator(router)
    booking, created = service.book(
        caller, account_id, bookings.BookingRequest(**body.model_dump()), idempotency_key, now()
    )
    headers = {**NO_STORE, **({} if created else {"Idempotent-Replayed": "true"})}
    return Response(201, "application/json", BookingOut.of(booking), headers)


@declare(
    router,
    "POST",
    "/v1/operator/citizens/{account_id}/bookings/{booking_id}/cancel",
    tags=["call centre"],
    roles=OPERATOR,
    refusals=CANCEL_REFUSALS,
)
def operator_cancel_booking(
    account_id: Account, booking_id: Annotated[str, Path(max_length=64)]
) -> Response[BookingOut]:
    """Cancel a caller's booking under R10; audited with the operator's id."""
    caller = operator(router)
    return Response(
        200, "application/json", BookingOut.of(service.cancel(caller, account_id, booking_id, now())), NO_STORE
    )


@declare(
    router,
    "POST",
    "/v1/operator/citizens/{account_id}/bookings/{booking_id}/reschedule",
    tags=["call centre"],
    roles=OPERATOR,
    refusals=RESCHEDULE_REFUSALS,
)
def operator_reschedule_booking(
    account_id: Account,
    booking_id: Annotated[str, Path(max_length=64)],
    body: Annotated[RescheduleIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[BookingOut]:
    """R8a for the caller: the same atomic move and SMS as the citizen's own reschedule."""
    caller = operator(router)
    request = reschedule.RescheduleRequest(**body.model_dump())
    moved = service.reschedule_for(caller, account_id, booking_id, request, idempotency_key, now())
    return Response(200, "application/json", BookingOut.of(moved), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/operator/citizens/{account_id}/bookings/{booking_id}/confirmation-sms",
    tags=["call centre"],
    roles=OPERATOR,
    ok=(202,),
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",), **LIMITED},
)
def operator_resend_confirmation(
    account_id: Account, booking_id: Annotated[str, Path(max_length=64)]
) -> Response[BookingOut]:
    """The booking's confirmation SMS again (a booked booking; three a day per booking)."""
    caller = operator(router)
    return Response(
        202,
        "application/json",
        BookingOut.of(service.resend_confirmation(caller, account_id, booking_id, now())),
        NO_STORE,
    )
