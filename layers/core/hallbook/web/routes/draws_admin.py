"""Fair release (R23), the administrators' routes (AdminApiFunction): a service is drawn by lot in a
region from the next noon release on, or first-come again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models_draws_admin import DrawSettingIn, DrawSettingOut
from ..routing import ADMIN, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import draw_settings
else:
    draw_settings = lazy("hallbook.services.draw_settings")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Region = Annotated[str, Path(max_length=64)]
ServiceCode = Annotated[str, Path(max_length=64)]


@declare(
    router,
    "PUT",
    "/v1/regions/{region}/draws/{service_code}",
    tags=["admin"],
    roles=ADMIN,
    refusals={404: ("NOT_FOUND",), 409: ("WALK_IN_ONLY", "INVALID_STATE")},
)
def mark_drawn(
    region: Region, service_code: ServiceCode, body: Annotated[DrawSettingIn, Body()]
) -> Response[DrawSettingOut]:
    """The service is drawn by lot in the region from the next noon release on (R23); its first draw is
    announced at once (its seed's hash published). Audited."""
    caller = verified_caller(router)
    setting, draw = draw_settings.mark_drawn(caller, region, service_code, body.entry_minutes, now())
    return Response(200, "application/json", DrawSettingOut.of(setting, draw), NO_STORE)


@declare(
    router,
    "DELETE",
    "/v1/regions/{region}/draws/{service_code}",
    tags=["admin"],
    roles=ADMIN,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",)},
    writes=True,
)
def unmark_drawn(region: Region, service_code: ServiceCode) -> Response[DrawSettingOut]:
    """First-come again from the next noon release on; the days already opened keep their draws. Audited."""
    caller = verified_caller(router)
    return Response(
        200, "application/json", DrawSettingOut.of(draw_settings.unmark(caller, region, service_code, now())), NO_STORE
    )
