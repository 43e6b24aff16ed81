"""Who a citizen is and whom they act for, the citizens' routes (CitizenApiFunction): guardian links (R2)
and the owner's reclaim of an ID number (R1). The hall's side is routes/identity_staff.py (StaffApiFunction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models_identity import GuardianLinkOut
from ..models_identity_citizen import (
    GuardianConfirmIn,
    GuardianLinkIn,
    GuardianLinksOut,
    ReclaimConfirmIn,
    ReclaimConfirmOut,
)
from ..routing import CITIZEN, LIMITED, SMS_BY_ADDRESS, Limit, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import guardians, reclaims
else:
    guardians = lazy("hallbook.services.guardians")
    reclaims = lazy("hallbook.services.reclaims")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _json(status: int, body) -> Response:
    return Response(status, "application/json", body, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/guardian-links",
    tags=["guardians"],
    roles=CITIZEN,
    limits=(
        SMS_BY_ADDRESS,
        Limit("guardian_account", "account", shared=True, what="guardian link requests"),
        Limit("guardian_minor", "minor_id_number", shared=True, what="guardian link requests"),
    ),
    ok=(201, 202),
    refusals={403: ("PHONE_NOT_VERIFIED",), **LIMITED},
)
def request_guardian_link(body: Annotated[GuardianLinkIn, Body()]) -> Response[GuardianLinkOut]:
    """Ask to act for a minor: active at once when the real-name source confirms the guardianship,
    `pending` when a linked guardian must confirm (an SMS code goes to their phone)."""
    link = guardians.request_link(verified_caller(router), body.minor_id_number, now())
    shown = GuardianLinkOut.of(link)
    return _json(201 if shown.status == "active" else 202, shown)


@declare(
    router,
    "POST",
    "/v1/guardian-links/confirm",
    tags=["guardians"],
    roles=CITIZEN,
    refusals={403: ("PHONE_NOT_VERIFIED",), 409: ("INVALID_STATE",), **LIMITED},
)
def confirm_guardian_link(body: Annotated[GuardianConfirmIn, Body()]) -> Response[GuardianLinkOut]:
    """A linked guardian confirms another guardian's request with the SMS code sent to them (R2)."""
    return _json(
        200,
        GuardianLinkOut.of(guardians.confirm_link(verified_caller(router), body.minor_id_number, body.code, now())),
    )


@declare(router, "POST", "/v1/guardian-links/revoke", tags=["guardians"], roles=CITIZEN, refusals={404: ("NOT_FOUND",)})
def revoke_guardian_link(body: Annotated[GuardianLinkIn, Body()]) -> Response[GuardianLinkOut]:
    """End the caller's link to a minor (R2)."""
    return _json(200, GuardianLinkOut.of(guardians.revoke_own(verified_caller(router), body.minor_id_number, now())))


@declare(router, "GET", "/v1/guardian-links", tags=["guardians"], roles=CITIZEN)
def list_guardian_links() -> Response[GuardianLinksOut]:
    """The minors the caller may act for, and pending requests (R2)."""
    return _json(
        200,
        GuardianLinksOut(
            links=[GuardianLinkOut.of(link) for link in guardians.my_links(verified_caller(router), now())]
        ),
    )


@declare(router, "POST", "/v1/accounts/reclaim/confirm", tags=["accounts"], refusals=LIMITED)
def confirm_reclaim(body: Annotated[ReclaimConfirmIn, Body()]) -> Response[ReclaimConfirmOut]:
    """The owner's first password after a hall gave their ID number back, with the SMS code it sent."""
    return _json(200, reclaims.confirm(body.id_number, body.code, body.password, now()))
