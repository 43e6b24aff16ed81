"""The audit log: who changed what, when, with the state before and after - administrators' catalog
changes and call-centre operators' actions on a citizen's behalf. Append-only: one item per action,
`AUDIT#<date>` partitions sorted by instant; kept three years (TTL), then expired by DynamoDB.

An entry can be written in the same transaction as the change it records (`entry_item` for a
TransactWrite), so a change is never without its entry."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import BaseMeta, page, setting

KEEP_DAYS = 3 * 366
_sequence = itertools.count()  # orders a process's entries of one instant (a frozen clock, a burst)


class AuditItem(Model):
    class Meta(BaseMeta):
        table_name = setting("audit_table")

    pk = UnicodeAttribute(hash_key=True)  # AUDIT#<YYYY-MM-DD> (Asia/Shanghai)
    sk = UnicodeAttribute(range_key=True)  # <instant>#<audit_id>
    audit_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()  # service.put | office.put | calendar.put | closure.post | operator.book ...
    target = UnicodeAttribute()  # what was acted on: SERVICE#ID_RENEW, OFFICE#..., ACCOUNT#.../BOOKING#...
    outcome = UnicodeAttribute()  # ok, or the error code the action was refused with
    before = UnicodeAttribute(null=True)  # JSON
    after = UnicodeAttribute(null=True)  # JSON
    detail = UnicodeAttribute(null=True)  # JSON
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    target: str
    outcome: str = "ok"
    before: dict | list | None = None
    after: dict | list | None = None
    detail: dict | None = None


def _dump(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def entry_item(entry: AuditEntry) -> AuditItem:
    return AuditItem(
        f"AUDIT#{entry.at.date().isoformat()}",
        f"{entry.at.isoformat()}#{next(_sequence):012d}#{entry.audit_id}",
        audit_id=entry.audit_id,
        at=entry.at.isoformat(),
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        action=entry.action,
        target=entry.target,
        outcome=entry.outcome,
        before=_dump(entry.before),
        after=_dump(entry.after),
        detail=_dump(entry.detail),
        expires_at=int((entry.at + timedelta(days=KEEP_DAYS)).timestamp()),
    )


def append(entry: AuditEntry) -> None:
    """Write one entry on its own (when the change it records had its own write)."""
    entry_item(entry).save(condition=AuditItem.sk.does_not_exist())


def _entry(item: AuditItem) -> AuditEntry:
    def load(text):
        return None if text is None else json.loads(text)

    return AuditEntry(
        item.audit_id,
        datetime.fromisoformat(item.at),
        item.actor_id,
        item.actor_role,
        item.action,
        item.target,
        item.outcome,
        load(item.before),
        load(item.after),
        load(item.detail),
    )


def entries_on(day: date, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
    """A day's entries, newest first, a page at a time (one Query)."""
    return page(
        lambda last_key: AuditItem.query(
            f"AUDIT#{day.isoformat()}", scan_index_forward=False, limit=limit, last_evaluated_key=last_key
        ),
        cursor,
        _entry,
        f"audit:{day.isoformat()}",
    )
