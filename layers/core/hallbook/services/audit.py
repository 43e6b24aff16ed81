"""The audit log's use cases: entries for administrators' and operators' actions, and reading them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from ..domain import errors
from ..domain.booking import cancel_deadline
from ..domain.identity import mask_id_number
from ..store.audit import AuditEntry
from ..store.bookings import Booking
from ..store.stores import stores
from .catalog import parse_day
from .tokens import Caller

T = TypeVar("T")
_renderings: dict[type, Callable[[Any], dict[str, Any]]] = {}


def shows(entity_type: type[T], render: Callable[[T], dict[str, Any]]) -> None:
    """How an entry's `before` and `after` show a typed object: masked as the API shows it. A Booking's
    rendering is registered below, so the log renders whatever was imported first."""
    _renderings[entity_type] = render


def _booking(booking: Booking) -> dict[str, Any]:
    """A booking in the audit log: the contract's fields (BookingOut's, without the catalog's names),
    the subject's ID number masked."""
    return {
        "booking_id": booking.booking_id,
        "reference": booking.reference,
        "office_id": booking.office_id,
        "service_code": booking.service_code,
        "date": booking.date.isoformat(),
        "start": booking.start,
        "end": booking.end,
        "subject_id_number": mask_id_number(booking.subject_id_number),
        "status": booking.status,
        "created_at": booking.created_at,
        "cancel_until": cancel_deadline(booking.date).isoformat(),
        "cancelled_by": booking.cancelled_by,
    }


shows(Booking, _booking)


def _shown(value: object) -> dict[str, Any] | list[Any] | None:
    if value is None or isinstance(value, (dict, list)):
        return value
    render = _renderings.get(type(value))
    if render is None:
        raise TypeError(f"the audit log has no rendering of a {type(value).__name__} (audit.shows registers one)")
    return render(value)


def entry(
    caller: Caller,
    action: str,
    target: str,
    now: datetime,
    *,
    before: object = None,
    after: object = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> AuditEntry:
    return AuditEntry(
        audit_id=uuid.uuid4().hex,
        at=now,
        actor_id=caller.account_id,
        actor_role=caller.role,
        action=action,
        target=target,
        outcome=outcome,
        before=_shown(before),
        after=_shown(after),
        detail=detail,
    )


def record(caller: Caller, action: str, target: str, now: datetime, **fields: Any) -> AuditEntry:
    """Append an entry for an action whose change was written on its own."""
    written = entry(caller, action, target, now, **fields)
    stores().oversight.append_audit(written)
    return written


@contextmanager
def recorded(caller: Caller, action: str, target: str, now: datetime, **fields: Any) -> Iterator[dict[str, Any]]:
    """Record the act when the block ends: `ok`, or the code it was refused with. The block may add
    `before`, `after`, `detail` (or a `target` found on the way) to the dict it is given."""
    record_ = dict(fields)
    try:
        yield record_
    except errors.DomainError as error:
        record(caller, action, record_.pop("target", target), now, outcome=error.code, **record_)
        raise
    record(caller, action, record_.pop("target", target), now, **record_)


@dataclass(frozen=True)
class AuditPage:
    """One page of a day's entries, newest first."""

    date: date
    entries: list[AuditEntry]
    next_cursor: str | None


def list_entries(day: str | None, limit: int, cursor: str | None, today: date) -> AuditPage:
    when = parse_day(day, "date") if day else today
    return AuditPage(when, *stores().oversight.audit_on(when, limit, cursor))
