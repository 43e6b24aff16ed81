"""Administrators keep the catalogue (R3-R5) and read the audit log. Role: web/auth.admin."""
from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...services import audit, catalog_admin
from ..auth import admin
from ..models import CURSOR, ServiceOut
from ..models_admin import AuditOut, CalendarIn, CalendarOut, OfficeAdminOut, OfficeIn, ServiceIn

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _status(created: bool) -> int:
    return 201 if created else 200


@router.put("/v1/services/<code>", tags=["admin"])
def put_service(code: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Z0-9_]+$")],
                body: Annotated[ServiceIn, Body()]) -> Response[ServiceOut]:
    """Create (201) or change (200) a service (R3)."""
    who = admin(router)
    service, created = catalog_admin.put_service(who, code, body.model_dump(), now())
    return Response(_status(created), "application/json", service, NO_STORE)


@router.put("/v1/offices/<office_id>", tags=["admin"])
def put_office(office_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")],
               body: Annotated[OfficeIn, Body()]) -> Response[OfficeAdminOut]:
    """Create (201) or change (200) a hall: mode, services, weekly timetable with capacities (R4).
    Released slots follow at once; no booking is dropped (see `slots` in the answer)."""
    who = admin(router)
    result, created = catalog_admin.put_office(who, office_id, body.model_dump(), now())
    return Response(_status(created), "application/json", result, NO_STORE)


@router.put("/v1/calendar/<year>", tags=["admin"])
def put_calendar(year: Annotated[int, Path(ge=2000, le=2100)],
                 body: Annotated[CalendarIn, Body()]) -> Response[CalendarOut]:
    """The year's public holidays and make-up working days (R5): they rule that year from now on."""
    who = admin(router)
    result, created = catalog_admin.put_calendar(who, year, body.holidays, body.workdays, now())
    return Response(_status(created), "application/json", result, NO_STORE)


@router.get("/v1/audit", tags=["admin"])
def audit_log(
    date: Annotated[Optional[str], Query(max_length=10, description="YYYY-MM-DD; today by default",
                                         json_schema_extra={"format": "date"})] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[Optional[str], Query(max_length=2048, description=CURSOR)] = None,
) -> Response[AuditOut]:
    """Who changed what and when, with before/after: administrators' and operators' actions of a day,
    newest first."""
    admin(router)
    return Response(200, "application/json", audit.list_entries(date, limit, cursor, now().date()), NO_STORE)
