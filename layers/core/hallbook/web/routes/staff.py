"""At the hall (R14, R15): staff of the hall check citizens in, issue walk-in tickets, call the next
ticket and complete it; the public display board. Role and office: web/auth.staff_of."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import staff_of
from ..models import BookingOut
from ..models_tickets import (
    BoardOut,
    CallNextIn,
    CheckInIn,
    CheckInOut,
    CompleteOut,
    CounterStateOut,
    DayTicketsOut,
    IdentityOut,
    TicketOut,
    TransferIn,
    WalkInIn,
)
from ..routing import STAFF, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import board, checkin, counters, tickets
else:
    board = lazy("hallbook.services.board")
    checkin = lazy("hallbook.services.checkin")
    counters = lazy("hallbook.services.counters")
    tickets = lazy("hallbook.services.tickets")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
BOARD_MAX_AGE = 5  # seconds: screens poll every few seconds; a CDN or browser answers in between

Office = Annotated[str, Path(max_length=64)]


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/check-ins",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(201,),
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE", "CHECK_IN_CLOSED")},
)
def check_in(office_id: Office, body: Annotated[CheckInIn, Body()]) -> Response[CheckInOut]:
    """Check a booking in by reference or ID number (R14), from 30 minutes before its slot to its end; the answer shows the masked name, ID number and slot to compare with the ID card."""
    staff_of(router, office_id)
    done = checkin.check_in(office_id, body.reference, body.id_number, now())
    checked_in = CheckInOut(
        ticket=TicketOut.of(done.ticket),
        booking=BookingOut.of(done.booking),
        identity=IdentityOut.model_validate(asdict(done.identity)) if done.identity else None,
    )
    return Response(201, "application/json", checked_in, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/tickets",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(201,),
    refusals={404: ("NOT_FOUND",), 409: ("BOOKING_REQUIRED", "SERVICE_NOT_OFFERED")},
)
def issue_walk_in_ticket(office_id: Office, body: Annotated[WalkInIn, Body()]) -> Response[TicketOut]:
    """A walk-in ticket (`B...`) for a service, at a `priority` hall only (R4, R15): called after the booking tickets of its slot."""
    staff_of(router, office_id)
    return Response(
        201, "application/json", TicketOut.of(tickets.walk_in(office_id, body.service_code, now())), NO_STORE
    )


@declare(
    router,
    "GET",
    "/v1/offices/{office_id}/tickets",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",)},
)
def list_day_tickets(office_id: Office) -> Response[DayTicketsOut]:
    """The counter console's day list: every ticket of the hall today (numbers and states)."""
    staff_of(router, office_id)
    day = board.day_tickets(office_id, now())
    return Response(
        200,
        "application/json",
        DayTicketsOut(
            office_id=day.office_id, date=day.date.isoformat(), tickets=[TicketOut.of(t) for t in day.tickets]
        ),
        NO_STORE,
    )


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/queue/next",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND", "QUEUE_EMPTY")},
)
def call_next(office_id: Office, body: Annotated[CallNextIn, Body()]) -> Response[TicketOut]:
    """Call the next ticket to this counter (R15): booking tickets first, in booking order, then walk-ins; a paused counter calls nobody."""
    staff_of(router, office_id)
    return Response(200, "application/json", TicketOut.of(tickets.call_next(office_id, body.counter, now())), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/tickets/{ticket_id}/complete",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",)},
)
def complete_ticket(office_id: Office, ticket_id: Annotated[str, Path(max_length=32)]) -> Response[CompleteOut]:
    """The ticket is done; its booking becomes `completed` and the ticket leaves the display board."""
    staff_of(router, office_id)
    done = tickets.complete(office_id, ticket_id, now())
    return Response(
        200,
        "application/json",
        CompleteOut(ticket=TicketOut.of(done.ticket), booking=BookingOut.of(done.booking) if done.booking else None),
        NO_STORE,
    )


# ---------------------------------------------------------------- R15a: at the counter (audited)

TicketId = Annotated[str, Path(max_length=32)]
Counter = Annotated[str, Path(max_length=48)]


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/tickets/{ticket_id}/recall",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",)},
)
def recall_ticket(office_id: Office, ticket_id: TicketId) -> Response[TicketOut]:
    """重呼: the called ticket is announced again at its counter."""
    caller = staff_of(router, office_id)
    return Response(
        200, "application/json", TicketOut.of(counters.recall(caller, office_id, ticket_id, now())), NO_STORE
    )


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/tickets/{ticket_id}/skip",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",)},
)
def skip_ticket(office_id: Office, ticket_id: TicketId) -> Response[TicketOut]:
    """过号: back in the queue after the next N calls; a second skip ends it as no_show."""
    caller = staff_of(router, office_id)
    return Response(200, "application/json", TicketOut.of(counters.skip(caller, office_id, ticket_id, now())), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/tickets/{ticket_id}/transfer",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE", "SERVICE_NOT_OFFERED")},
)
def transfer_ticket(office_id: Office, ticket_id: TicketId, body: Annotated[TransferIn, Body()]) -> Response[TicketOut]:
    """To another counter or service; a booking ticket stays ahead of walk-ins."""
    caller = staff_of(router, office_id)
    moved = counters.transfer(caller, office_id, ticket_id, body.counter, body.service_code, now())
    return Response(200, "application/json", TicketOut.of(moved), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/counters/{counter}/pause",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",), 409: ("INVALID_STATE",)},
)
def pause_counter(office_id: Office, counter: Counter) -> Response[CounterStateOut]:
    """Pause the counter (R15a): 'call next' skips it and the board shows it paused."""
    caller = staff_of(router, office_id)
    state = counters.pause(caller, office_id, counter, now())
    return Response(200, "application/json", CounterStateOut(**asdict(state)), NO_STORE)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/counters/{counter}/resume",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",)},
)
def resume_counter(office_id: Office, counter: Counter) -> Response[CounterStateOut]:
    """Resume a paused counter (R15a)."""
    caller = staff_of(router, office_id)
    state = counters.pause(caller, office_id, counter, now(), paused=False)
    return Response(200, "application/json", CounterStateOut(**asdict(state)), NO_STORE)


@declare(
    router,
    "GET",
    "/v1/offices/{office_id}/queue",
    tags=["hall"],
    responses={
        200: {"description": "the board", "content": {"application/json": {"model": BoardOut}}},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
    ok=(200, 304),
    refusals={404: ("NOT_FOUND",)},
    ok_headers=("ETag",),
)
def get_queue_board(office_id: Office):  # no return annotation: a 304 has no body to validate
    """Public, numbers only. Cheap to poll: one small Query per origin request (the board item and
    the waiting entries), `Cache-Control: public, max-age=5` so caches answer most polls, and an
    ETag so an unchanged board costs a 304 without a body."""
    text = json.dumps(board.board(office_id, now()), ensure_ascii=False, sort_keys=True)
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:16] + '"'
    headers = {"Cache-Control": f"public, max-age={BOARD_MAX_AGE}", "ETag": etag}
    if (router.current_event.headers or {}).get("If-None-Match") == etag:
        return Response(304, None, "", headers)
    return Response(200, "application/json", text, headers)
