"""Administrators keep the catalog (R3-R5) and read the audit log. Role: web/auth.admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import admin
from ..models import CURSOR, OfficeAdminViewOut, ServiceOut, date_query
from ..models_admin import (
    AuditEntryOut,
    AuditOut,
    CalendarIn,
    CalendarOut,
    CalendarYearOut,
    ClosuresOut,
    OfficeAdminOut,
    OfficeIn,
    ServiceIn,
    StatsOut,
)
from ..routing import ADMIN, CREATE_OR_CHANGE, VERSIONED_CHANGE, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import audit, calendar_years, catalog_admin, stats, timetables
else:
    audit = lazy("hallbook.services.audit")
    calendar_years = lazy("hallbook.services.calendar_years")
    catalog_admin = lazy("hallbook.services.catalog_admin")
    timetables = lazy("hallbook.services.timetables")
    stats = lazy("hallbook.services.stats")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


def if_match() -> str | None:
    """The request's If-Match: the entity tag (ETag) the administrator last read, or None."""
    headers = router.current_event.headers or {}
    return next((v for k, v in headers.items() if k.lower() == "if-match"), None)


def versioned(tag: str | None) -> dict:
    """Headers of an answer about one stored entity: its ETag, for the next write's If-Match."""
    return {**NO_STORE, **({"ETag": tag} if tag else {})}


def _status(created: bool) -> int:
    return 201 if created else 200


@declare(
    router,
    "PUT",
    "/v1/services/{code}",
    tags=["admin"],
    roles=ADMIN,
    ok=CREATE_OR_CHANGE,
    refusals=VERSIONED_CHANGE,
    ok_headers=("ETag",),
)
def put_service(
    code: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Z0-9_]+$")], body: Annotated[ServiceIn, Body()]
) -> Response[ServiceOut]:
    """Create (201) or change (200) a service (R3). Send the ETag last read as If-Match: a service
    changed since answers 412 PRECONDITION_FAILED."""
    caller = admin(router)
    service, created, tag = catalog_admin.put_service(caller, code, body.model_dump(), now(), if_match())
    return Response(_status(created), "application/json", ServiceOut.model_validate(service), versioned(tag))


@declare(
    router,
    "PUT",
    "/v1/offices/{office_id}",
    tags=["admin"],
    roles=ADMIN,
    ok=CREATE_OR_CHANGE,
    refusals=VERSIONED_CHANGE,
    ok_headers=("ETag",),
)
def put_office(
    office_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")],
    body: Annotated[OfficeIn, Body()],
) -> Response[OfficeAdminOut]:
    """Create (201) or change (200) a hall: mode, services, weekly timetable with capacities (R4).
    Released slots follow at once; no booking is dropped (see `slots` in the answer). Send the ETag of
    GET /v1/offices/{office_id} (as an administrator) as If-Match: a hall changed since answers 412."""
    caller = admin(router)
    saved, created, tag = timetables.put_office(caller, office_id, body.model_dump(), now(), if_match())
    result = OfficeAdminOut(office=OfficeAdminViewOut.of(saved.office).model_dump(), slots=saved.slots)
    return Response(_status(created), "application/json", result, versioned(tag))


@declare(
    router,
    "PUT",
    "/v1/calendar/{year}",
    tags=["admin"],
    roles=ADMIN,
    ok=CREATE_OR_CHANGE,
    refusals=VERSIONED_CHANGE,
    ok_headers=("ETag",),
)
def put_calendar(
    year: Annotated[int, Path(ge=2000, le=2100)], body: Annotated[CalendarIn, Body()]
) -> Response[CalendarOut]:
    """The year's public holidays and make-up working days (R5): they rule that year from now on.
    If-Match: the ETag of GET /v1/calendar/{year} (412 when the entries changed since)."""
    caller = admin(router)
    result, created, tag = calendar_years.put_calendar(caller, year, body.holidays, body.workdays, now(), if_match())
    return Response(_status(created), "application/json", result, versioned(tag))


@declare(router, "GET", "/v1/calendar/{year}", tags=["admin"], roles=ADMIN, ok_headers=("ETag",))
def get_calendar(year: Annotated[int, Path(ge=2000, le=2100)]) -> Response[CalendarYearOut]:
    """R5: the year as the system reads it - its source, the weekdays off and the make-up working days -
    with the administrator's entries (and their ETag) if any."""
    admin(router)
    result, tag = calendar_years.calendar_year(year, now().date())
    return Response(200, "application/json", result, versioned(tag))


@declare(
    router,
    "GET",
    "/v1/offices/{office_id}/closures",
    tags=["admin"],
    roles=ADMIN,
    refusals={404: ("NOT_FOUND",)},
    ok_headers=("ETag",),
)
def list_closures(office_id: Annotated[str, Path(max_length=64)]) -> Response[ClosuresOut]:
    """The hall's dated closures, oldest first (the ETag is the hall's)."""
    admin(router)
    result, tag = catalog_admin.list_closures(office_id, now().date())
    return Response(200, "application/json", result, versioned(tag))


@declare(router, "GET", "/v1/audit", tags=["admin"], roles=ADMIN)
def get_audit_log(
    date: Annotated[
        str | None,
        date_query("YYYY-MM-DD; today by default"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[AuditOut]:
    """Who changed what and when, with before/after: administrators' and operators' actions of a day,
    newest first."""
    admin(router)
    page = audit.list_entries(date, limit, cursor, now().date())
    return Response(
        200,
        "application/json",
        AuditOut(
            date=page.date.isoformat(),
            entries=[AuditEntryOut.of(e) for e in page.entries],
            next_cursor=page.next_cursor,
        ),
        NO_STORE,
    )


@declare(router, "GET", "/v1/stats", tags=["admin"], roles=ADMIN, refusals={404: ("NOT_FOUND",)}, also_csv=True)
def get_statistics(
    office: Annotated[str, Query(max_length=64, description="the hall", examples=["gz-tianhe-centre"])],
    service: Annotated[str | None, Query(max_length=64, description="one service; every one by default")] = None,
    from_: Annotated[str | None, date_query("YYYY-MM-DD; a week before `to` by default", alias="from")] = None,
    to: Annotated[str | None, date_query("YYYY-MM-DD, at most 92 days after `from`; today by default")] = None,
) -> Response[StatsOut | str]:
    """Per hall, service and (appointment) day: capacity, booked, utilisation, cancellations by whom,
    no-shows and their rate, walk-ins, check-ins and the average waits, from counters kept with the
    events. `Accept: text/csv` answers the same rows as CSV."""
    admin(router)
    result = stats.report(office, service, from_, to, now())
    accept = next((v for k, v in (router.current_event.headers or {}).items() if k.lower() == "accept"), "") or ""
    if "text/csv" in accept.lower():
        name = f"hallbook-stats-{office}-{result['from']}-{result['to']}.csv"
        return Response(
            200,
            "text/csv; charset=utf-8",
            stats.as_csv(result),
            {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"', "Vary": "Accept"},
        )
    return Response(200, "application/json", result, {**NO_STORE, "Vary": "Accept"})
