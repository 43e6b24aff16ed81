"""Who a citizen is and whom they act for, the hall staff's routes (StaffApiFunction): guardian links (R2),
the reclaim of an ID number by its owner (R1), phone changes, and their second approval or consent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import staff_of
from ..models_identity import GuardianLinkOut
from ..models_identity_staff import (
    ConsentIn,
    IdentityChangeOut,
    ReclaimIn,
    StaffGuardianLinkIn,
    StaffGuardianRevokeIn,
    StaffPhoneChangeIn,
)
from ..routing import LIMITED, STAFF, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import guardians, identity_changes
else:
    guardians = lazy("hallbook.services.guardians")
    identity_changes = lazy("hallbook.services.identity_changes")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Office = Annotated[str, Path(max_length=64)]


def _json(status: int, body) -> Response:
    return Response(status, "application/json", body, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/guardian-links",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(202, 200),
    refusals={403: ("FORBIDDEN",), 404: ("NOT_FOUND",)},
)
def staff_link_guardian(office_id: Office, body: Annotated[StaffGuardianLinkIn, Body()]) -> Response[IdentityChangeOut]:
    """Staff who saw the household register ask to link a guardian's account to a minor: refused when
    the population register contradicts it, else pending (202) until a second staff member approves or
    the minor's linked guardian consents; 200 when the link is active already."""
    staff = staff_of(router=router, office_id=office_id)
    shown = identity_changes.request_link(staff, office_id, body.guardian_id_number, body.minor_id_number, now())
    return _json(200 if shown["status"] == "active" else 202, shown)


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/guardian-links/revoke",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    refusals={404: ("NOT_FOUND",)},
)
def staff_revoke_guardian_link(
    office_id: Office, body: Annotated[StaffGuardianRevokeIn, Body()]
) -> Response[GuardianLinkOut]:
    staff = staff_of(router=router, office_id=office_id)
    return _json(
        200, GuardianLinkOut.of(guardians.revoke_by_staff(staff, body.account_id, body.minor_id_number, now()))
    )


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/identity-reclaims",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(202,),
    refusals={403: ("FORBIDDEN",), 404: ("NOT_FOUND",)},
)
def reclaim_id_number(office_id: Office, body: Annotated[ReclaimIn, Body()]) -> Response[IdentityChangeOut]:
    """R1: staff who have seen the owner's ID card ask to give the number back to its owner: refused
    when the real-name source contradicts it, else pending (202) until a second staff member approves
    or the account that holds the number consents."""
    staff = staff_of(router=router, office_id=office_id)
    return _json(
        202, identity_changes.request_reclaim(staff, office_id, body.id_number, body.name, body.phone, body.lang, now())
    )


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/identity-changes/{change_id}/approve",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(201,),
    refusals={403: ("FORBIDDEN",), 404: ("NOT_FOUND",), 409: ("PHONE_TAKEN", "INVALID_STATE")},
)
def approve_identity_change(
    office_id: Office, change_id: Annotated[str, Path(max_length=64)]
) -> Response[IdentityChangeOut]:
    """A second staff member of the hall (or an administrator) approves a pending reclaim, guardian link
    or phone change: it is carried out (flagged R22, audited)."""
    staff = staff_of(router=router, office_id=office_id)
    return _json(201, identity_changes.approve(staff, office_id, change_id, now()))


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/identity-changes/{change_id}/consent",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(201,),
    refusals={404: ("NOT_FOUND",), 409: ("PHONE_TAKEN", "INVALID_STATE"), **LIMITED},
)
def consent_identity_change(
    office_id: Office, change_id: Annotated[str, Path(max_length=64)], body: Annotated[ConsentIn, Body()]
) -> Response[IdentityChangeOut]:
    """The account concerned consented: the clerk enters the code it received by SMS (five tries)."""
    staff = staff_of(router=router, office_id=office_id)
    return _json(201, identity_changes.consent(staff, office_id, change_id, body.code, now()))


@declare(
    router,
    "POST",
    "/v1/offices/{office_id}/phone-changes",
    tags=["hall"],
    roles=STAFF,
    own_office=True,
    ok=(202,),
    refusals={404: ("NOT_FOUND",), 409: ("PHONE_TAKEN",)},
)
def phone_change(office_id: Office, body: Annotated[StaffPhoneChangeIn, Body()]) -> Response[IdentityChangeOut]:
    """R1, a lost old phone: staff who saw the ID card ask to move the account to the phone the citizen
    holds: refused when the real-name source says the phone is someone else's, else pending (202) until
    a second staff member approves (audited, flagged R22)."""
    staff = staff_of(router=router, office_id=office_id)
    return _json(202, identity_changes.request_phone_change(staff, office_id, body.id_number, body.phone, now()))
