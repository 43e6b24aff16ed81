"""Scheduled jobs. EventBridge Scheduler sends the schedule's Input ({"job": "release"}); the release
fans out one SQS message per hall (ReleaseQueue), which this same function works off in batches."""
from __future__ import annotations

import json
from datetime import date

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from hallbook.clock import now
from hallbook.config import settings
from hallbook.services import release
from hallbook.web.app import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)
_sqs = None


def sqs():
    global _sqs
    if _sqs is None:
        _sqs = boto3.client("sqs")
    return _sqs


def start_release() -> dict:
    """The noon run: plan every hall's days and send one message per hall (10 per request)."""
    at = now()
    plans = release.plan_release(at)
    entries = [{"Id": str(i), "MessageBody": json.dumps(p.message())} for i, p in enumerate(plans)]
    for i in range(0, len(entries), 10):
        response = sqs().send_message_batch(QueueUrl=settings().release_queue_url, Entries=entries[i:i + 10])
        if response.get("Failed"):
            raise RuntimeError(f"could not enqueue {len(response['Failed'])} halls")  # the scheduler retries
    if release.next_year_calendar_missing(at):
        logger.warning("next year's State Council calendar is missing", extra={"year": at.year + 1})
        metrics.add_metric(name="CalendarYearMissing", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ReleaseHallsPlanned", unit=MetricUnit.Count, value=len(plans))
    return {"job": "release", "offices": len(plans)}


def release_record(record: SQSRecord) -> None:
    body = json.loads(record.body)
    result = release.release_office(body["office_id"], [date.fromisoformat(d) for d in body["days"]])
    metrics.add_metric(name="SlotsReleased", unit=MetricUnit.Count, value=result.written)


JOBS = {"release": start_release}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    if isinstance(event, dict) and "Records" in event:
        return process_partial_response(event=event, record_handler=release_record, processor=processor,
                                        context=context)
    job = JOBS.get((event or {}).get("job"))
    if job is None:
        raise ValueError(f"unknown job in {event!r}")
    return job()
