"""Fair release (R23), the citizens' routes and the public record (CitizenApiFunction): a citizen enters
the draw of a drawn day during its entry period and sees the outcome; anybody reads a draw's public
record. Administrators mark a service drawn in routes/draws_admin.py (AdminApiFunction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models_draws import DrawEntriesOut, DrawEntryIn, DrawEntryOut, DrawOut
from ..routing import BOOKING_ATTEMPTS, BOOKING_REFUSALS, CITIZEN, LIMITED, declare, merge

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import draw_entries, draws
else:
    draw_entries = lazy("hallbook.services.draw_entries")
    draws = lazy("hallbook.services.draws")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


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
