"""EventBridge Scheduler, emulated: moto never fires schedules, so local mode fires the template's
ScheduleV2 events itself, from their cron()/rate() expressions in their time zone, against the
hallbook clock. Moving the clock forward fires the runs it passes; a background thread fires
runs as (shifted) real time passes. The clock never moves back: runs cannot be un-run.

Moving the clock costs what the runs cost, not how many there are: a schedule may come with a
`NextDue` hint (local.system gives the no-show sweep one) that says, from the store as it is, from
which instant a run could have anything to do. The runs before it would change nothing, and they
are not invoked: the state at the end is the one firing every run gives (`exhaustive=True` does).
The hint is asked again after every run that fires, since a run (or its fan-out) changes the store.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hallbook.clock import AdjustableClock
from local.background import Periodic
from local.runtime import Functions
from local.template import Schedule

log = logging.getLogger(__name__)

_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_WEEKDAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}  # AWS: 1 = Sunday
_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


@dataclass(frozen=True)
class Cron:
    """An AWS cron(minutes hours day-of-month month day-of-week year) expression, as sets of values.
    Supported: *, ?, lists, ranges, steps (a/n, a-b/n, */n) and month/day names; not L, W or #."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: "?" (day-of-week decides)
    months: frozenset[int]
    weekdays: frozenset[int] | None  # AWS numbering, 1 = Sunday; None: "?"
    years: frozenset[int]

    @classmethod
    def parse(cls, fields: str) -> Cron:
        parts = fields.split()
        if len(parts) != 6:
            raise ValueError(f"cron needs 6 fields (minutes hours day month weekday year): {fields!r}")
        minutes, hours, days, months, weekdays, years = parts
        if (days == "?") == (weekdays == "?"):
            raise ValueError(f"exactly one of day-of-month and day-of-week must be '?': {fields!r}")
        return cls(
            minutes=_field(minutes, 0, 59),
            hours=_field(hours, 0, 23),
            days=None if days == "?" else _field(days, 1, 31),
            months=_field(months, 1, 12, _MONTHS),
            weekdays=None if weekdays == "?" else _field(weekdays, 1, 7, _WEEKDAYS),
            years=_field(years, 1970, 2199),
        )

    def matches_day(self, day: date) -> bool:
        aws_weekday = day.isoweekday() % 7 + 1  # Monday=1..Sunday=7 -> Sunday=1..Saturday=7
        return (
            day.year in self.years
            and day.month in self.months
            and (self.days is None or day.day in self.days)
            and (self.weekdays is None or aws_weekday in self.weekdays)
        )


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    def value(token: str) -> int:
        number = (names or {}).get(token.upper()) if not token.isdigit() else int(token)
        if number is None or not low <= number <= high:
            raise ValueError(f"{token!r} is not in {low}-{high}")
        return number

    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            start, end = (value(t) for t in span.split("-", 1))
        else:
            start = value(span)
            end = high if step else start  # "0/5" means 0, 5, 10, ... up to the maximum
        values.update(range(start, end + 1, int(step) if step else 1))
    return frozenset(values)


_EXPRESSION = re.compile(r"^(cron|rate)\((.*)\)$")


@functools.lru_cache(maxsize=256)
def _parse(expression: str) -> Cron | int:
    """A cron() expression's Cron, or a rate() expression's period in seconds (parsed once)."""
    match = _EXPRESSION.match(expression.strip())
    if match is None:
        raise ValueError(f"not a cron() or rate() expression: {expression!r}")
    expression_type, body = match.groups()
    if expression_type == "rate":
        amount, _, unit = body.strip().partition(" ")
        return int(amount) * _RATE_UNITS[unit.strip()]
    return Cron.parse(body)


def occurrences(schedule: Schedule, after: datetime, until: datetime) -> Iterator[datetime]:
    """The instants in (after, until] at which `schedule` fires, in order, in its time zone.
    rate() schedules are anchored at the Unix epoch (EventBridge anchors them at creation)."""
    parsed = _parse(schedule.expression)
    zone = ZoneInfo(schedule.timezone)
    if isinstance(parsed, int):
        period = parsed
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        step = (after - epoch) // timedelta(seconds=period) + 1  # exact: `after` may be a microsecond off the grid
        while (instant := epoch + timedelta(seconds=step * period)) <= until:
            yield instant.astimezone(zone)
            step += 1
        return

    cron = parsed
    day = after.astimezone(zone).date()
    last_day = until.astimezone(zone).date()
    while day <= last_day:
        if cron.matches_day(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    instant = datetime.combine(day, time(hour, minute), tzinfo=zone)
                    if after < instant <= until:
                        yield instant
        day += timedelta(days=1)


@dataclass(frozen=True)
class Run:
    schedule: str
    at: datetime
    error: str | None = None  # the handler's exception, if it raised


NextDue = Callable[[datetime], "datetime | None"]
"""A schedule's hint, read-only: given `after`, an instant D such that, with the store as it is,
every run at an instant T with after < T < D would change nothing (None: no run would, however
late). Returning `after` (or anything earlier) is always correct: nothing is skipped."""

_JUST_BEFORE = timedelta(microseconds=1)  # schedules fire on whole minutes (rate: whole seconds)
_RUNNING_CLOCK_SLACK = timedelta(seconds=1)


class ClockMovedBack(ValueError):
    """Moving the clock before now: the runs it passed cannot be un-run."""


class Scheduler:
    def __init__(
        self,
        schedules: Sequence[Schedule],
        functions: Functions,
        clock: AdjustableClock,
        after_run: Callable[[], object],
        next_due: Mapping[str, NextDue] | None = None,
    ):
        """`after_run` runs after each fired run, so its fan-out completes (local mode: Pump.drain).
        `next_due`: hints by schedule name; runs before the hint are not invoked (module docstring)."""
        self._schedules = list(schedules)
        self._functions = functions
        self._clock = clock
        self._after_run = after_run
        self._next_due = dict(next_due or {})
        self._lock = threading.RLock()
        self._fired_until = clock.now()  # the background thread has fired every run up to here
        self._background = Periodic("scheduler", self.tick)

    @property
    def hinted(self) -> frozenset[str]:
        """The schedules whose runs are left out while they have nothing to do."""
        return frozenset(self._next_due)

    def reset(self) -> None:
        """Forget the runs due before now (after the clock was set without firing)."""
        with self._lock:
            self._fired_until = self._clock.now()

    def move_to(self, instant: datetime, *, exhaustive: bool | frozenset[str] = False) -> list[Run]:
        """Set the clock to each run in (now, instant] in time order, fire it, then set the clock
        to `instant`; the runs fired (`after_run` runs first, then after each). Runs a hint shows
        to have nothing to do are left out, unless `exhaustive` (the end state is the same): True for
        every schedule, or the names of the schedules whose every run fires.
        `instant` before now raises ClockMovedBack (a running clock forgives a second: the instant
        read a moment ago is now)."""
        with self._lock:
            now = self._clock.now()
            if instant < now and (self._clock.frozen or now - instant > _RUNNING_CLOCK_SLACK):
                raise ClockMovedBack(
                    f"the clock is at {now.isoformat()} and cannot move back to "
                    f"{instant.isoformat()}: the jobs it has run cannot be un-run"
                )
            runs = [] if self._clock.frozen else self.tick()  # due as real time passed, not yet fired
            # what came before (an API call's SMS) goes through first, as the pump would have put it
            # through by now: the first run meets the same store whichever runs are left out
            self._after_run()
            instant = max(instant, self._clock.now())
            runs += self._fire_between(self._clock.now(), instant, set_clock=True, exhaustive=exhaustive)
            self._clock.set(instant)
            self._fired_until = instant
            return runs

    def tick(self) -> list[Run]:
        """Fire the runs that came due as time passed, leaving the clock alone."""
        with self._lock:
            now = self._clock.now()
            runs = self._fire_between(self._fired_until, now, set_clock=False)
            self._fired_until = max(self._fired_until, now)
            return runs

    def start(self, interval: float = 1.0) -> None:
        self._background.start(interval)

    def stop(self) -> None:
        self._background.stop()

    def _fire_between(
        self, after: datetime, until: datetime, set_clock: bool, exhaustive: bool | frozenset[str] = False
    ) -> list[Run]:
        """Fire the runs in (after, until] in time order (the template's order at the same instant),
        each schedule's next run found afresh after every run: the hints read the store as the
        runs before left it. A run skipped lies before its schedule's hint, and after the last run
        fired, so it would have met the store as it is: it would have changed nothing."""
        runs = []
        last_at, last_index = after, len(self._schedules)  # the last run fired: (instant, schedule)
        while True:
            best: tuple[datetime, int] | None = None
            for index, schedule in enumerate(self._schedules):
                # a later schedule's run at the instant of the last one is still to fire
                bound = last_at - _JUST_BEFORE if index > last_index else last_at
                every_run = exhaustive is True or (not isinstance(exhaustive, bool) and schedule.name in exhaustive)
                at = self._next_run(schedule, bound, until, every_run)
                if at is not None and (best is None or at < best[0]):
                    best = (at, index)
            if best is None:
                return runs
            at, last_index = best
            last_at = at
            if set_clock:
                self._clock.set(at)
            runs.append(self._fire(self._schedules[last_index], at))

    def _next_run(self, schedule: Schedule, after: datetime, until: datetime, exhaustive: bool) -> datetime | None:
        """The schedule's first run in (after, until] that may have something to do."""
        first = next(occurrences(schedule, after, until), None)
        next_due = None if exhaustive or first is None else self._next_due.get(schedule.name)
        if next_due is None:
            return first
        try:
            due = next_due(after)
        except Exception:
            log.exception("schedule %s: its hint failed; the run fires", schedule.name)
            return first
        if due is None:
            return None
        if due <= first:
            return first
        return next(occurrences(schedule, due - _JUST_BEFORE, until), None)

    def _fire(self, schedule: Schedule, at: datetime) -> Run:
        """Invoke the target with what EventBridge Scheduler sends it: the schedule's Input as is."""
        event = json.loads(schedule.input_json) if schedule.input_json else {}
        log.info("schedule %s fires at %s", schedule.name, at.isoformat())
        try:
            self._functions.invoke(schedule.function, event)
            error = None
        except Exception as e:
            log.exception("schedule %s: %s failed", schedule.name, schedule.function)
            error = f"{type(e).__name__}: {e}"
        self._after_run()
        return Run(schedule.name, at, error)
