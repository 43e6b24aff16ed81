"""R16: delivering outbox messages - never lost, never sent twice because of a retry, never stale.

outbox stream -> relay (`enqueue_ids`: SmsQueue messages carrying only ids, 10 per request) ->
SmsQueue -> `deliver` -> SMS port. A failed send is retried with growing delays by the queue; after
the queue's maxReceiveCount it lands in SmsDLQ, from which `redrive` moves it back. What finds a
message nothing delivered - a failed provider, a dead-lettered message, a lost stream record - and
probes the provider before moving anything back is the healing run, services/sms_healing.py.

Exactly once per message id, with under 3 AWS requests per delivered SMS: one conditional UpdateItem
claims the item (`pending|retrying -> sending`, or a claim older than STALE_CLAIM_SECONDS, which no
running notifier can hold: its timeout is 30 s) and returns it, one SNS publish (paced to the
provider's rate: notify/pacing.py), and the `sent` record (out of the pending index), written for a
whole SmsQueue batch in one BatchWriteItem (SentRecords). A second copy of the id (a redrive, a re-enqueue, a retried
stream batch) finds the claim taken or the item sent and sends nothing. The one window left: the
process dies between the publish and the `sent` write; the claim goes stale and the message is sent
again - at least once, never lost, as with an idempotency record that expires in progress."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from ..domain.identity import mask_phone
from ..lazy import lazy
from ..notify.pacing import get_pacer
from ..notify.sms import SmsFailed, get_sender
from ..store.outbox import OutboxItem

phonenumbers = lazy("phonenumbers")  # loaded by the first phone number parsed (cold start)

log = logging.getLogger(__name__)

OPEN = ("pending", "retrying")  # claimable as they are
STALE_CLAIM_SECONDS = 60  # NotifierFunction's Timeout is 30 s: an older claim is nobody's any more


class PermanentFailure(Exception):
    """A message that can never be sent (no such outbox item, an impossible number)."""


@dataclass(frozen=True)
class Delivery:
    message_id: str
    status: str  # sent | already_sent | expired | failed | busy (another notifier holds a fresh claim)
    provider_id: str | None = None


def e164(phone: str) -> str:
    number = phonenumbers.parse(phone, "CN")
    if not phonenumbers.is_valid_number(number):
        raise PermanentFailure(f"not a valid number: {mask_phone(phone)}")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def _claimable(at: int) -> Condition:
    claimable: Condition = OutboxItem.status.is_in(*OPEN) | (
        (OutboxItem.status == "sending") & (OutboxItem.claimed_at < at - STALE_CLAIM_SECONDS)
    )
    return claimable


def _failed_condition(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


class SentRecords:
    """The `sent` records of one SmsQueue batch, written together at its end: one BatchWriteItem (25
    items a request) instead of one UpdateItem per message, so a delivered SMS costs the claim, the
    publish and a tenth of a write (<= 3 AWS requests per SMS). Each item is put whole as the
    claim returned it, now `sent`: safe without a condition, because the claim is this invocation's
    until STALE_CLAIM_SECONDS (above the notifier's timeout), and nothing else writes a claimed item.
    If the process dies before `flush`, the claims go stale and the healing run sends those messages
    again: at least once, as before."""

    def __init__(self) -> None:
        self.items: list[OutboxItem] = []

    def add(self, item: OutboxItem) -> None:
        self.items.append(item)

    def flush(self) -> int:
        items, self.items = self.items, []
        if not items:
            return 0
        try:
            with OutboxItem.batch_write() as batch:
                for item in items:
                    batch.save(item)
        except Exception:  # noqa: BLE001 - sent, not recorded: the claims go stale, healing re-sends
            log.exception("sent but not recorded", extra={"messages": len(items)})
            return 0
        return len(items)


def _as_sent(item: OutboxItem, now: datetime, provider_id: str) -> OutboxItem:
    item.status, item.sent_at, item.provider_id = "sent", now.isoformat(), provider_id
    item.pending_since = item.pending_shard = item.claimed_at = None
    if item.deliver_by is not None:
        item.text = None
    return item


def deliver(message_id: str, now: datetime, records: SentRecords | None = None) -> Delivery:
    """Claim, send and record one outbox message (the record joins `records`, written by the caller's
    flush; without it, written at once). Sends are paced to the provider's rate (notify/pacing.py).
    Raises SmsFailed (retry later) or PermanentFailure."""
    at = int(now.timestamp())
    item = OutboxItem(message_id)
    try:  # the claim returns the item (ALL_NEW): no GetItem
        item.update(
            actions=[OutboxItem.status.set("sending"), OutboxItem.claimed_at.set(at), OutboxItem.attempts.add(1)],
            condition=_claimable(at),
        )
    except UpdateError as error:
        if not _failed_condition(error):
            raise
        return _not_claimed(message_id)
    if item.deliver_by is not None and item.deliver_by <= at:
        _finish(item, "expired")
        log.info("sms expired before it could be sent", extra={"message_id": message_id, "template": item.template})
        return Delivery(message_id, "expired")
    try:
        if not item.text:
            raise PermanentFailure(f"outbox message {message_id} has no text")
        phone = e164(item.phone)
    except PermanentFailure:
        _finish(item, "failed")
        raise
    get_pacer().wait_turn()
    try:
        provider_id = get_sender().send(phone, item.text)
    except SmsFailed:
        _release(item)
        raise
    if records is not None:
        records.add(_as_sent(item, now, provider_id))
        log.info(
            "sms sent", extra={"message_id": message_id, "template": item.template, "phone": mask_phone(item.phone)}
        )
        return Delivery(message_id, "sent", provider_id)
    try:
        _finish(item, "sent", OutboxItem.sent_at.set(now.isoformat()), OutboxItem.provider_id.set(provider_id))
    except UpdateError:  # the claim goes stale: sent again later rather than never
        log.exception("sent but not recorded", extra={"message_id": message_id})
    log.info("sms sent", extra={"message_id": message_id, "template": item.template, "phone": mask_phone(item.phone)})
    return Delivery(message_id, "sent", provider_id)


def _not_claimed(message_id: str) -> Delivery:
    """Why the claim failed (the rare path: a second copy of an id): one consistent GetItem."""
    try:
        item = OutboxItem.get(message_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        raise PermanentFailure(f"no outbox message {message_id}") from None
    if item.status == "sent":
        return Delivery(message_id, "already_sent", item.provider_id)
    if item.status in ("failed", "expired"):
        return Delivery(message_id, item.status)
    # `sending`, claimed moments ago by another notifier: it sends, or its claim goes stale and the
    # healing run (the item stays in the pending index) hands the id out again
    return Delivery(message_id, "busy")


def _finish(item: OutboxItem, status: str, *extra: Action, condition: Condition | None = None) -> None:
    """A final status: out of the pending index, and a time-critical message's text gone."""
    actions: list[Action] = [
        OutboxItem.status.set(status),
        OutboxItem.pending_since.remove(),
        OutboxItem.pending_shard.remove(),
        OutboxItem.claimed_at.remove(),
        *extra,
    ]
    if item.deliver_by is not None:
        actions.append(OutboxItem.text.remove())
    item.update(actions=actions, condition=condition)


def _release(item: OutboxItem) -> None:
    try:
        item.update(actions=[OutboxItem.status.set("retrying"), OutboxItem.claimed_at.remove()])
    except UpdateError:  # the claim goes stale instead
        log.warning("could not release the claim of a failed send", extra={"message_id": item.pk})


def expire(message_id: str, now: datetime) -> bool:
    """Mark a time-critical message past its deliver_by `expired` (text removed), unless it is being
    sent right now or is already final. True if it was expired now."""
    at = int(now.timestamp())
    try:
        _finish(
            OutboxItem(message_id, deliver_by=at), "expired", condition=_claimable(at) & (OutboxItem.deliver_by <= at)
        )
    except UpdateError as error:
        if not _failed_condition(error):
            raise
        return False
    return True


def enqueue_ids(sqs: Any, queue_url: str, message_ids: list[str]) -> list[str]:
    """One SmsQueue message per id (its id only: no phone, no text), 10 per request. The ids that
    could not be enqueued."""
    failed: list[str] = []
    for start in range(0, len(message_ids), 10):
        chunk = message_ids[start : start + 10]
        try:
            response = sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "MessageBody": json.dumps({"message_id": m})} for i, m in enumerate(chunk)],
            )
        except Exception:  # noqa: BLE001 - the caller retries these ids
            log.exception("could not enqueue %d sms", len(chunk))
            failed += chunk
            continue
        failed += [chunk[int(entry["Id"])] for entry in response.get("Failed", [])]
    return failed


def redrive(sqs: Any, dead_letter_url: str, queue_url: str, limit: int = 10_000) -> int:
    """Move up to `limit` messages from the SMS dead-letter queue back to SmsQueue (the healing run
    does it once the provider answers; {"job": "redrive_sms"} by hand). Each batch is sent before it
    is deleted, so a crash between the two leaves a copy in both queues, never none; delivery stays
    once per message id (the claim). Returns how many moved."""
    moved = 0
    while moved < limit:
        received = sqs.receive_message(
            QueueUrl=dead_letter_url,
            MaxNumberOfMessages=min(10, limit - moved),
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not received:
            break
        response = sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(received)]
        )
        sent = {entry["Id"] for entry in response.get("Successful", [])}
        done = [m for i, m in enumerate(received) if str(i) in sent]
        if done:
            sqs.delete_message_batch(
                QueueUrl=dead_letter_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        moved += len(done)
        if len(done) < len(received):
            log.warning("redrive: %d message(s) could not be moved back", len(received) - len(done))
            break
    return moved
