"""Public catalog routes: services, halls and availability (R3, R4, R6, R7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import admin_or_none
from ..conditional import conditional_json
from ..models import (
    AvailabilityOut,
    OfficeAdminViewOut,
    OfficeOut,
    OfficesOut,
    ServiceAdminViewOut,
    ServiceOut,
    ServicesOut,
    date_query,
)
from ..routing import LIMITED, Limit, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import catalog
else:
    catalog = lazy("hallbook.services.catalog")

router = APIGatewayRouter()
CACHE = {"Cache-Control": "public, max-age=60"}


@declare(router, "GET", "/v1/services", tags=["catalog"])
def list_services() -> Response[ServicesOut]:
    """The catalog (R3): every service with its materials, notice and whom it is for."""
    return Response(200, "application/json", ServicesOut(services=catalog.list_services()), CACHE)


@declare(router, "GET", "/v1/services/{code}", tags=["catalog"], refusals={404: ("NOT_FOUND",)})
def get_service(
    code: Annotated[str, Path(max_length=64, examples=["ID_RENEW"])],
) -> Response[ServiceOut | ServiceAdminViewOut]:
    """One service. With an administrator's token, as stored, never cached, with the ETag that
    PUT /v1/services/{code} takes as If-Match (the console)."""
    if admin_or_none(router) is not None:
        from ...services import catalog_admin  # here: the citizen API's cold start never needs it

        body, tag = catalog_admin.service_view(code)
        return Response(
            200, "application/json", body, {"Cache-Control": "private, no-store", "ETag": tag, "Vary": "Authorization"}
        )
    return Response(
        200,
        "application/json",
        ServiceOut.model_validate(catalog.get_service(code)),
        {**CACHE, "Vary": "Authorization"},
    )


@declare(router, "GET", "/v1/offices", tags=["catalog"], refusals={404: ("NOT_FOUND",)})
def list_offices(
    service: Annotated[
        str | None, Query(max_length=64, description="a service code: the halls offering it", examples=["ID_RENEW"])
    ] = None,
    district: Annotated[str | None, Query(max_length=64, examples=["天河区"])] = None,
) -> Response[OfficesOut]:
    """The halls, optionally those offering a service or in a district (R4)."""
    return Response(200, "application/json", OfficesOut(offices=catalog.list_offices(service, district)), CACHE)


@declare(
    router, "GET", "/v1/offices/{office_id}", tags=["catalog"], refusals={404: ("NOT_FOUND",)}, ok_headers=("ETag",)
)
def get_office(
    office_id: Annotated[str, Path(max_length=64, examples=["gz-tianhe-centre"])],
) -> Response[OfficeOut | OfficeAdminViewOut]:
    """One hall. With an administrator's token, also its weekly timetable (capacities) and dated
    closures as stored, never cached, with the ETag that PUT /v1/offices/{office_id} takes as If-Match."""
    if admin_or_none(router) is not None:
        from ...services import catalog_admin  # here: the citizen API's cold start never needs it (~20 ms)

        body, tag = catalog_admin.office_view(office_id)
        return Response(
            200, "application/json", body, {"Cache-Control": "private, no-store", "ETag": tag, "Vary": "Authorization"}
        )
    return Response(
        200,
        "application/json",
        OfficeOut.model_validate(catalog.get_office(office_id)),
        {**CACHE, "Vary": "Authorization"},
    )


AVAILABILITY_MAX_AGE = 1  # seconds: the stage cache (template `Api`) keeps it as long


@declare(
    router,
    "GET",
    "/v1/offices/{office_id}/availability",
    tags=["catalog"],
    responses={
        200: {
            "description": "released slots with their remaining places",
            "content": {"application/json": {"model": AvailabilityOut}},
        },
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
    limits=(Limit("availability_address", "address", what="availability requests"),),
    ok=(200, 304),
    ok_headers=("ETag",),
    refusals={404: ("NOT_FOUND",), **LIMITED},
)
def get_availability(
    office_id: Annotated[str, Path(max_length=64, examples=["gz-tianhe-centre"])],
    service: Annotated[str, Query(max_length=64, description="a service code", examples=["ID_RENEW"])],
    from_: Annotated[str | None, date_query("YYYY-MM-DD; tomorrow by default", alias="from")] = None,
    to: Annotated[
        str | None, date_query("YYYY-MM-DD, at most 31 days after `from`; the booking window's last day by default")
    ] = None,
):  # no return annotation: a 304 has no body to validate
    """Polled by every phone at noon: `Cache-Control: public, max-age=1`, an ETag, and 304 without a
    body for an unchanged answer. Each environment keeps an answer 1 s (hallbook.store.readcache)."""
    body = catalog.availability(office_id, service, from_, to, now())
    return conditional_json(router.current_event, body, f"public, max-age={AVAILABILITY_MAX_AGE}")
