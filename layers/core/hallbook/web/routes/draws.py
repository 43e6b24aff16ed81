"""Fair release (R23): an administrator marks a service drawn in a region; a citizen enters the draw of
a drawn day during its entry period and sees the outcome; anybody reads a draw's public record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ...store.catalog import load_catalog
from ..auth import verified_caller
from ..models_draws import DrawEntriesOut, DrawEntryIn, DrawEntryOut, DrawOut, DrawSettingIn, DrawSettingOut

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import draws
else:
    draws = lazy("hallbook.services.draws")

router = APIGatewayRouter()  # the citizens' routes and the public record
admin_router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Region = Annotated[str, Path(max_length=64)]
ServiceCode = Annotated[str, Path(max_length=64)]


@admin_router.put("/v1/regions/<region>/draws/<service_code>", tags=["admin"])
def mark_drawn(
    region: Region, service_code: ServiceCode, body: Annotated[DrawSettingIn, Body()]
) -> Response[DrawSettingOut]:
    """The service is drawn by lot in the region from the next noon release on (R23); its first draw is
    announced at once (its seed's hash published). Audited."""
    caller = verified_caller(admin_router, "admin")
    setting, draw = draws.mark_drawn(caller, region, service_code, body.entry_minutes, now())
    return Response(200, "application/json", DrawSettingOut.of(setting, draw), NO_STORE)


@admin_router.delete("/v1/regions/<region>/draws/<service_code>", tags=["admin"])
def unmark(region: Region, service_code: ServiceCode) -> Response[DrawSettingOut]:
    """First-come again from the next noon release on; the days already opened keep their draws. Audited."""
    caller = verified_caller(admin_router, "admin")
    return Response(
        200, "application/json", DrawSettingOut.of(draws.unmark(caller, region, service_code, now())), NO_STORE
    )


@router.post("/v1/draw-entries", tags=["draws"])
def enter(
    body: Annotated[DrawEntryIn, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[DrawEntryOut]:
    """Enter the draw of a drawn day during its entry period: one entry per person (ID number) and draw.
    Being early or fast changes nothing: the order is drawn from the seed at the close."""
    caller = verified_caller(router, "citizen")
    entry, created = draws.enter(caller, draws.EntryRequest(**body.model_dump()), idempotency_key, now())
    headers = {**NO_STORE, "Location": f"/v1/draws/{entry.draw_id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(201, "application/json", DrawEntryOut.of(entry), headers)


@router.get("/v1/draw-entries", tags=["draws"])
def list_entries() -> Response[DrawEntriesOut]:
    """The caller's entries (own and minors'), newest first: entered, won (with the booking) or lost."""
    caller = verified_caller(router, "citizen")
    return Response(
        200, "application/json", DrawEntriesOut(entries=DrawEntryOut.each(draws.list_entries(caller))), NO_STORE
    )


@router.get("/v1/draws/<draw_id>", tags=["draws"])
def get_draw(draw_id: Annotated[str, Path(max_length=128)]) -> Response[DrawOut]:
    """The public record of a draw: region, service, day, places, entries, winners; once drawn, its seed
    and how the draw is computed from it, so anybody can recompute it."""
    draw = draws.get_public(draw_id)
    return Response(200, "application/json", DrawOut.of(draw, draws.places_of(draw, load_catalog())), NO_STORE)
