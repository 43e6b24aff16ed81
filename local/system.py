"""The whole system on one machine, without the HTTP server: embedded AWS, the template's resources,
the handlers' environment, the adjustable clock, the event pump, the scheduler and the gateway.
`python -m local`, the tests' fixtures and the benchmark all build on it."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import boto3
from moto.sns.models import sns_backends

from hallbook.clock import SHANGHAI, AdjustableClock, get_clock, set_clock
from hallbook.notify.sms import SmsFailed, SmsSender, get_sender, set_sender
from hallbook.services.identity import set_verifier
from local import identity as local_identity
from local import state
from local.aws import EmbeddedAws, install_partition_queries, start_embedded_aws, table_generation
from local.edge_cache import EdgeCache, rules_from_template
from local.emptying import empty_in_place
from local.environment import ACCOUNT_ID, REGION, set_base_environment
from local.gateway import Gateway
from local.intrinsics import Resources
from local.loader import REPO_ROOT, TEMPLATE_PATH, read_sam_template, translate
from local.pump import Pump
from local.resources import create_resources, function_environment
from local.runtime import Functions
from local.scheduler import NextDue, Run, Scheduler
from local.template import Function, Schedule, api_routes, event_sources, functions, schedules

log = logging.getLogger(__name__)

DEMO_DATA = REPO_ROOT / "data" / "demo.json"


class LocalSystem:
    cfn: dict[str, Any]  # the template translated to CloudFormation
    functions: Functions
    aws: EmbeddedAws
    resources: Resources
    environment: dict[str, str]  # the functions' variables, as exported to os.environ
    pump: Pump
    scheduler: Scheduler
    gateway: Gateway

    def __init__(
        self,
        template: str | Path = TEMPLATE_PATH,
        *,
        aws_port: int = 0,
        frozen_clock: bool = False,
        stage_cache: bool = True,
    ):
        self._template = template
        self._stage_cache = stage_cache  # simulate API Gateway's stage cache (local/edge_cache.py)
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
        self.scheduler = Scheduler(
            template_schedules,
            self.functions,
            self.clock,
            after_run=self.pump.drain,
            next_due=schedule_hints(template_schedules, functions(raw)),
        )
        self.gateway = Gateway(api_routes(raw), self.functions, controls=self)
        self.gateway.edge_cache = EdgeCache(rules_from_template(raw))  # API Gateway's stage cache
        self.gateway.edge_cache.enabled = self._stage_cache

    def seed(self) -> list[str]:
        """Load the demo catalog and halls, seed the local logins (admin, operator, staff@<office_id>)
        and the demo citizens with their residence permits, and release the slots of the booking window
        (if hallbook.services.seed and .release exist; a warning otherwise). The demo office ids."""
        try:
            from hallbook.services.release import release_booking_window
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
        release_booking_window(serving=False)  # seeding comes before serving (and before any test books)
        self.pump.drain()
        return office_ids

    def reset(self, now: datetime | None = None, *, seed: bool = False) -> None:
        """Empty every resource of the template in place (or, if one is missing, moto's reset and the
        template's resources recreated), set the clock to
        `now` (default: the instant start() was given) and clear the local switches."""
        if not empty_in_place(self.aws, self.cfn, self.resources, self._session):  # fast: local/emptying.py
            self.aws.reset()
            self.resources = create_resources(
                self.cfn, self._session, endpoint_url=self.aws.url, secret_values=self.resources.secrets
            )
        if function_environment(self.cfn, self.resources) != self.environment:
            # handlers read it when imported: names, queue URLs and the secret's ARN must be stable
            raise RuntimeError("the functions' environment changed when the resources were recreated")
        _forget_cached_catalog()
        self.gateway.edge_cache.clear()
        self.gateway.edge_cache.enabled = self._stage_cache
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

    def move_clock(self, instant: datetime, *, exhaustive: bool | frozenset[str] = False) -> list[Run]:
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
        elif target == ("jobs", "draws"):
            hints[schedule.name] = next_draw_due
    return hints


def next_sweep_due(after: datetime, days_back: int = 1) -> datetime | None:
    """The earliest instant after `after` at which a no-show sweep run could find a booking due, from
    the store as it is; None if none could. Read only: one Scan of the sparse by_slot_end index, and
    none while the bookings table has not been written since the last (local.aws.table_generation).

    hallbook.services.sweep at T does nothing at all (no write, no SMS) unless the index lists a
    booking (`booked`: a booking leaves the index as it is swept, checked in or cancelled) whose
    partition day is T's day or one of the `days_back` before, and whose `<slot end>#<id>` sorts
    before T's instant (store.bookings.due_for_sweep). So a booking counts from its slot's end,
    until its day + days_back + 1 begins; one past that window counts no more."""
    from hallbook.config import settings

    swept = _read_unless_unchanged("sweep", (settings().bookings_table,), _bookings_to_sweep)
    if swept is None:
        return after  # not the layout this hint knows: every run may have work
    earliest: datetime | None = None
    for day, ends in swept:
        if datetime.combine(day + timedelta(days=days_back + 1), time(), SHANGHAI) <= after:
            continue  # out of every later run's reach
        due = max(ends, after)
        if earliest is None or due < earliest:
            earliest = due
    return earliest


def _bookings_to_sweep() -> list[tuple[date, datetime]] | None:
    """(partition day, slot end) of every booking in the by_slot_end index; None if one is not laid
    out as the sweep hint knows."""
    from hallbook.store.bookings import BookingItem

    swept = []
    for item in BookingItem.by_slot_end.scan():
        try:
            day = date.fromisoformat((item.sweep_day or "").partition("#")[0])
            ends = datetime.fromisoformat((item.sweep_at or "").partition("#")[0])
        except ValueError:
            return None
        if ends.utcoffset() != timedelta(hours=8):
            return None  # compared as text with Shanghai instants: only the same offset compares as time
        swept.append((day, ends))
    return swept


def next_healing_due(after: datetime) -> datetime | None:
    """The earliest instant after `after` at which an SMS healing run could do anything, from the
    store and SmsDLQ as they are; None if none could. Read only: SmsDLQ's depth, and the healing state
    and one Scan of the sparse `pending` index of the outbox unless the outbox table has not been
    written since they were last read (local.aws.table_generation).

    hallbook.services.sms_healing.heal at T does nothing at all (no write, no send, no queue moved) when
    no message written at or before T - OVERDUE_SECONDS is still undelivered, SmsDLQ is empty and
    the healing state records no failed probe (a run would delete it). While a probe has failed or
    SmsDLQ holds anything, every run counts."""
    from hallbook.aws import client
    from hallbook.config import settings
    from hallbook.services.sms_healing import OVERDUE_SECONDS

    failing, oldest = _read_unless_unchanged("healing", (settings().outbox_table,), _undelivered)
    if failing:
        return after
    depth = client("sqs").get_queue_attributes(
        QueueUrl=settings().sms_dlq_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    if any(int(count) for count in depth.values()):
        return after
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
    cut-off); an item leaves the index as it is acted on. Read only: one Scan of that index, none while
    the waitlist table has not been written since the last (local.aws.table_generation)."""
    from hallbook.config import settings
    from hallbook.store.waitlist import earliest_due

    due = _read_unless_unchanged("waitlist", (settings().waitlist_table,), earliest_due)
    return None if due is None else max(due, after)


def next_draw_due(after: datetime) -> datetime | None:
    """The earliest instant after `after` at which the draw job could act (R23): a draw not yet drawn
    is drawn from its close + SETTLE (hallbook.services.draw_run.run_due). Read only: one Scan of the
    sparse by_due index of the draws, none while the table has not been written since the last."""
    from hallbook.config import settings
    from hallbook.domain.draw import SETTLE
    from hallbook.store.draws import earliest_due

    due = _read_unless_unchanged("draws", (settings().draws_table,), earliest_due)
    return None if due is None else max(due + SETTLE, after)


def _undelivered() -> tuple[bool, int | None]:
    """Whether the healing state records a failed probe, and when the oldest undelivered message was
    written (None: none is)."""
    from hallbook.store.outbox import OutboxItem, healing_state

    if healing_state().failures:
        return True, None
    return False, min((int(item.pending_since) for item in OutboxItem.pending.scan()), default=None)


_T = TypeVar("_T")
_unchanged_reads: dict[str, tuple[tuple[tuple[int, int], ...], Any]] = {}


def _read_unless_unchanged(key: str, tables: tuple[str, ...], read: Callable[[], _T]) -> _T:
    """`read()`, or what it returned last time if none of `tables` has been written since."""
    generation = tuple(table_generation(table) for table in tables)  # before reading: a write in between shows
    last = _unchanged_reads.get(key)
    if last is not None and last[0] == generation:
        return last[1]  # type: ignore[no-any-return]
    value = read()
    _unchanged_reads[key] = (generation, value)
    return value


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
    """The catalog (and the draws) that hallbook caches per process are gone with the reset."""
    from hallbook.services.draws import forget_cached
    from hallbook.store import readcache
    from hallbook.store.catalog import invalidate_cache

    invalidate_cache()
    readcache.clear()
    forget_cached()


def _reset_hallbook_settings() -> None:
    """hallbook.config caches the environment it first read."""
    from hallbook.config import reset_settings

    reset_settings()
