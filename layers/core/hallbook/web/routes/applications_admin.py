"""Residence permits (R17), the administrators' route (AdminApiFunction): registering a permit. Roles: web/auth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import admin
from ..models import PERMIT_NUMBER
from ..models_admin import PermitIn
from ..models_permits import PermitOut
from ..routing import ADMIN, CREATE_OR_CHANGE, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import permits
else:
    permits = lazy("hallbook.services.permits")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _ok(body: object, status: int = 200, **headers: str) -> Response:
    return Response(status, "application/json", body, {**NO_STORE, **headers})


@declare(
    router,
    "PUT",
    "/v1/permits/{number}",
    tags=["admin"],
    roles=ADMIN,
    ok=CREATE_OR_CHANGE,
    refusals={404: ("NOT_FOUND",), 412: ("PRECONDITION_FAILED",)},
    ok_headers=("ETag",),
)
def put_permit(
    number: Annotated[str, Path(min_length=6, max_length=32, json_schema_extra={"pattern": PERMIT_NUMBER})],
    body: Annotated[PermitIn, Body()],
) -> Response[PermitOut]:
    """Register (201) or change (200) a residence permit; audited. If-Match: the ETag of the last
    answer (412 PRECONDITION_FAILED when it changed since)."""
    caller = admin(router)
    headers = router.current_event.headers or {}
    if_match = next((v for k, v in headers.items() if k.lower() == "if-match"), None)
    permit, created, tag = permits.put_permit_versioned(caller, number, body.model_dump(), now(), if_match)
    return _ok(PermitOut.of(permit), 201 if created else 200, ETag=tag)
