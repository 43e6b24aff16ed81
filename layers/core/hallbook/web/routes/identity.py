"""Who a citizen is and whom they act for: guardian links (R2) and the owner's reclaim of an ID number
(R1). Citizens' routes in `router`, the hall's in `staff_router`."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...services import guardians, identity_changes, reclaims
from ..auth import staff_of, verified_caller
from ..models_identity import (
    ConsentIn,
    GuardianConfirmIn,
    GuardianLinkIn,
    GuardianLinkOut,
    GuardianLinksOut,
    IdentityChangeOut,
    ReclaimConfirmIn,
    ReclaimConfirmOut,
    ReclaimIn,
    StaffGuardianLinkIn,
    StaffGuardianRevokeIn,
    StaffPhoneChangeIn,
)

router = APIGatewayRouter()
staff_router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}
Office = Annotated[str, Path(max_length=64)]


def _json(status: int, body) -> Response:
    return Response(status, "application/json", body, NO_STORE)


@router.post("/v1/guardian-links", tags=["guardians"])
def request_guardian_link(body: Annotated[GuardianLinkIn, Body()]) -> Response[GuardianLinkOut]:
    """Ask to act for a minor: active at once when the real-name source confirms the guardianship,
    `pending` when a linked guardian must confirm (an SMS code goes to their phone)."""
    link = guardians.request_link(verified_caller(router, "citizen"), body.minor_id_number, now())
    shown = GuardianLinkOut.of(link)
    return _json(201 if shown.status == "active" else 202, shown)


@router.post("/v1/guardian-links/confirm", tags=["guardians"])
def confirm_guardian_link(body: Annotated[GuardianConfirmIn, Body()]) -> Response[GuardianLinkOut]:
    return _json(
        200,
        GuardianLinkOut.of(
            guardians.confirm_link(verified_caller(router, "citizen"), body.minor_id_number, body.code, now())
        ),
    )


@router.post("/v1/guardian-links/revoke", tags=["guardians"])
def revoke_guardian_link(body: Annotated[GuardianLinkIn, Body()]) -> Response[GuardianLinkOut]:
    return _json(
        200, GuardianLinkOut.of(guardians.revoke_own(verified_caller(router, "citizen"), body.minor_id_number, now()))
    )


@router.get("/v1/guardian-links", tags=["guardians"])
def list_guardian_links() -> Response[GuardianLinksOut]:
    return _json(
        200,
        GuardianLinksOut(
            links=[GuardianLinkOut.of(link) for link in guardians.my_links(verified_caller(router, "citizen"), now())]
        ),
    )


@router.post("/v1/accounts/reclaim/confirm", tags=["accounts"])
def confirm_reclaim(body: Annotated[ReclaimConfirmIn, Body()]) -> Response[ReclaimConfirmOut]:
    """The owner's first password after a hall gave their ID number back, with the SMS code it sent."""
    return _json(200, reclaims.confirm(body.id_number, body.code, body.password, now()))


@staff_router.post("/v1/offices/<office_id>/guardian-links", tags=["hall"])
def staff_link(office_id: Office, body: Annotated[StaffGuardianLinkIn, Body()]) -> Response[IdentityChangeOut]:
    """Staff who saw the household register ask to link a guardian's account to a minor: refused when
    the population register contradicts it, else pending (202) until a second staff member approves or
    the minor's linked guardian consents (issue 21)."""
    staff = staff_of(router=staff_router, office_id=office_id)
    shown = identity_changes.request_link(staff, office_id, body.guardian_id_number, body.minor_id_number, now())
    return _json(200 if shown["status"] == "active" else 202, shown)


@staff_router.post("/v1/offices/<office_id>/guardian-links/revoke", tags=["hall"])
def staff_revoke_guardian_link(
    office_id: Office, body: Annotated[StaffGuardianRevokeIn, Body()]
) -> Response[GuardianLinkOut]:
    staff = staff_of(router=staff_router, office_id=office_id)
    return _json(
        200, GuardianLinkOut.of(guardians.revoke_by_staff(staff, body.account_id, body.minor_id_number, now()))
    )


@staff_router.post("/v1/offices/<office_id>/identity-reclaims", tags=["hall"])
def reclaim(office_id: Office, body: Annotated[ReclaimIn, Body()]) -> Response[IdentityChangeOut]:
    """R1: staff who have seen the owner's ID card ask to give the number back to its owner: refused
    when the real-name source contradicts it, else pending (202) until a second staff member approves
    or the account that holds the number consents (issue 21)."""
    staff = staff_of(router=staff_router, office_id=office_id)
    return _json(
        202, identity_changes.request_reclaim(staff, office_id, body.id_number, body.name, body.phone, body.lang, now())
    )


@staff_router.post("/v1/offices/<office_id>/identity-changes/<change_id>/approve", tags=["hall"])
def approve_change(office_id: Office, change_id: Annotated[str, Path(max_length=64)]) -> Response[IdentityChangeOut]:
    """A second staff member of the hall (or an administrator) approves a pending reclaim or link."""
    staff = staff_of(router=staff_router, office_id=office_id)
    return _json(201, identity_changes.approve(staff, office_id, change_id, now()))


@staff_router.post("/v1/offices/<office_id>/identity-changes/<change_id>/consent", tags=["hall"])
def consent_change(
    office_id: Office, change_id: Annotated[str, Path(max_length=64)], body: Annotated[ConsentIn, Body()]
) -> Response[IdentityChangeOut]:
    """The account concerned consented: the clerk enters the code it received by SMS."""
    staff = staff_of(router=staff_router, office_id=office_id)
    return _json(201, identity_changes.consent(staff, office_id, change_id, body.code, now()))


@staff_router.post("/v1/offices/<office_id>/phone-changes", tags=["hall"])
def phone_change(office_id: Office, body: Annotated[StaffPhoneChangeIn, Body()]) -> Response[IdentityChangeOut]:
    """R1, a lost old phone: staff who saw the ID card ask to move the account to the phone the citizen
    holds: refused when the real-name source says the phone is someone else's, else pending (202) until a
    second staff member approves (audited, flagged R22)."""
    staff = staff_of(router=staff_router, office_id=office_id)
    return _json(202, identity_changes.request_phone_change(staff, office_id, body.id_number, body.phone, now()))
