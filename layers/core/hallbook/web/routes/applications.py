"""Residence permits and their online applications (R17). Three routers, one per audience and API
function: `router` (citizens: CitizenApiFunction), `staff_router` (staff of the permit's office:
StaffApiFunction), `admin_router` (registering permits: AdminApiFunction). Roles: web/auth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...domain.errors import NotFound
from ...lazy import lazy
from ..auth import admin, staff_of, verified_caller
from ..models import CURSOR, PERMIT_NUMBER
from ..models_applications import (
    ApplicationIn,
    ApplicationOut,
    ApplicationsOut,
    CollectionIn,
    CompleteIn,
    DecisionIn,
    OfficeApplicationsOut,
    PermitIn,
    PermitOut,
    PermitsOut,
    States,
    UploadIn,
    UploadOut,
)
from ..routing import ADMIN, APPLICATION_STEP, BOOKING_REFUSALS, CITIZEN, CREATE_OR_CHANGE, STAFF, declare, merge

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import applications, permits
else:
    applications = lazy("hallbook.services.applications")
    permits = lazy("hallbook.services.permits")

router = APIGatewayRouter()
staff_router = APIGatewayRouter()
admin_router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}

ApplicationId = Annotated[str, Path(max_length=64)]
Office = Annotated[str, Path(max_length=64)]


def _ok(body: object, status: int = 200, **headers: str) -> Response:
    return Response(status, "application/json", body, {**NO_STORE, **headers})


# ---------------------------------------------------------------- citizens


@declare(router, "GET", "/v1/permits", tags=["applications"], roles=CITIZEN)
def list_permits() -> Response[PermitsOut]:
    """The residence permits the caller holds, each with its renewal window."""
    return _ok(PermitsOut(permits=[PermitOut.of(p) for p in permits.own_permits(verified_caller(router))]))


@declare(
    router,
    "POST",
    "/v1/applications",
    tags=["applications"],
    roles=CITIZEN,
    ok=(201,),
    ok_headers=("Location",),
    refusals={403: ("PHONE_NOT_VERIFIED",), 404: ("NOT_FOUND",), 409: ("NOT_ELIGIBLE",)},
)
def create_application(body: Annotated[ApplicationIn, Body()]) -> Response[ApplicationOut]:
    """R17: a draft application for a permit the caller holds, with a presigned upload form per
    material. NOT_ELIGIBLE outside the renewal month (the window in `detail`), for a change older
    than 30 days, or while the permit has an open application of that kind."""
    caller = verified_caller(router)
    fields = body.model_dump(exclude={"kind", "permit_number"})
    opened = applications.create(caller, body.kind, body.permit_number, now(), **fields)
    return _ok(
        ApplicationOut.of(opened.application, uploads=opened.upload_forms),
        201,
        Location=f"/v1/applications/{opened.application.application_id}",
    )


@declare(router, "GET", "/v1/applications", tags=["applications"], roles=CITIZEN)
def list_applications(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[ApplicationsOut]:
    """The caller's applications, newest first."""
    page = applications.list_own(verified_caller(router), limit, cursor)
    return _ok(ApplicationsOut(applications=ApplicationOut.each(page.applications), next_cursor=page.next_cursor))


@declare(
    router,
    "GET",
    "/v1/applications/{application_id}",
    tags=["applications"],
    roles=CITIZEN,
    refusals={404: ("NOT_FOUND",)},
)
def get_application(application_id: ApplicationId) -> Response[ApplicationOut]:
    """One of the caller's residence-permit applications with its state, materials and history (R17)."""
    caller = verified_caller(router)
    return _ok(ApplicationOut.of(applications.own_application(caller, application_id)))


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/uploads",
    tags=["applications"],
    roles=CITIZEN,
    ok=(201,),
    refusals=APPLICATION_STEP,
)
def create_upload_form(application_id: ApplicationId, body: Annotated[UploadIn, Body()]) -> Response[UploadOut]:
    """Another presigned upload form for one material of a draft (another content type, or after
    the first form expired)."""
    caller = verified_caller(router)
    return _ok(UploadOut.of(applications.new_upload(caller, application_id, body.material, body.content_type)), 201)


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/submit",
    tags=["applications"],
    roles=CITIZEN,
    refusals=APPLICATION_STEP,
)
def submit_application(application_id: ApplicationId) -> Response[ApplicationOut]:
    """draft -> submitted, once every required material is uploaded (VALIDATION_ERROR lists the
    missing ones)."""
    return _ok(ApplicationOut.of(applications.submit(verified_caller(router), application_id, now())))


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/withdraw",
    tags=["applications"],
    roles=CITIZEN,
    refusals=APPLICATION_STEP,
)
def withdraw_application(application_id: ApplicationId) -> Response[ApplicationOut]:
    """A draft or submitted application is withdrawn; the permit may be applied for again."""
    return _ok(ApplicationOut.of(applications.withdraw(verified_caller(router), application_id, now())))


@declare(
    router,
    "POST",
    "/v1/applications/{application_id}/collection",
    tags=["applications"],
    roles=CITIZEN,
    refusals=merge(APPLICATION_STEP, BOOKING_REFUSALS),
)
def choose_collection(application_id: ApplicationId, body: Annotated[CollectionIn, Body()]) -> Response[ApplicationOut]:
    """approved -> collecting: `{method: window, office_id, date, start}` books a permit-collection
    slot at the office under the booking rules (SLOT_FULL, OUTSIDE_WINDOW, ...);
    `{method: mail, name, address, phone}` has the permit posted (postage paid on delivery)."""
    caller = verified_caller(router)
    fields = body.model_dump(exclude={"method"})
    fields["day"] = fields.pop("date", None)
    return _ok(ApplicationOut.of(applications.choose_collection(caller, application_id, body.method, now(), **fields)))


# ---------------------------------------------------------------- staff of the permit's office


@declare(
    staff_router, "GET", "/v1/offices/{office_id}/applications", tags=["applications"], roles=STAFF, own_office=True
)
def list_office_applications(
    office_id: Office,
    state: Annotated[States, Query()] = "submitted",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[OfficeApplicationsOut]:
    """The office's applications in one state, oldest submission first, a page at a time."""
    staff_of(staff_router, office_id)
    page = applications.office_applications(office_id, state, limit, cursor)
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
    verified_caller(staff_router, "staff", "admin")
    application = applications.for_staff(application_id)
    return staff_of(staff_router, application.office_id), application


@declare(
    staff_router,
    "GET",
    "/v1/offices/{office_id}/applications/{application_id}",
    tags=["applications"],
    roles=STAFF,
    own_office=True,
)
def get_office_application(office_id: Office, application_id: ApplicationId) -> Response[ApplicationOut]:
    """One application with presigned download URLs of its materials (a few minutes each)."""
    caller = staff_of(staff_router, office_id)
    application = applications.for_staff(application_id)
    if application.office_id != office_id:
        raise NotFound("No such application at this station.")
    return _ok(ApplicationOut.for_staff(applications.staff_view(application, contact_for=caller, now=now())))


@declare(
    staff_router,
    "POST",
    "/v1/applications/{application_id}/review",
    tags=["applications"],
    roles=STAFF,
    refusals=APPLICATION_STEP,
)
def review_application(application_id: ApplicationId) -> Response[ApplicationOut]:
    """submitted -> under_review: staff open the application (its materials' download URLs come back)."""
    caller, application = _staff_application(application_id)
    return _ok(ApplicationOut.for_staff(applications.review(caller, application, now())))


@declare(
    staff_router,
    "POST",
    "/v1/applications/{application_id}/decision",
    tags=["applications"],
    roles=STAFF,
    refusals=APPLICATION_STEP,
)
def decide_application(application_id: ApplicationId, body: Annotated[DecisionIn, Body()]) -> Response[ApplicationOut]:
    """under_review -> approved | rejected (a reason required); the citizen is told by SMS."""
    caller, application = _staff_application(application_id)
    return _ok(ApplicationOut.for_staff(applications.decide(caller, application, body.approve, body.reason, now())))


@declare(
    staff_router,
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
            applications.complete(caller, application, now(), body.tracking_number if body else None)
        )
    )


# ---------------------------------------------------------------- administrators


@declare(
    admin_router,
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
    caller = admin(admin_router)
    headers = admin_router.current_event.headers or {}
    if_match = next((v for k, v in headers.items() if k.lower() == "if-match"), None)
    permit, created, tag = permits.put_permit_versioned(caller, number, body.model_dump(), now(), if_match)
    return _ok(PermitOut.of(permit), 201 if created else 200, ETag=tag)
