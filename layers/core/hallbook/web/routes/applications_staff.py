"""Residence-permit applications (R17), the routes of the staff of the permit's office
(StaffApiFunction): the office's list, review, decision and hand-over. Roles: web/auth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...domain.errors import NotFound
from ...lazy import lazy
from ..auth import staff_of, verified_caller
from ..models import CURSOR
from ..models_applications import ApplicationOut, States
from ..models_applications_staff import CompleteIn, DecisionIn, OfficeApplicationsOut
from ..routing import APPLICATION_STEP, STAFF, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import application_reads, application_review
else:
    application_reads = lazy("hallbook.services.application_reads")
    application_review = lazy("hallbook.services.application_review")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}

ApplicationId = Annotated[str, Path(max_length=64)]
Office = Annotated[str, Path(max_length=64)]


def _ok(body: object, status: int = 200, **headers: str) -> Response:
    return Response(status, "application/json", body, {**NO_STORE, **headers})


@declare(router, "GET", "/v1/offices/{office_id}/applications", tags=["applications"], roles=STAFF, own_office=True)
def list_office_applications(
    office_id: Office,
    state: Annotated[States, Query()] = "submitted",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[OfficeApplicationsOut]:
    """The office's applications in one state, oldest submission first, a page at a time."""
    staff_of(router, office_id)
    page = application_reads.office_applications(office_id, state, limit, cursor)
    return _ok(
        OfficeApplicationsOut(
            office_id=page.office_id,
            state=page.state,
            applications=ApplicationOut.each(page.applications),
            next_cursor=page.next_cursor,
        )
    )


def _staff_application(application_id: str):
    """The application, once the caller is staff (or admin) of its office."""
    verified_caller(router, "staff", "admin")
    application = application_reads.for_staff(application_id)
    return staff_of(router, application.office_id), application


@declare(
    router,
    "GET",
    "/v1/offices/{office_id}/applications/{application_id}",
    tags=["applications"],
    roles=STAFF,
    own_office=True,
)
def get_office_application(office_id: Office, application_id: ApplicationId) -> Response[ApplicationOut]:
    """One application with presigned download URLs of its materials (a few minutes each)."""
    caller = staff_of(router, office_id)
    application = application_reads.for_staff(application_id)
    if application.office_id != office_id:
        raise NotFound("No such application at this station.")
    return _ok(ApplicationOut.for_staff(application_review.staff_view(application, contact_for=caller, now=now())))


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/review",
    tags=["applications"],
    roles=STAFF,
    refusals=APPLICATION_STEP,
)
def review_application(application_id: ApplicationId) -> Response[ApplicationOut]:
    """submitted -> under_review: staff open the application (its materials' download URLs come back)."""
    caller, application = _staff_application(application_id)
    return _ok(ApplicationOut.for_staff(application_review.review(caller, application, now())))


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/decision",
    tags=["applications"],
    roles=STAFF,
    refusals=APPLICATION_STEP,
)
def decide_application(application_id: ApplicationId, body: Annotated[DecisionIn, Body()]) -> Response[ApplicationOut]:
    """under_review -> approved | rejected (a reason required); the citizen is told by SMS."""
    caller, application = _staff_application(application_id)
    return _ok(
        ApplicationOut.for_staff(application_review.decide(caller, application, body.approve, body.reason, now()))
    )


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/complete",
    tags=["applications"],
    roles=STAFF,
    refusals=APPLICATION_STEP,
)
def complete_application(
    application_id: ApplicationId, body: Annotated[CompleteIn | None, Body()] = None
) -> Response[ApplicationOut]:
    """collecting -> closed: the permit was handed over (window: its booking checked in, which is then
    completed and its ticket leaves the board) or posted (`tracking_number`, optional, goes into the
    citizen's SMS). A renewal extends the permit by a year; a change writes the new details."""
    caller, application = _staff_application(application_id)
    return _ok(
        ApplicationOut.for_staff(
            application_review.complete(caller, application, now(), body.tracking_number if body else None)
        )
    )
