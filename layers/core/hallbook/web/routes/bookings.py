"""A citizen's bookings (R2, R7-R13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models import CURSOR, BookingIn, BookingOut, BookingsOut, RescheduleIn
from ..routing import (
    BOOKING_ATTEMPTS,
    BOOKING_REFUSALS,
    CALENDAR,
    CANCEL_REFUSALS,
    CITIZEN,
    HTML,
    LIMITED,
    RESCHEDULE_REFUSALS,
    declare,
    merge,
)

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import bookings
    from ...services import confirmation as confirmations
    from ...services import reschedule as reschedules
else:
    bookings = lazy("hallbook.services.bookings")
    confirmations = lazy("hallbook.services.confirmation")
    reschedules = lazy("hallbook.services.reschedule")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


@declare(
    router,
    "POST",
    "/v1/bookings",
    tags=["bookings"],
    roles=CITIZEN,
    limits=BOOKING_ATTEMPTS,
    ok=(201,),
    refusals=merge(BOOKING_REFUSALS, LIMITED),
    ok_headers=("Location", "Idempotent-Replayed"),
)
def create_booking(
    body: Annotated[BookingIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[BookingOut]:
    """Book a slot (R8): hall, service, date and start, the notice acknowledged; a retry with the same Idempotency-Key answers the first booking."""
    caller = verified_caller(router)
    booking, created = bookings.book(caller, bookings.BookingRequest(**body.model_dump()), idempotency_key, now())
    headers = {**NO_STORE, "Location": f"/v1/bookings/{booking.booking_id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(201, "application/json", BookingOut.of(booking), headers)


@declare(router, "GET", "/v1/bookings", tags=["bookings"], roles=CITIZEN)
def list_bookings(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[BookingsOut]:
    """The caller's bookings and their minors', newest first, a page at a time (R13)."""
    caller = verified_caller(router)
    page = bookings.list_bookings(caller, limit, cursor)
    return Response(
        200,
        "application/json",
        BookingsOut(
            bookings=BookingOut.each(page.bookings, bookings.queue_positions(page.bookings)),
            next_cursor=page.next_cursor,
        ),
        NO_STORE,
    )


@declare(router, "GET", "/v1/bookings/{booking_id}", tags=["bookings"], roles=CITIZEN, refusals={404: ("NOT_FOUND",)})
def get_booking(booking_id: Annotated[str, Path(max_length=64)]) -> Response[BookingOut]:
    """One of the caller's bookings (or a linked minor's), with its ticket and how many are ahead once checked in (R13); anyone else's answers 404."""
    caller = verified_caller(router)
    booking = bookings.own_booking(caller, booking_id)
    queue = bookings.queue_positions([booking]).get(booking.booking_id)  # R13: on the day, once checked in
    return Response(200, "application/json", BookingOut.of(booking, queue=queue), NO_STORE)


@declare(router, "POST", "/v1/bookings/{booking_id}/cancel", tags=["bookings"], roles=CITIZEN, refusals=CANCEL_REFUSALS)
def cancel_booking(booking_id: Annotated[str, Path(max_length=64)]) -> Response[BookingOut]:
    """Cancel the booking until the cut-off, the evening before (R10); the place returns after a random delay (R19) and the cancellation counts for R11."""
    caller = verified_caller(router)
    return Response(200, "application/json", BookingOut.of(bookings.cancel(caller, booking_id, now())), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/bookings/{booking_id}/reschedule",
    tags=["bookings"],
    roles=CITIZEN,
    limits=BOOKING_ATTEMPTS,
    refusals=merge(RESCHEDULE_REFUSALS, LIMITED),
)
def reschedule_booking(
    booking_id: Annotated[str, Path(max_length=64)],
    body: Annotated[RescheduleIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[BookingOut]:
    """R8a: move the booking to another slot of its service (this hall or `office_id`'s) in one step,
    until the cancellation cut-off; not counted as a cancellation; one SMS gives both times."""
    caller = verified_caller(router)
    request = reschedules.RescheduleRequest(**body.model_dump())
    moved = reschedules.reschedule(caller, booking_id, request, idempotency_key, now())
    return Response(200, "application/json", BookingOut.of(moved), NO_STORE)


@declare(
    router,
    "GET",
    "/v1/bookings/{booking_id}/confirmation",
    tags=["bookings"],
    roles=CITIZEN,
    refusals={404: ("NOT_FOUND",)},
    media=HTML,
)
def get_confirmation(booking_id: Annotated[str, Path(max_length=64)]) -> Response[str]:
    """The booking's printable confirmation (R13): reference and QR code, hall, time, materials, in the request's language."""
    caller = verified_caller(router)
    return Response(
        200,
        "text/html; charset=utf-8",
        confirmations.confirmation_html(caller, booking_id),
        {**NO_STORE, "Content-Security-Policy": confirmations.CSP},
    )


@declare(
    router,
    "GET",
    "/v1/bookings/{booking_id}/calendar.ics",
    tags=["bookings"],
    roles=CITIZEN,
    refusals={404: ("NOT_FOUND",)},
    media=CALENDAR,
)
def get_calendar_entry(booking_id: Annotated[str, Path(max_length=64)]) -> Response[str]:
    """R13: the booking as an iCalendar event (the hall's address, a reminder the day before)."""
    caller = verified_caller(router)
    body, filename = confirmations.calendar_ics(caller, booking_id, now())
    return Response(
        200,
        "text/calendar; charset=utf-8",
        body.decode("utf-8"),
        {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
