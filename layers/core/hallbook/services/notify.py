"""R16: delivering outbox messages - never lost, never sent twice because of a retry.

outbox stream -> `relay` (one SQS message per new outbox item, carrying only its id) -> SmsQueue ->
`deliver` (once per message id, Powertools idempotency) -> SMS port. A failed send is retried with
growing delays by the queue; after the queue's maxReceiveCount it lands in SmsDLQ (alarmed), from
which `redrive` puts it back once the provider is healthy."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import phonenumbers
from pynamodb.exceptions import UpdateError

from ..domain.identity import mask_phone
from ..notify.sms import SmsFailed, get_sender
from ..store.outbox import OutboxItem

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """A message that can never be sent (no such outbox item, an impossible number)."""


@dataclass(frozen=True)
class Delivery:
    message_id: str
    status: str  # sent | already_sent
    provider_id: str | None = None


def e164(phone: str) -> str:
    number = phonenumbers.parse(phone, "CN")
    if not phonenumbers.is_valid_number(number):
        raise PermanentFailure(f"not a valid number: {mask_phone(phone)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def deliver(message_id: str, now_iso: str) -> Delivery:
    """Send one outbox message and record it as sent. Raises SmsFailed (retry) or PermanentFailure."""
    try:
        item = OutboxItem.get(message_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        raise PermanentFailure(f"no outbox message {message_id}") from None
    if item.status == "sent":
        return Delivery(message_id, "already_sent", item.provider_id)
    try:
        provider_id = get_sender().send(e164(item.phone), item.text)
    except SmsFailed:
        _record_attempt(item, failed=True)
        raise
    try:
        item.update(actions=[OutboxItem.status.set("sent"), OutboxItem.sent_at.set(now_iso),
                             OutboxItem.provider_id.set(provider_id), OutboxItem.attempts.add(1)])
    except UpdateError:
        log.exception("sent but not recorded", extra={"message_id": message_id})
    log.info("sms sent", extra={"message_id": message_id, "kind": item.kind, "phone": mask_phone(item.phone)})
    return Delivery(message_id, "sent", provider_id)


def _record_attempt(item: OutboxItem, failed: bool) -> None:
    try:
        item.update(actions=[OutboxItem.attempts.add(1), *([OutboxItem.status.set("retrying")] if failed else [])])
    except UpdateError:
        log.warning("could not record a failed attempt", extra={"message_id": item.pk})


def mark_failed(message_id: str) -> None:
    try:
        OutboxItem(message_id).update(actions=[OutboxItem.status.set("failed")],
                                      condition=OutboxItem.status != "sent")
    except UpdateError:
        pass


def redrive(sqs, dead_letter_url: str, queue_url: str, limit: int = 10_000) -> int:
    """Move up to `limit` messages from the SMS dead-letter queue back to SmsQueue, once the provider
    works again ({"job": "redrive_sms"}). Each batch is sent before it is deleted, so a crash between
    the two leaves a copy in both queues, never none; delivery stays once per message id (`deliver`
    skips a message already sent, and the notifier is idempotent on its id). Returns how many moved."""
    moved = 0
    while moved < limit:
        received = sqs.receive_message(QueueUrl=dead_letter_url, MaxNumberOfMessages=min(10, limit - moved),
                                       WaitTimeSeconds=0, VisibilityTimeout=60).get("Messages", [])
        if not received:
            break
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(received)])
        sent = {entry["Id"] for entry in response.get("Successful", [])}
        done = [m for i, m in enumerate(received) if str(i) in sent]
        if done:
            sqs.delete_message_batch(QueueUrl=dead_letter_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        moved += len(done)
        if len(done) < len(received):
            log.warning("redrive: %d message(s) could not be moved back", len(received) - len(done))
            break
    return moved
