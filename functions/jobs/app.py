"""Scheduled jobs. EventBridge Scheduler sends the schedule's Input ({"job": "release"}); the release
fans out one SQS message per hall (ReleaseQueue), which this same function works off in batches.
Also {"job": "sweep"} (R12, every 5 minutes in hall hours; it also runs the R18/R19 waitlist timers, which
{"job": "waitlist"} runs alone, every minute), {"job": "reminders"} (R16, daily at 16:00), {"job": "draws"}
(R23, every minute 12:00-14:59: the draws whose entry period closed)
and {"job": "redrive_sms"}, by hand only: SmsDLQ is moved back by the notifier's own healing run
(every 5 minutes, once the provider answers a probe), so nobody has to."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from hallbook import libraries, telemetry  # noqa: F401 - libraries first: the platform, then gc.freeze()
from hallbook.aws import client
from hallbook.clock import now
from hallbook.config import settings
from hallbook.observability import logger, metrics, tracer
from hallbook.store.catalog import load_catalog

if TYPE_CHECKING:  # each run uses one job's services: imported on first use, not at the cold start
    from hallbook.services import (
        application_reads,
        calendar_sync,
        draw_run,
        draws,
        notify,
        release,
        reminders,
        sweep,
        tickets,
        waitlist,
    )
else:
    from hallbook.lazy import lazy

    application_reads, draws, notify = (
        lazy(f"hallbook.services.{m}") for m in ("application_reads", "draws", "notify")
    )
    draw_run = lazy("hallbook.services.draw_run")
    release, reminders, sweep = (lazy(f"hallbook.services.{m}") for m in ("release", "reminders", "sweep"))
    tickets, waitlist, calendar_sync = (
        lazy(f"hallbook.services.{m}") for m in ("tickets", "waitlist", "calendar_sync")
    )

processor = BatchProcessor(event_type=EventType.SQS)

settings()  # cold start: a missing or malformed variable stops the function here, naming it


def start_release(event: dict | None = None) -> dict:
    """The noon run: plan every hall's days and send one message per hall (10 per request)."""
    at = now()
    try:  # R5: the holidays package's schedules; never in the way of the release itself
        stored = calendar_sync.store_bundled_years(at)
    except Exception:  # noqa: BLE001 - logged; the next noon tries again
        logger.exception("could not read the holidays package's calendar")
        stored = []
    catalog = load_catalog(max_age=0)  # fresh: a hall added a minute ago is released today
    plans = release.plan_release(at, catalog)
    entries = [{"Id": str(i), "MessageBody": json.dumps(p.message())} for i, p in enumerate(plans)]
    for i in range(0, len(entries), 10):
        response = client("sqs").send_message_batch(QueueUrl=settings().release_queue_url, Entries=entries[i : i + 10])
        if response.get("Failed"):
            raise RuntimeError(f"could not enqueue {len(response['Failed'])} halls")  # the scheduler retries
    announced = draws.announce_next(at, catalog)  # R23: the next day's draws, their seed hashes published
    missing = release.next_year_calendar_missing(at, catalog)
    if missing:
        logger.warning("next year's State Council calendar is missing", extra={"year": at.year + 1})
    # every run, 0 or 1: the dashboard tells "fine" from "no run" (the alarm is on Maximum > 0)
    metrics.add_metric(name="CalendarYearMissing", unit=MetricUnit.Count, value=1 if missing else 0)
    metrics.add_metric(name="ReleaseHallsPlanned", unit=MetricUnit.Count, value=len(plans))
    for source, days in release.calendar_days_by_source(at).items():  # the coming 60 days (Jobs dashboard)
        telemetry.count("CalendarDays", days, source=source)
    return {"job": "release", "offices": len(plans), "calendar_years_stored": stored, "draws_announced": announced}


def release_record(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if "timetable" in body:  # a large timetable change's slots (services/timetables.put_office)
        from hallbook.services import timetables  # lazily: only this message needs it

        result = timetables.apply_queued(body, now())
        metrics.add_metric(name="TimetableSlotsChanged", unit=MetricUnit.Count, value=result.get("updated", 0))
        return
    started = time.perf_counter()  # a measurement for the dashboard, not a rule's time
    result = release.release_office(body["office_id"], [date.fromisoformat(d) for d in body["days"]])
    metrics.add_metric(name="SlotsReleased", unit=MetricUnit.Count, value=result.written)
    metrics.add_metric(name="ReleaseHallsDone", unit=MetricUnit.Count, value=1)
    telemetry.seconds("ReleaseDurationSeconds", time.perf_counter() - started)


def sweep_no_shows(event: dict) -> dict:
    result = sweep.sweep(now(), days_back=int(event.get("days_back", sweep.CATCH_UP_DAYS)))
    metrics.add_metric(name="NoShows", unit=MetricUnit.Count, value=result.no_shows)
    metrics.add_metric(name="NoShowSuspensions", unit=MetricUnit.Count, value=result.suspended)
    at = now()
    if at.minute < 5:  # the Halls dashboard's gauges, once an hour (the hour's first sweep): a Query per hall
        waiting, oldest = application_reads.review_backlog(at)
        metrics.add_metric(name="ApplicationsAwaitingReview", unit=MetricUnit.Count, value=waiting)
        metrics.add_metric(name="OldestApplicationWaitSeconds", unit=MetricUnit.Seconds, value=oldest)
    return {**result.summary(), "waitlist": waitlist_timers(event)}


def send_reminders(event: dict) -> dict:
    result = reminders.send_reminders(now())
    metrics.add_metric(name="RemindersWritten", unit=MetricUnit.Count, value=result.written)
    return result.summary()


def waitlist_timers(event: dict) -> dict:
    """R18/R19, with every sweep run (and by hand): offers past their deadline, delayed places' returns,
    entries' cut-offs."""
    result = waitlist.run_timers(now())
    metrics.add_metric(name="WaitlistOffersTimedOut", unit=MetricUnit.Count, value=result.timed_out)
    metrics.add_metric(name="PlacesReturned", unit=MetricUnit.Count, value=result.returned)
    return result.summary()


def run_draws(event: dict) -> dict:
    """R23, every minute from 12:00 to 14:59: the draws whose entry period has closed are drawn."""
    results = draw_run.run_due(now())
    for result in results:
        if result.outcome == "drawn":
            metrics.add_metric(name="DrawEntries", unit=MetricUnit.Count, value=result.entries)
            metrics.add_metric(name="DrawWinners", unit=MetricUnit.Count, value=result.winners)
    return {"job": "draws", "draws": [r.summary() for r in results]}


def redrive_sms(event: dict) -> dict:
    """SmsDLQ -> SmsQueue at once, without waiting for the healing run's probe, e.g.
    `aws lambda invoke --function-name <JobsFunction> --payload '{"job": "redrive_sms"}'`."""
    moved = notify.redrive(
        client("sqs"), settings().sms_dlq_url, settings().sms_queue_url, limit=int(event.get("limit", 10_000))
    )
    metrics.add_metric(name="SmsRedriven", unit=MetricUnit.Count, value=moved)
    return {"job": "redrive_sms", "moved": moved}


def close_day(event: dict) -> dict:
    """Tickets (and their bookings) still waiting or called at the end of the day are closed."""
    result = tickets.close_day_end(now())
    metrics.add_metric(name="TicketsClosedAtDayEnd", unit=MetricUnit.Count, value=result["closed"])
    return result


JOBS = {
    "close_day": close_day,
    "release": start_release,
    "sweep": sweep_no_shows,
    "reminders": send_reminders,
    "redrive_sms": redrive_sms,
    "waitlist": waitlist_timers,
    "draws": run_draws,
}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    if isinstance(event, dict) and "Records" in event:
        return process_partial_response(
            event=event, record_handler=release_record, processor=processor, context=context
        )
    job = JOBS.get((event or {}).get("job"))
    if job is None:
        raise ValueError(f"unknown job in {event!r}")
    return job(event)
