"""Residence permits (R17): administrators register them (audited), citizens see their own."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ..domain import errors
from ..domain.applications import check_permit, parse_permit_number
from ..domain.identity import mask_id_number, parse_id_number
from ..i18n import N_
from ..store.catalog import etag
from ..store.permits import Permit, PermitMoved
from ..store.stores import stores
from . import audit
from .catalog import get_office, parse_day
from .tokens import Caller

log = logging.getLogger(__name__)


def _for_audit(permit: Permit | None) -> dict[str, Any] | None:
    return {**permit.body(), "holder_id_number": mask_id_number(permit.holder_id_number)} if permit else None


WRITE_ATTEMPTS = 3  # a write that lost the race reads again (and checks If-Match again) this often


def permit_etag(permit: Permit | None) -> str | None:
    """The permit's version for If-Match: a hash of what is stored."""
    return etag(permit.body()) if permit else None


def put_permit(
    caller: Caller, number: str, data: dict[str, Any], now: datetime, if_match: str | None = None
) -> tuple[Permit, bool]:
    """Create or replace a permit (administrators). (the permit, created?) With `if_match`, the
    permit must still be that version (412 PRECONDITION_FAILED otherwise); the answer's
    `etag` is the new one."""
    number = parse_permit_number(number)
    holder = parse_id_number(data.get("holder_id_number") or "", now.date(), "holder_id_number").value
    office = get_office(data.get("office_id") or "", stores().catalog.load_catalog())
    if not any(code.startswith("RP_") for code in office.services):
        raise errors.ValidationFailed(
            N_("{office} does no residence-permit business.", office=office.office_id), field="office_id"
        )
    valid_until = parse_day(data.get("valid_until") or "", "valid_until")
    last_endorsed = parse_day(data["last_endorsed"], "last_endorsed") if data.get("last_endorsed") else None
    address = check_permit(valid_until, last_endorsed, data.get("address") or "", now.date())
    employer = " ".join((data.get("employer") or "").split()) or None
    school = " ".join((data.get("school") or "").split()) or None
    permit = Permit(
        number=number,
        holder_id_number=holder,
        office_id=office.office_id,
        address=address,
        valid_until=valid_until,
        last_endorsed=last_endorsed,
        employer=employer,
        school=school,
        updated_at=now.isoformat(),
    )
    for _ in range(WRITE_ATTEMPTS):
        before = stores().applications.get_permit(number)
        if if_match and if_match.strip():
            tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
            current = permit_etag(before)
            if not (("*" in tags and current) or current in tags):
                raise errors.PreconditionFailed(
                    "The permit was changed since you read it: read it again and retry.", etag=current
                )
        entry = audit.entry(
            caller, "permit.put", f"PERMIT#{number}", now, before=_for_audit(before), after=_for_audit(permit)
        )
        try:  # written only while the permit is still the version read and checked above
            stores().applications.put_permit_audited(permit, entry, before.version if before else 0)
        except PermitMoved:
            continue  # written meanwhile: checked again against what is there now (If-Match: 412)
        log.info("permit saved", extra={"office_id": office.office_id, "new": before is None})  # no number: PII
        return permit, before is None
    raise errors.Busy("The permit is being changed by others; retry in a moment.")


def put_permit_versioned(
    caller: Caller, number: str, data: dict[str, Any], now: datetime, if_match: str | None
) -> tuple[Permit, bool, str]:
    """put_permit, and the new version's ETag (the route's answer header)."""
    permit, created = put_permit(caller, number, data, now, if_match)
    return permit, created, permit_etag(stores().applications.get_permit(parse_permit_number(number))) or ""


def own_permits(caller: Caller) -> list[Permit]:
    account = stores().account_store.get_account(caller.account_id)
    if account is None or not account.id_number:
        raise errors.Forbidden("Only a citizen's account holds permits.")
    return stores().applications.permits_of(account.id_number)
