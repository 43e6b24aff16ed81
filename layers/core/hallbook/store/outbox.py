"""The outbox (R16): every message to send is written in the same transaction as the change it
reports, so a booking never exists without its SMS and an SMS never goes out for a change that was
rolled back. The table's stream feeds the notifier (functions/notifier), which sends each message
once and records the outcome here.

An item's life: `pending` -> `sending` (claimed by one notifier, `claimed_at`) -> `sent`; a failed try
puts it back to `retrying`; `failed` (can never be sent) and `expired` (a time-critical message past
its `deliver_by`) are final. While undelivered it carries `pending_since` and `pending_shard`: the
sparse `pending` index holds only those items, so the healing run finds what is still waiting by
reading that index alone (one request when nothing waits), never the table. A time-critical message (a verification code) carries
`deliver_by`; its text is removed once it is sent, expired or failed, and its TTL is an hour past
`deliver_by`, not 30 days."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from .base import BaseMeta, Items, latest, setting

KEEP_DAYS = 30
KEEP_AFTER_DELIVER_BY = timedelta(hours=1)  # a verification code's item: gone an hour after the code
PENDING_SHARDS = 8  # the pending index's partition keys: its writes (2 per SMS) never one hot key at noon
HEALING_STATE_KEY = "#sms-healing"  # the healing run's small state item; no message id starts with '#'


class PendingIndex(GlobalSecondaryIndex):
    """Sparse: only undelivered messages have `pending_since` (removed when sent, failed or expired)."""

    class Meta:
        index_name = "pending"
        projection = IncludeProjection(["deliver_by"])

    pending_shard = NumberAttribute(hash_key=True)
    pending_since = NumberAttribute(range_key=True)  # epoch seconds: when the message was written


class OutboxItem(Model):
    class Meta(BaseMeta):
        table_name = setting("outbox_table")

    pk = UnicodeAttribute(hash_key=True)  # message id, derived from what it reports
    template = UnicodeAttribute()  # verification_code | booked | cancelled | ...
    phone = UnicodeAttribute()
    text = UnicodeAttribute(null=True)  # removed once a time-critical message is sent or expired
    lang = UnicodeAttribute(default="zh")
    status = UnicodeAttribute(default="pending")  # pending | sending | retrying | sent | failed | expired
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    provider_id = UnicodeAttribute(null=True)
    context: MapAttribute[str, Any] = MapAttribute(null=True)  # booking_id / account_id it belongs to
    expires_at = NumberAttribute()  # TTL
    deliver_by = NumberAttribute(null=True)  # epoch seconds; not sent at or after it (status expired)
    claimed_at = NumberAttribute(null=True)  # epoch seconds of the notifier's claim while `sending`
    pending_since = NumberAttribute(null=True)
    pending_shard = NumberAttribute(null=True)
    pending = PendingIndex()


class HealingState(Model):
    """The healing run's back-off, one small item in the outbox table (not in the pending index)."""

    class Meta(BaseMeta):
        table_name = setting("outbox_table")

    pk = UnicodeAttribute(hash_key=True, default=HEALING_STATE_KEY)
    failures = NumberAttribute(default=0)  # failed probes in a row
    next_probe_at = NumberAttribute(default=0)  # epoch seconds
    last_probe_at = NumberAttribute(null=True)


def shard_of(message_id: str) -> int:
    return zlib.crc32(message_id.encode()) % PENDING_SHARDS


@dataclass(frozen=True)
class Message:
    message_id: str
    template: str
    phone: str
    text: str
    created_at: datetime
    lang: str = "zh"
    context: dict = field(default_factory=dict)
    deliver_by: datetime | None = None  # time-critical: never sent at or after this instant

    def item(self) -> OutboxItem:
        keep_until = (
            self.deliver_by + KEEP_AFTER_DELIVER_BY if self.deliver_by else self.created_at + timedelta(days=KEEP_DAYS)
        )
        return OutboxItem(
            self.message_id,
            template=self.template,
            phone=self.phone,
            text=self.text,
            lang=self.lang,
            created_at=self.created_at.isoformat(),
            context=dict(self.context) or None,
            expires_at=int(keep_until.timestamp()),
            deliver_by=int(self.deliver_by.timestamp()) if self.deliver_by else None,
            pending_since=int(self.created_at.timestamp()),
            pending_shard=shard_of(self.message_id),
        )


def send_with(tx: Items, messages: Iterable[Message]) -> None:
    """Each message written in the transaction `tx`: it goes out exactly when the change it reports
    commits, and never for one rolled back."""
    for message in messages:
        tx.put("message", message.item())


def enqueue(message: Message) -> None:
    """Write a message on its own (when no other change goes with it). Idempotent per message id."""
    message.item().save(condition=OutboxItem.pk.does_not_exist())


@dataclass(frozen=True)
class Waiting:
    message_id: str
    pending_since: int
    deliver_by: int | None


def waiting_since(cutoff: int, limit: int) -> list[Waiting]:
    """Undelivered messages written at or before `cutoff` (epoch seconds), oldest first, at most
    `limit`: a Scan of the sparse `pending` index, which holds only undelivered messages (empty when
    all is well: one request), never of the table."""
    found = [
        Waiting(item.pk, int(item.pending_since), int(item.deliver_by) if item.deliver_by else None)
        for item in OutboxItem.pending.scan(OutboxItem.pending_since <= cutoff)
    ]
    found.sort(key=lambda w: w.pending_since)
    return found[:limit]


def healing_state() -> HealingState:
    item = latest(HealingState, HEALING_STATE_KEY)
    return HealingState(HEALING_STATE_KEY) if item is None else item
