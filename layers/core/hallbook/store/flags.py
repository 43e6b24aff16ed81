"""R22: abuse flags' counters and the flags themselves, FLAGS_TABLE: one item per pattern and key
(`<pattern>-<sha256 of the key>`: a phone, a subject and service, an account - pseudonymous, never
the raw value) holding the pattern's recent events (masked evidence, capped) and, once the pattern is
met, the flag: `queue` and `raised_at` put it in the sparse `by_raised` index, which lists open and
reviewed flags newest first without a scan. Items expire (TTL) 60 days after their last event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import size
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .base import BaseMeta, latest, page, setting, updated_if

KEEP_DAYS = 60
MAX_EVENTS = 50  # evidence enough; a flood of events past it is not kept
QUEUE = "FLAGS"


class ByRaised(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_raised"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    raised_at = UnicodeAttribute(range_key=True)


class FlagItem(Model):
    class Meta(BaseMeta):
        table_name = setting("flags_table")

    pk = UnicodeAttribute(hash_key=True)  # <pattern>-<key hash>: the flag's id
    pattern = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)  # what the flag is about, masked (a phone, a subject and service, ...)
    # JSON events (str), oldest first; pynamodb types a list `of=UnicodeAttribute` as list[UnicodeAttribute]
    events: ListAttribute[Any] = ListAttribute(of=UnicodeAttribute, null=True)
    expires_at = NumberAttribute()
    # the flag, once raised
    queue = UnicodeAttribute(null=True)
    raised_at = UnicodeAttribute(null=True)
    raised_count = NumberAttribute(null=True, attr_name="count")  # not `count`: Model.count is the item count
    evidence = UnicodeAttribute(null=True)  # JSON: the events that met the pattern
    status = UnicodeAttribute(null=True)  # open | reviewed
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    reviewed_count = NumberAttribute(null=True)
    review_note = UnicodeAttribute(null=True)

    by_raised = ByRaised()


@dataclass(frozen=True)
class Flag:
    flag_id: str
    pattern: str
    subject: str | None
    count: int
    raised_at: str
    status: str
    evidence: list[dict]
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    review_note: str | None = None


def flag_id(pattern: str, key: str) -> str:
    digest = hashlib.sha256(f"{pattern}\n{key}".encode()).hexdigest()[:32]
    return f"{pattern}-{digest}"


def record(pattern: str, key: str, subject: str, event: dict, now: datetime) -> list[dict]:
    """Append one event to the pattern's counter of `key` (one UpdateItem; none once MAX_EVENTS are
    kept); the events now kept, oldest first."""
    item = FlagItem(flag_id(pattern, key))
    if not updated_if(
        item,
        [
            FlagItem.events.set((FlagItem.events | []).append([json.dumps(event, ensure_ascii=False, sort_keys=True)])),
            FlagItem.pattern.set(pattern),
            FlagItem.subject.set(subject),
            FlagItem.expires_at.set(int((now + timedelta(days=KEEP_DAYS)).timestamp())),
        ],
        FlagItem.events.does_not_exist() | (size(FlagItem.events) < MAX_EVENTS),
    ):
        item = FlagItem.get(flag_id(pattern, key), consistent_read=True)
    return [json.loads(e) for e in item.events or []]


def raise_flag(pattern: str, key: str, count: int, evidence: list[dict], now: datetime) -> bool:
    """Raise (or raise again) the flag: open, unless an administrator reviewed it at this count or a
    higher one already. False when nothing changed."""
    return updated_if(
        FlagItem(flag_id(pattern, key)),
        [
            FlagItem.queue.set(QUEUE),
            FlagItem.raised_at.set(now.isoformat()),
            FlagItem.raised_count.set(count),
            FlagItem.evidence.set(json.dumps(evidence, ensure_ascii=False)),
            FlagItem.status.set("open"),
        ],
        FlagItem.pk.exists()
        & (FlagItem.status.does_not_exist() | (FlagItem.status == "open") | (FlagItem.reviewed_count < count)),
    )


def _flag(item: FlagItem) -> Flag:
    return Flag(
        item.pk,
        item.pattern,
        item.subject,
        int(item.raised_count or 0),
        item.raised_at or "",
        item.status or "open",
        json.loads(item.evidence or "[]"),
        item.reviewed_by,
        item.reviewed_at,
        item.review_note,
    )


def get(flag: str) -> Flag | None:
    item = latest(FlagItem, flag)
    if item is None:
        return None
    return _flag(item) if item.queue else None


def listed(limit: int, cursor: str | None, status: str | None) -> tuple[list[Flag], str | None]:
    """Raised flags, newest first (one Query of the sparse index), `status` open or reviewed or both."""
    return page(
        lambda last_key: FlagItem.by_raised.query(
            QUEUE,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=last_key,
            filter_condition=(FlagItem.status == status) if status else None,
        ),
        cursor,
        _flag,
        f"flags:{status or 'any'}",
    )


class NotRaised(Exception):
    """No raised flag with that id."""


def mark_reviewed(flag: str, by: str, note: str | None, now: datetime) -> Flag:
    """The administrator looked at the evidence up to the flag's current count: reviewed (raised again
    only when the pattern counts more)."""
    current = get(flag)
    if current is None:
        raise NotRaised()
    item = FlagItem(flag)
    if not updated_if(
        item,
        [
            FlagItem.status.set("reviewed"),
            FlagItem.reviewed_by.set(by),
            FlagItem.reviewed_at.set(now.isoformat()),
            FlagItem.reviewed_count.set(current.count),
            FlagItem.review_note.set(note) if note else FlagItem.review_note.remove(),
        ],
        FlagItem.queue.exists(),
    ):
        raise NotRaised()
    return _flag(item)
