"""Residence-permit applications (R17), the citizens' routes (CitizenApiFunction): their permits and
their own applications. The office's staff review them in routes/applications_staff.py (StaffApiFunction);
administrators register permits in routes/applications_admin.py (AdminApiFunction): each function
builds only the models of its own routes. Roles: web/auth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import verified_caller
from ..models import CURSOR
from ..models_applications import ApplicationOut, ApplicationsOut, UploadOut
from ..models_applications_citizen import ApplicationIn, CollectionIn, UploadIn
from ..models_permits import PermitOut, PermitsOut
from ..routing import APPLICATION_STEP, BOOKING_REFUSALS, CITIZEN, declare, merge

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import application_collection, application_materials, application_reads, applications, permits
else:
    applications = lazy("hallbook.services.applications")
    application_collection = lazy("hallbook.services.application_collection")
    application_materials = lazy("hallbook.services.application_materials")
    application_reads = lazy("hallbook.services.application_reads")
    permits = lazy("hallbook.services.permits")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}

ApplicationId = Annotated[str, Path(max_length=64)]


def _ok(body: object, status: int = 200, **headers: str) -> Response:
    return Response(status, "application/json", body, {**NO_STORE, **headers})


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
    page = application_reads.list_own(verified_caller(router), limit, cursor)
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
    return _ok(ApplicationOut.of(application_reads.own_application(caller, application_id)))


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
    return _ok(
        UploadOut.of(application_materials.new_upload(caller, application_id, body.material, body.content_type)), 201
    )


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
    return _ok(
        ApplicationOut.of(
            application_collection.choose_collection(caller, application_id, body.method, now(), **fields)
        )
    )
