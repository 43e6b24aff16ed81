"""Fair release (R23): an administrator marks a service drawn in a region; a citizen enters the draw of
a drawn day during its entry period and sees the outcome; anybody reads a draw's public record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models_draws import DrawEntriesOut, DrawEntryIn, DrawEntryOut, DrawOut, DrawSettingIn, DrawSettingOut
from ..routing import ADMIN, BOOKING_ATTEMPTS, BOOKING_REFUSALS, CITIZEN, LIMITED, declare, merge

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import draw_entries, draw_settings, draws
else:
    draw_entries = lazy("hallbook.services.draw_entries")
    draw_settings = lazy("hallbook.services.draw_settings")
    draws = lazy("hallbook.services.draws")

router = APIGatewayRouter()  # the citizens' routes and the public record
admin_router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Region = Annotated[str, Path(max_length=64)]
ServiceCode = Annotated[str, Path(max_length=64)]


@declare(
    admin_router,
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
    caller = verified_caller(admin_router)
    setting, draw = draw_settings.mark_drawn(caller, region, service_code, body.entry_minutes, now())
    return Response(200, "application/json", DrawSettingOut.of(setting, draw), NO_STORE)


@declare(
    admin_router,
    "DELETE",
    "/v1/regions/{region}/draws/{service_code}",
    tags=["admin"],
    roles=ADMIN,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",)},
    writes=True,
)
def unmark_drawn(region: Region, service_code: ServiceCode) -> Response[DrawSettingOut]:
    """First-come again from the next noon release on; the days already opened keep their draws. Audited."""
    caller = verified_caller(admin_router)
    return Response(
        200, "application/json", DrawSettingOut.of(draw_settings.unmark(caller, region, service_code, now())), NO_STORE
    )


@declare(
    router,
    "POST",
    "/v1/draw-entries",
    tags=["draws"],
    roles=CITIZEN,
    limits=BOOKING_ATTEMPTS,
    ok=(201,),
    refusals=merge(BOOKING_REFUSALS, {409: ("DRAW_CLOSED",)}, LIMITED),
    ok_headers=("Location", "Idempotent-Replayed"),
)
def enter_draw(
    body: Annotated[DrawEntryIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[DrawEntryOut]:
    """Enter the draw of a drawn day during its entry period: one entry per person (ID number) and draw.
    Being early or fast changes nothing: the order is drawn from the seed at the close."""
    caller = verified_caller(router)
    entry, created = draw_entries.enter(caller, draw_entries.EntryRequest(**body.model_dump()), idempotency_key, now())
    headers = {**NO_STORE, "Location": f"/v1/draws/{entry.draw_id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(201, "application/json", DrawEntryOut.of(entry), headers)


@declare(router, "GET", "/v1/draw-entries", tags=["draws"], roles=CITIZEN)
def list_draw_entries() -> Response[DrawEntriesOut]:
    """The caller's entries (own and minors'), newest first: entered, won (with the booking) or lost."""
    caller = verified_caller(router)
    return Response(
        200, "application/json", DrawEntriesOut(entries=DrawEntryOut.each(draw_entries.list_entries(caller))), NO_STORE
    )


@declare(router, "GET", "/v1/draws/{draw_id}", tags=["draws"], refusals={404: ("NOT_FOUND",)})
def get_draw(draw_id: Annotated[str, Path(max_length=128)]) -> Response[DrawOut]:
    """The public record of a draw: region, service, day, places, entries, winners; once drawn, its seed
    and how the draw is computed from it, so anybody can recompute it."""
    draw = draws.get_public(draw_id)
    # public and the same for everybody: a drawn record never changes again; an open one briefly
    cache = "public, max-age=86400" if draw.state == "drawn" else "public, max-age=5"
    from ...store.catalog import load_catalog

    body = DrawOut.of(draw, draws.places_of(draw, load_catalog()))
    return Response(200, "application/json", body, {"Cache-Control": cache})
