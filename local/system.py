"""The whole system on one machine, without the HTTP server: embedded AWS, the template's resources,
the handlers' environment, the adjustable clock, the event pump, the scheduler and the gateway.
`python -m local`, the tests' fixtures and the benchmark all build on it."""
from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import boto3
from hallbook.clock import SHANGHAI, AdjustableClock, get_clock, set_clock
from hallbook.notify.sms import SmsFailed, SmsSender, get_sender, set_sender
from moto.dynamodb.models.table import Table
from moto.sns.models import sns_backends

from hallbook.services.identity import set_verifier

from local import identity as local_identity
from local import state
from local.aws import ACCOUNT_ID, EmbeddedAws, start_embedded_aws
from local.gateway import Gateway
from local.pump import Pump
from local.runtime import Functions
from local.scheduler import NextDue, Run, Scheduler
from local.template import (
    REGION,
    REPO_ROOT,
    TEMPLATE_PATH,
    Function,
    Resources,
    Schedule,
    api_routes,
    create_resources,
    event_sources,
    function_environment,
    functions,
    read_sam_template,
    schedules,
    translate,
)

log = logging.getLogger(__name__)

DEMO_DATA = REPO_ROOT / "data" / "demo.json"

# What every process of local mode needs before any handler or hallbook module is imported.
BASE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon on this machine
}


def set_base_environment() -> None:
    """Dummy credentials and the region, nothing that could point clients at a real account, and
    no HTTP proxy between clients and the embedded AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        os.environ.pop(name, None)
    os.environ.update(BASE_ENVIRONMENT)
    no_proxy = {h for h in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if h}
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(sorted(no_proxy | {"127.0.0.1", "localhost"}))


class LocalSystem:
    cfn: dict[str, Any]  # the template translated to CloudFormation
    functions: Functions
    aws: EmbeddedAws
    resources: Resources
    environment: dict[str, str]  # the functions' variables, as exported to os.environ
    pump: Pump
    scheduler: Scheduler
    gateway: Gateway

    def __init__(self, template: str | Path = TEMPLATE_PATH, *, aws_port: int = 0, frozen_clock: bool = False):
        self._template = template
        self._aws_port = aws_port
        self.clock = AdjustableClock(frozen=frozen_clock)
        self._start_instant: datetime | None = None

    def start(self, now: datetime | None = None) -> None:
        """Embedded AWS up, resources created, environment exported (AWS_ENDPOINT_URL sends boto3 and
        pynamodb to the embedded AWS) and the clock installed at `now` (default: the real time)."""
        set_base_environment()
        install_partition_queries()
        raw = read_sam_template(self._template)
        self.cfn = translate(raw)
        self.functions = Functions(functions(raw))
        self.aws = start_embedded_aws(self._aws_port)
        os.environ["AWS_ENDPOINT_URL"] = self.aws.url
        self._session = boto3.Session(region_name=REGION)
        self.resources = create_resources(self.cfn, self._session, endpoint_url=self.aws.url)
        self.environment = function_environment(self.cfn, self.resources)
        os.environ.update(self.environment)
        _reset_hallbook_settings()

        self._start_instant = now or get_clock().now()
        self.clock.set(self._start_instant)
        set_clock(self.clock)
        set_verifier(local_identity.verifier)  # the fake real-name source (local/identity.py)
        if not isinstance(get_sender(), SwitchableSmsSender):
            set_sender(SwitchableSmsSender(get_sender()))
        self.pump = Pump(event_sources(raw), self.functions, self.resources, self._session, self.aws.url)
        template_schedules = schedules(raw)
        self.scheduler = Scheduler(template_schedules, self.functions, self.clock, after_run=self.pump.drain,
                                   next_due=schedule_hints(template_schedules, functions(raw)))
        self.gateway = Gateway(api_routes(raw), self.functions, controls=self)

    def seed(self) -> list[str]:
        """Load the demo catalogue and halls, seed the local logins (admin, operator, staff@<office_id>)
        and the demo citizens with their residence permits, and release the slots of the booking window
        (if hallbook.services.seed and .release exist; a warning otherwise). The demo office ids."""
        try:
            from hallbook.services.release import release_window
            from hallbook.services.seed import load_demo_data, seed_local_accounts, seed_local_permits
        except ModuleNotFoundError as e:
            if e.name not in ("hallbook.services.seed", "hallbook.services.release"):
                raise
            log.warning("not seeding demo data: %s does not exist", e.name)
            return []
        data = load_demo_data(str(DEMO_DATA))
        office_ids = [office["office_id"] for office in data.get("offices", [])]
        from hallbook.services.seed import DEMO_PERMITS

        for name, id_number, phone, *_ in DEMO_PERMITS:  # the fake real-name source knows them
            local_identity.verifier.register(id_number, name, phone)
        seed_local_accounts(office_ids)
        seed_local_permits(office_ids)
        release_window()
        self.pump.drain()
        return office_ids

    def reset(self, now: datetime | None = None, *, seed: bool = False) -> None:
        """Empty every service (moto's reset), recreate the template's resources, set the clock to
        `now` (default: the instant start() was given) and clear the local switches."""
        self.aws.reset()
        self.resources = create_resources(
            self.cfn, self._session, endpoint_url=self.aws.url, secret_values=self.resources.secrets
        )
        if function_environment(self.cfn, self.resources) != self.environment:
            # handlers read it when imported: names, queue URLs and the secret's ARN must be stable
            raise RuntimeError("the functions' environment changed when the resources were recreated")
        _forget_cached_catalog()
        self.pump.reset(self.resources)
        self.clock.set(now or self._start_instant)  # type: ignore[arg-type]
        self.scheduler.reset()
        state.SMS_PROVIDER_FAILING.set(False)
        local_identity.verifier.reset()
        if seed:
            self.seed()

    def stop(self) -> None:
        self.scheduler.stop()
        self.pump.stop()
        self.aws.stop()

    # ------------------------------------------------------------ gateway.LocalControls

    def sms_messages(self, phone: str | None = None) -> list[dict[str, str]]:
        """The SMS sent through SNS, newest first; `phone` with or without +86."""
        with self.aws.lock:
            sent = list(sns_backends[ACCOUNT_ID][REGION].sms_messages.values())
        wanted = _national(phone) if phone else None
        return [
            {"phone": number, "message": message}
            for number, message in reversed(sent)
            if wanted is None or _national(number) == wanted
        ]

    def move_clock(self, instant: datetime, *, exhaustive: bool = False) -> list[Run]:
        """Fire the runs up to `instant` (local.scheduler.Scheduler.move_to); ClockMovedBack if before now."""
        return self.scheduler.move_to(instant, exhaustive=exhaustive)


# ------------------------------------------------------------ the scheduler's hints

def schedule_hints(all_schedules: Sequence[Schedule], all_functions: dict[str, Function]) -> dict[str, NextDue]:
    """The schedules whose runs the scheduler may leave out when they have nothing to do, by name:
    the no-show sweep ({"job": "sweep"} to functions/jobs, every 5 minutes in hall hours; the same run
    acts on the waitlist's timers, so its hint is the earlier of the two) and the SMS healing
    ({"job": "heal_sms"} to functions/notifier, every 5 minutes). The noon release and the
    reminders have no hint: they fire at every one of their instants."""
    hints: dict[str, NextDue] = {}
    for schedule in all_schedules:
        event = json.loads(schedule.input_json) if schedule.input_json else {}
        function = all_functions.get(schedule.function)
        if not isinstance(event, dict) or function is None:
            continue
        target = (Path(function.code_uri).name, event.get("job"))
        if target == ("jobs", "sweep"):
            from hallbook.services.sweep import CATCH_UP_DAYS

            sweep_due = functools.partial(next_sweep_due, days_back=int(event.get("days_back", CATCH_UP_DAYS)))
            hints[schedule.name] = functools.partial(_earliest, sweep_due, next_waitlist_due)  # the run does both
        elif target == ("notifier", "heal_sms"):
            hints[schedule.name] = next_healing_due
        elif target == ("jobs", "waitlist"):
            hints[schedule.name] = next_waitlist_due
    return hints


def next_sweep_due(after: datetime, days_back: int = 1) -> datetime | None:
    """The earliest instant after `after` at which a no-show sweep run could find a booking due, from
    the store as it is; None if none could. Read only: one Scan of the sparse by_slot_end index.

    hallbook.services.sweep at T does nothing at all (no write, no SMS) unless the index lists a
    booking (`booked`: a booking leaves the index as it is swept, checked in or cancelled) whose
    partition day is T's day or one of the `days_back` before, and whose `<slot end>#<id>` sorts
    before T's instant (store.bookings.due_for_sweep). So a booking counts from its slot's end,
    until its day + days_back + 1 begins; one past that window counts no more."""
    from hallbook.store.bookings import BookingItem

    earliest: datetime | None = None
    for item in BookingItem.by_slot_end.scan():
        try:
            day = date.fromisoformat((item.sweep_day or "").partition("#")[0])
            ends = datetime.fromisoformat((item.sweep_at or "").partition("#")[0])
        except ValueError:
            return after  # not the layout this hint knows: every run may have work
        if ends.utcoffset() != timedelta(hours=8):
            return after  # compared as text with Shanghai instants: only the same offset compares as time
        if datetime.combine(day + timedelta(days=days_back + 1), time(), SHANGHAI) <= after:
            continue  # out of every later run's reach
        due = max(ends, after)
        if earliest is None or due < earliest:
            earliest = due
    return earliest


def next_healing_due(after: datetime) -> datetime | None:
    """The earliest instant after `after` at which an SMS healing run could do anything, from the
    store and SmsDLQ as they are; None if none could. Read only: the healing state, SmsDLQ's depth
    and one Scan of the sparse `pending` index of the outbox.

    hallbook.services.notify.heal at T does nothing at all (no write, no send, no queue moved) when
    no message written at or before T - OVERDUE_SECONDS is still undelivered, SmsDLQ is empty and
    the healing state records no failed probe (a run would delete it). While a probe has failed or
    SmsDLQ holds anything, every run counts."""
    from hallbook.aws import client
    from hallbook.config import settings
    from hallbook.services.notify import OVERDUE_SECONDS
    from hallbook.store.outbox import OutboxItem, healing_state

    if healing_state().failures:
        return after
    depth = client("sqs").get_queue_attributes(
        QueueUrl=settings().sms_dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    if any(int(count) for count in depth.values()):
        return after
    oldest = min((int(item.pending_since) for item in OutboxItem.pending.scan()), default=None)
    if oldest is None:
        return None
    return max(after, datetime.fromtimestamp(oldest + OVERDUE_SECONDS, SHANGHAI))


def _earliest(first: NextDue, second: NextDue, after: datetime) -> datetime | None:
    """The hint of a run that does two things: the earlier instant either could act (None: neither)."""
    dues = [due for due in (first(after), second(after)) if due is not None]
    return min(dues) if dues else None


def next_waitlist_due(after: datetime) -> datetime | None:
    """The earliest instant after `after` at which the waitlist's timers (run by every sweep run) could
    act, from the store as it is; None if none could. hallbook.services.waitlist.run_timers at T acts only on items of the sparse
    by_due index due at or before T (an offer's deadline, a delayed place's return, a waiting entry's
    cut-off); an item leaves the index as it is acted on. Read only: one Scan of that index."""
    from hallbook.store.waitlist import earliest_due

    due = earliest_due()
    return None if due is None else max(due, after)


def install_partition_queries() -> None:
    """Idempotent. moto (5.2) answers a Query on a table's own key by sorting every item of the table
    and keeping the partition's: the noon release queries SlotsTable (thousands of slots, more every
    day) once per hall and service, ~0.4 s each at 7,000 slots. This hands that Query the partition
    alone, which moto then sorts and filters as before: the same answer. Index queries are left as
    they are. Only correct while moto's calls are serialised (local.aws); it belongs with
    local.aws.install_moto_patches."""
    if getattr(Table.query, "partition_only", False):
        return
    moto_query = Table.query

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return moto_query(self, hash_key, *args, **kwargs)
        partition = self.items[hash_key] if hash_key in self.items else None  # no defaultdict entry made
        items = [] if partition is None else list(partition.values()) if self.range_key_attr else [partition]
        self.all_items = lambda: items  # type: ignore[method-assign]  # what moto's Query reads
        try:
            return moto_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.partition_only = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


class SwitchableSmsSender:
    """The deployed SMS sender, failing while POST /local/sms-provider {"failing": true} is on."""

    def __init__(self, sender: SmsSender):
        self._sender = sender

    def send(self, phone_e164: str, text: str) -> str:
        if state.SMS_PROVIDER_FAILING:
            raise SmsFailed("local mode: the SMS provider is switched to failing")
        return self._sender.send(phone_e164, text)


def _national(phone: str) -> str:
    """13812345678 from +86 138 1234 5678, 8613812345678 or 13812345678."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _forget_cached_catalog() -> None:
    """The catalogue that hallbook caches per process is gone with the reset."""
    from hallbook.store.catalog import invalidate_cache

    invalidate_cache()


def _reset_hallbook_settings() -> None:
    """hallbook.config caches the environment it first read."""
    from hallbook.config import reset_settings

    reset_settings()
