"""The outbox (R16): every message to send is written in the same transaction as the change it
reports, so a booking never exists without its SMS and an SMS never goes out for a change that was
rolled back. The table's stream feeds the notifier (functions/notifier), which sends each message
once and records the outcome here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from ..config import settings
from .base import BaseMeta

KEEP_DAYS = 30


class OutboxItem(Model):
    class Meta(BaseMeta):
        table_name = settings().outbox_table

    pk = UnicodeAttribute(hash_key=True)  # message id, derived from what it reports
    kind = UnicodeAttribute()  # verification_code | booked | cancelled | ...
    phone = UnicodeAttribute()
    text = UnicodeAttribute()
    lang = UnicodeAttribute(default="zh")
    status = UnicodeAttribute(default="pending")  # pending | sent | failed
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    provider_id = UnicodeAttribute(null=True)
    context = MapAttribute(null=True)  # booking_id / account_id it belongs to
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class Message:
    message_id: str
    kind: str
    phone: str
    text: str
    created_at: datetime
    lang: str = "zh"
    context: dict = field(default_factory=dict)

    def item(self) -> OutboxItem:
        return OutboxItem(
            self.message_id, kind=self.kind, phone=self.phone, text=self.text, lang=self.lang,
            created_at=self.created_at.isoformat(), context=dict(self.context) or None,
            expires_at=int((self.created_at + timedelta(days=KEEP_DAYS)).timestamp()),
        )


def enqueue(message: Message) -> None:
    """Write a message on its own (when no other change goes with it). Idempotent per message id."""
    message.item().save(condition=OutboxItem.pk.does_not_exist())
