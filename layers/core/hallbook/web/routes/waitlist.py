"""A citizen's waitlist entries (R18): join, list, leave (declining an offer), accept an offer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models import BookingOut
from ..models_waitlist import AcceptIn, WaitlistIn, WaitlistOut, WaitlistsOut
from ..routing import APPLICATION_STEP, BOOKING_ATTEMPTS, BOOKING_REFUSALS, CITIZEN, LIMITED, declare, merge

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import waitlist
else:
    waitlist = lazy("hallbook.services.waitlist")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
EntryId = Annotated[str, Path(max_length=64)]


@declare(
    router,
    "POST",
    "/v1/waitlist",
    tags=["waitlist"],
    roles=CITIZEN,
    limits=BOOKING_ATTEMPTS,
    ok=(201,),
    refusals=merge(BOOKING_REFUSALS, {409: ("INVALID_STATE",)}, LIMITED),
    ok_headers=("Location",),
)
def join_waitlist(body: Annotated[WaitlistIn, Body()]) -> Response[WaitlistOut]:
    """Wait for a full day or one slot that has no free place; the entry counts as the subject's
    active booking of the service (R9) until it is accepted, left or ends at the day's cut-off."""
    caller = verified_caller(router)
    entry = waitlist.join(caller, waitlist.JoinRequest(**body.model_dump()), now())
    return Response(
        201, "application/json", WaitlistOut.of(entry), {**NO_STORE, "Location": f"/v1/waitlist/{entry.entry_id}"}
    )


@declare(router, "GET", "/v1/waitlist", tags=["waitlist"], roles=CITIZEN)
def list_waitlist_entries() -> Response[WaitlistsOut]:
    """The caller's waitlist entries and their offers (R18)."""
    caller = verified_caller(router)
    return Response(
        200, "application/json", WaitlistsOut(entries=WaitlistOut.each(waitlist.list_entries(caller))), NO_STORE
    )


@declare(
    router,
    "DELETE",
    "/v1/waitlist/{waitlist_id}",
    tags=["waitlist"],
    roles=CITIZEN,
    refusals=APPLICATION_STEP,
    writes=True,
)
def leave_waitlist(waitlist_id: EntryId) -> Response[WaitlistOut]:
    """Leave the waitlist (`left`); an offer held is declined (`declined`) and passes to the next entry."""
    caller = verified_caller(router)
    return Response(200, "application/json", WaitlistOut.of(waitlist.leave(caller, waitlist_id, now())), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/waitlist/{waitlist_id}/accept",
    tags=["waitlist"],
    roles=CITIZEN,
    ok=(201, 200),
    refusals={
        403: ("PHONE_NOT_VERIFIED", "SUSPENDED", "FORBIDDEN"),
        404: ("NOT_FOUND",),
        409: ("INVALID_STATE", "NO_SUCH_SLOT"),
        422: ("NOTICE_NOT_ACKNOWLEDGED",),
    },
    ok_headers=("Location",),
)
def accept_offer(waitlist_id: EntryId, body: Annotated[AcceptIn, Body()]) -> Response[BookingOut]:
    """The place held for the entry becomes a booking (201; 200 when it already did)."""
    caller = verified_caller(router)
    booking, created = waitlist.accept(caller, waitlist_id, body.notice_acknowledged, now())
    return Response(
        201 if created else 200,
        "application/json",
        BookingOut.of(booking),
        {**NO_STORE, "Location": f"/v1/bookings/{booking.booking_id}"},
    )
