"""Hall closures (role `admin`): an administrator closes a hall for a day (services/closures.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models import DateText
from ..models_admin import ClosureIn, ClosureLiftedOut, ClosureOut, ClosurePreviewOut
from ..routing import ADMIN, CATALOG_CHANGE, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import closures
else:
    closures = lazy("hallbook.services.closures")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/closures",
    tags=["admin"],
    roles=ADMIN,
    ok=(201,),
    refusals={404: ("NOT_FOUND",), **CATALOG_CHANGE},
)
def close_day(
    office_id: Annotated[str, Path(max_length=64)], body: Annotated[ClosureIn, Body()]
) -> Response[ClosureOut]:
    """The hall is closed on `date`: its slots stop being bookable and its bookings are cancelled by the
    hall (not counted against the citizens), each citizen told the reason by SMS. Safe to repeat."""
    caller = verified_caller(router)
    result = closures.close_day(caller, office_id, body.date, body.reason, now())
    return Response(201, "application/json", result, NO_STORE)


@declare(
    router,
    "GET",
    "/v1/offices/{office_id}/closures/{date}",
    tags=["admin"],
    roles=ADMIN,
    refusals={404: ("NOT_FOUND",)},
)
def preview_closure(
    office_id: Annotated[str, Path(max_length=64)],
    date: Annotated[DateText, Path(min_length=10, max_length=10, description="YYYY-MM-DD")],
) -> Response[ClosurePreviewOut]:
    """Before closing a day: how many bookings the closure would cancel (each told by SMS),
    slots it would close and waitlist entries it would end, and whether the day is closed already."""
    verified_caller(router)
    return Response(200, "application/json", closures.preview_closure(office_id, date, now()), NO_STORE)


@declare(
    router,
    "DELETE",
    "/v1/offices/{office_id}/closures/{date}",
    tags=["admin"],
    roles=ADMIN,
    refusals={404: ("NOT_FOUND",), **CATALOG_CHANGE},
    writes=True,
)
def lift_closure(
    office_id: Annotated[str, Path(max_length=64)],
    date: Annotated[DateText, Path(min_length=10, max_length=10, description="YYYY-MM-DD")],
) -> Response[ClosureLiftedOut]:
    """The day opens again: its slots return with the places the closure freed; the bookings it
    cancelled stay cancelled (nobody's is revived). Audited. 404 when the day has no closure."""
    caller = verified_caller(router)
    return Response(200, "application/json", closures.lift_closure(caller, office_id, date, now()), NO_STORE)
