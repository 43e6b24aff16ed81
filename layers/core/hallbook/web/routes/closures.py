"""Hall closures (role `admin`): an administrator closes a hall for a day (services/closures.py)."""
from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...services import closures
from ..auth import caller
from ..models import ClosureIn, ClosureOut

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/v1/offices/<office_id>/closures", tags=["admin"])
def close_day(office_id: Annotated[str, Path(max_length=64)], body: Annotated[ClosureIn, Body()]) -> Response[ClosureOut]:
    """The hall is closed on `date`: its slots stop being bookable and its bookings are cancelled by the
    hall (not counted against the citizens), each citizen told the reason by SMS. Safe to repeat."""
    who = caller(router, "admin")
    result = closures.close_day(who, office_id, body.date, body.reason, now())
    return Response(201, "application/json", result, NO_STORE)
