"""SMS that is never lost (R16). Two event sources, one audience:
- the outbox table's stream: each new outbox item becomes one SmsQueue message (its id only);
- SmsQueue: each message is delivered once (Powertools idempotency on the message id); a failed send
  is retried with a growing delay, and after the queue's maxReceiveCount lands in SmsDLQ (alarmed)."""
from __future__ import annotations

import json
import os

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from hallbook.aws import client
from hallbook.clock import now
from hallbook.config import settings
from hallbook.notify.sms import SmsFailed
from hallbook.services import notify
from hallbook.web.app import logger, metrics, tracer

stream_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
queue_processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)
once = IdempotencyConfig(event_key_jmespath="message_id", expires_after_seconds=14 * 24 * 3600)
RETRY_BASE_SECONDS = int(os.environ.get("SMS_RETRY_BASE_SECONDS", "10"))
RETRY_MAX_SECONDS = 900


def relay(record: DynamoDBRecord) -> None:
    """A new outbox item -> one SmsQueue message carrying only its id (no phone, no text)."""
    if record.event_name is None or record.event_name.name != "INSERT":
        return
    message_id = record.dynamodb.keys["pk"]
    client("sqs").send_message(QueueUrl=settings().sms_queue_url, MessageBody=json.dumps({"message_id": message_id}))


@idempotent_function(data_keyword_argument="message", persistence_store=persistence, config=once)
def deliver_once(message: dict) -> dict:
    delivery = notify.deliver(message["message_id"], now().isoformat())
    return {"message_id": delivery.message_id, "status": delivery.status, "provider_id": delivery.provider_id}


def send(record: SQSRecord) -> None:
    message_id = json.loads(record.body)["message_id"]
    try:
        deliver_once(message={"message_id": message_id})
        metrics.add_metric(name="SmsSent", unit=MetricUnit.Count, value=1)
    except notify.PermanentFailure:
        logger.error("sms can never be sent", extra={"message_id": message_id})
        notify.mark_failed(message_id)
        metrics.add_metric(name="SmsUndeliverable", unit=MetricUnit.Count, value=1)
    except SmsFailed:
        tries = int(record.attributes.approximate_receive_count or 1)
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (tries - 1))
        client("sqs").change_message_visibility(QueueUrl=settings().sms_queue_url, ReceiptHandle=record.receipt_handle,
                                        VisibilityTimeout=delay)
        metrics.add_metric(name="SmsSendFailed", unit=MetricUnit.Count, value=1)
        logger.warning("sms send failed, will retry", extra={"message_id": message_id, "try": tries, "delay": delay})
        raise


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    once.register_lambda_context(context)
    source = (event.get("Records") or [{}])[0].get("eventSource")
    if source == "aws:dynamodb":
        return process_partial_response(event=event, record_handler=relay, processor=stream_processor, context=context)
    return process_partial_response(event=event, record_handler=send, processor=queue_processor, context=context)
