"""The audit log's use cases: entries for administrators' and operators' actions, and reading them."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from ..domain import errors
from ..store import audit as store
from ..store.audit import AuditEntry
from .catalog import parse_day
from .tokens import Caller


def entry(who: Caller, action: str, target: str, now: datetime, *, before: dict[str, Any] | list[Any] | None = None,
          after: dict[str, Any] | list[Any] | None = None, detail: dict[str, Any] | None = None,
          outcome: str = "ok") -> AuditEntry:
    return AuditEntry(audit_id=uuid.uuid4().hex, at=now, actor_id=who.account_id, actor_role=who.role,
                      action=action, target=target, outcome=outcome, before=before, after=after, detail=detail)


def record(who: Caller, action: str, target: str, now: datetime, **fields: Any) -> AuditEntry:
    """Append an entry for an action whose change was written on its own."""
    written = entry(who, action, target, now, **fields)
    store.append(written)
    return written


@contextmanager
def recorded(who: Caller, action: str, target: str, now: datetime, **fields: Any) -> Iterator[dict[str, Any]]:
    """Record the act when the block ends: `ok`, or the code it was refused with. The block may add
    `before`, `after`, `detail` (or a `target` found on the way) to the dict it is given."""
    record_ = dict(fields)
    try:
        yield record_
    except errors.DomainError as error:
        record(who, action, record_.pop("target", target), now, outcome=error.code, **record_)
        raise
    record(who, action, record_.pop("target", target), now, **record_)


def list_entries(day: str | None, limit: int, cursor: str | None, today: date) -> dict[str, Any]:
    when = parse_day(day, "date") if day else today
    entries, next_cursor = store.entries_on(when, limit, cursor)
    return {"date": when.isoformat(), "entries": [e.public() for e in entries], "next_cursor": next_cursor}
