"""SMS that is never lost and heals itself (R16). Three event sources, one audience:
- the outbox table's stream (keys only, INSERTs only): each new outbox item becomes one SmsQueue
  message carrying its id, 10 per SendMessageBatch;
- SmsQueue: each message is delivered once (a conditional claim on the outbox item: see
  hallbook.services.notify); a failed send is retried with a growing delay, and after the queue's
  maxReceiveCount lands in SmsDLQ;
- the SmsHealing schedule ({"job": "heal_sms"}, every 5 minutes: hallbook.services.sms_healing):
  expires stale verification codes, probes the provider with one message, backs off while it fails,
  and once it answers re-sends every message still pending and moves SmsDLQ back. Only this function ever talks to the SMS provider."""

from __future__ import annotations

import functools
import json

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from hallbook import libraries  # noqa: F401 - first: the platform, then gc.freeze()
from hallbook.aws import client
from hallbook.clock import now
from hallbook.config import settings
from hallbook.notify.sms import SmsFailed
from hallbook.observability import logger, metrics, tracer
from hallbook.services import notify, sms_healing
from hallbook.store.outbox import HEALING_STATE_KEY

queue_processor = BatchProcessor(event_type=EventType.SQS)
RETRY_BASE_SECONDS = 10  # then 20, 40, ... up to RETRY_MAX_SECONDS; the SQS visibility timeout each time
RETRY_MAX_SECONDS = 900

settings()  # cold start: a missing or malformed variable stops the function here, naming it


def relay(event: dict) -> dict:
    """New outbox items -> SmsQueue messages carrying only their ids (no phone, no text). A record
    whose id could not be enqueued is reported failed: the stream retries from it (ids after it may
    be enqueued twice, which delivery absorbs); past the mapping's retries the healing run finds it."""
    inserts = [
        (r["dynamodb"]["SequenceNumber"], r["dynamodb"]["Keys"]["pk"]["S"])
        for r in event["Records"]
        if r.get("eventName") == "INSERT" and r["dynamodb"]["Keys"]["pk"]["S"] != HEALING_STATE_KEY
    ]
    failed = set(notify.enqueue_ids(client("sqs"), settings().sms_queue_url, [pk for _, pk in inserts]))
    if failed:
        logger.warning("could not relay sms to SmsQueue", extra={"failed": len(failed)})
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq, pk in inserts if pk in failed]}


def send(record: SQSRecord, records: notify.SentRecords | None = None) -> None:
    message_id = json.loads(record.body)["message_id"]
    try:
        delivery = notify.deliver(message_id, now(), records)
    except notify.PermanentFailure:
        logger.error("sms can never be sent", extra={"message_id": message_id})
        metrics.add_metric(name="SmsUndeliverable", unit=MetricUnit.Count, value=1)
        return
    except SmsFailed:
        tries = int(record.attributes.approximate_receive_count or 1)
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (tries - 1))
        client("sqs").change_message_visibility(
            QueueUrl=settings().sms_queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
        )
        metrics.add_metric(name="SmsSendFailed", unit=MetricUnit.Count, value=1)
        logger.warning("sms send failed, will retry", extra={"message_id": message_id, "try": tries, "delay": delay})
        raise
    if delivery.status == "sent":
        metrics.add_metric(name="SmsSent", unit=MetricUnit.Count, value=1)
    elif delivery.status == "expired":
        metrics.add_metric(name="SmsExpired", unit=MetricUnit.Count, value=1)


def heal_sms(event: dict) -> dict:
    result = sms_healing.heal(now(), client("sqs"), settings().sms_queue_url, settings().sms_dlq_url)
    metrics.add_metric(name="OldestPendingSmsAgeSeconds", unit=MetricUnit.Seconds, value=result.oldest_pending_seconds)
    metrics.add_metric(name="SmsExpired", unit=MetricUnit.Count, value=result.expired)
    metrics.add_metric(name="SmsRequeued", unit=MetricUnit.Count, value=result.requeued + result.redriven)
    if result.probe == "failed":
        metrics.add_metric(name="SmsProbeFailed", unit=MetricUnit.Count, value=1)
    return result.summary()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    if isinstance(event, dict) and event.get("job") == "heal_sms":
        return heal_sms(event)
    source = (event.get("Records") or [{}])[0].get("eventSource")
    if source == "aws:dynamodb":
        return relay(event)
    records = notify.SentRecords()  # the batch's `sent` records: one BatchWriteItem at its end
    try:
        return process_partial_response(
            event=event,
            record_handler=functools.partial(send, records=records),
            processor=queue_processor,
            context=context,
        )
    finally:
        records.flush()
