"""Administrators keep the catalog (R3-R5): services (here), halls with their timetables
(services/timetables.py) and the calendar of years the bundled State Council schedule lacks
(services/calendar_years.py). Each change is written in one transaction with its audit entry (who,
what, when, before/after), only over the version read (If-Match: 412 PRECONDITION_FAILED)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from ..domain import errors
from ..i18n import N_, Text
from ..store import catalog as catalog_store
from ..store.audit import AuditEntry
from ..store.catalog import Service, body_of, service_from
from ..store.stores import stores
from . import audit
from .tokens import Caller

log = logging.getLogger(__name__)


def invalid(error: Exception) -> errors.DomainError:
    """A body the catalogue cannot read: its own sentence (N_) where it has one, a missing field by name."""
    said = error.args[0] if error.args else None
    if isinstance(said, Text):
        return errors.ValidationFailed(said)
    if isinstance(error, KeyError) and isinstance(said, str):
        return errors.ValidationFailed(N_("{field} is required.", field=said), field=said)
    return errors.ValidationFailed(str(error).strip("'\"") or "invalid value")


# ---------------------------------------------------------------- services (R3)


def check_if_match(if_match: str | None, before: dict[str, Any] | None) -> None:
    """HTTP If-Match against the entity as stored: absent - no check; `*` - it must exist;
    otherwise one of the listed entity tags must be its current one, else 412 PRECONDITION_FAILED with
    the current tag, so the client reads it again and decides."""
    if if_match is None or not if_match.strip():
        return
    current = catalog_store.etag(before)
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",") if t.strip()}
    if "*" in tags and current is not None:
        return
    if current not in tags:
        raise errors.PreconditionFailed(
            "It was changed since you read it (If-Match names another version): read it again and retry."
            if current
            else "It does not exist, so If-Match cannot match it.",
            etag=current,
        )


def write_versioned(
    entity_type: str,
    key: str,
    after: dict[str, Any],
    note: AuditEntry,
    before: dict[str, Any] | None,
    if_match: str | None,
) -> str:
    """The optimistic write; a change that lands between the If-Match check and the write is 412
    too when the client named a version. The new entity tag."""
    try:
        stores().catalog_admin.put_audited(entity_type, key, after, note, before)
    except catalog_store.ChangedMeanwhile:
        if if_match:
            raise errors.PreconditionFailed(
                "It was changed meanwhile: read it again and retry.",
                etag=catalog_store.etag(stores().catalog_admin.get_entity(entity_type, key)),
            ) from None
        raise
    return catalog_store.etag(after) or ""


def put_service(
    caller: Caller, code: str, data: dict[str, Any], now: datetime, if_match: str | None = None
) -> tuple[Service, bool, str]:
    """Create or change a service. (the service, created?, its ETag)"""
    before = stores().catalog_admin.get_entity("SERVICE", code)
    check_if_match(if_match, before)
    try:
        service = service_from({**data, "code": code})
    except (KeyError, TypeError, ValueError) as error:
        raise invalid(error) from None
    after = body_of(service)
    note = audit.entry(caller, "service.put", f"SERVICE#{code}", now, before=before, after=after)
    tag = write_versioned("SERVICE", code, after, note, before, if_match)
    log.info("service saved", extra={"service_code": code, "new": before is None})
    return service, before is None, tag


# ---------------------------------------------------------------- read-back


def office_view(office_id: str) -> tuple[dict[str, Any], str]:
    """What an administrator set for a hall, as stored: the public fields, the weekly timetable with
    capacities and the dated closures. (the office, its ETag for If-Match)"""
    body = stores().catalog_admin.get_entity("OFFICE", office_id)
    if body is None:
        raise errors.NotFound(N_("No office with id {office}.", office=office_id))
    return body, catalog_store.etag(body) or ""


def service_view(code: str) -> tuple[dict[str, Any], str]:
    """A service as stored (every field), with its ETag for If-Match (the console)."""
    body = stores().catalog_admin.get_entity("SERVICE", code)
    if body is None:
        raise errors.NotFound(N_("No service with code {code}.", code=code))
    return body, catalog_store.etag(body) or ""


def list_closures(office_id: str, today: date) -> tuple[dict[str, Any], str]:
    """A hall's dated closures, oldest first, each marked `past` or not. (list, the office's ETag)"""
    body, tag = office_view(office_id)
    closures = sorted(body.get("closures", []), key=lambda c: c["date"])
    return {
        "office_id": office_id,
        "closures": [
            {"date": c["date"], "reason": c.get("reason", ""), "past": c["date"] < today.isoformat()} for c in closures
        ],
    }, tag
