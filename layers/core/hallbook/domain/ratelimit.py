"""Rate limits (per account, address or phone) as arithmetic: no I/O, no wall clock. Instants are epoch seconds
from the injected clock (hallbook.clock.now), so tests move time and the waits are exact.

Every limit is computed here; only its counters live elsewhere. Three kinds, for three costs:
- `Buckets`: this process's memory (one Lambda environment), a GCRA token bucket per key: `count`
  requests at once, then one every `seconds / count`. Costs nothing but a dict entry, so it can
  sit in front of the noon rush's booking attempts and availability polls.
- `Period`: fixed periods of `seconds` (a key's count in one is kept elsewhere: store.ratelimits,
  one conditional write per request), for the routes where a limit must hold across every
  environment - registration and SMS codes.
- `LocalDay`: the same, for a limit that tells the person it refuses "today": the calendar day in
  Asia/Shanghai, midnight to midnight (an operator's re-sends of one booking's SMS).
- `DailyQuota`: the codes sent to one phone a day, counted on the code's own item (its day's start
  and sends), so that a send and its count are one write.
- `Backoff` and `Budget`: a login's schedule per account and client address, and its failure budget
  (GCRA, as `Buckets`, over one stored number), kept with the account (store.login_throttle) so that
  one read gives a login its account and its counters, and a password reset clears them in its own
  write.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar

from ..clock import SHANGHAI

EPSILON = 1e-6  # float slack in whole seconds
DAY_SECONDS = 24 * 3600
Instant = TypeVar("Instant", int, float)  # epoch seconds, whole or not


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "10/10" is 10 requests per 10 seconds."""
        count, _, seconds = str(text).partition("/")
        rate = cls(int(count), float(seconds))
        if rate.count < 1 or rate.seconds <= 0:
            raise ValueError(f"a rate is <requests>/<seconds>, both positive: {text!r}")
        return rate

    @property
    def interval(self) -> float:
        return self.seconds / self.count

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds:g} s"


MICROS = 1_000_000


class Buckets:
    """GCRA ("virtual scheduling"): each key keeps one number, the theoretical arrival time `tat`
    of its next request. A request at `at` is allowed while tat + interval - at <= seconds; the
    wait of a refused one is exactly the time until that holds. Refused requests charge nothing,
    so a caller hammering a closed bucket does not push its own reopening further away. Times are
    whole microseconds (epoch seconds as floats lose a tenth of a microsecond per step)."""

    def __init__(self, max_keys: int = 50_000):
        self._tat: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self.max_keys = max_keys  # least recently used keys go first (an evicted key starts full)

    def take(self, checks: list[tuple[str, Rate]], at: float) -> tuple[float, str | None]:
        """Charge one request to every key in `checks` when all allow it: (0, None). Otherwise charge
        none: (the seconds until every one of them would allow it, the key that waits longest)."""
        now = round(at * MICROS)
        with self._lock:
            wait, slowest, after = 0, None, []
            for key, rate in checks:
                tat = max(self._tat.get(key, now), now) + round(rate.interval * MICROS)
                over = tat - now - round(rate.seconds * MICROS)
                if over > wait:
                    wait, slowest = over, key
                after.append((key, tat))
            if slowest is not None:
                return wait / MICROS, slowest
            for key, tat in after:
                self._tat[key] = tat
                self._tat.move_to_end(key)
            while len(self._tat) > self.max_keys:
                self._tat.popitem(last=False)
            return 0.0, None

    def clear(self) -> None:
        with self._lock:
            self._tat.clear()


@dataclass(frozen=True)
class Period:
    """The fixed period of `rate.seconds` that holds `at`: periods start at multiples of their length
    from the epoch (an hour's on the hour, a day's at 08:00 Asia/Shanghai)."""

    rate: Rate
    at: float

    @property
    def index(self) -> int:
        return math.floor(self.at / self.rate.seconds)

    @property
    def ends_at(self) -> float:
        return (self.index + 1) * self.rate.seconds

    @property
    def wait(self) -> float:
        """Seconds until the next period opens, when this one's count is spent."""
        return self.ends_at - self.at


@dataclass(frozen=True)
class LocalDay:
    """The calendar day in Asia/Shanghai that holds `at`, as a counting period: its index is the date's
    ordinal (the counters' keys), it ends at the next midnight."""

    at: datetime

    @property
    def index(self) -> int:
        return self.at.astimezone(SHANGHAI).date().toordinal()

    @property
    def ends_at(self) -> float:
        midnight = datetime.combine(self.at.astimezone(SHANGHAI).date() + timedelta(days=1), time(), SHANGHAI)
        return midnight.timestamp()

    @property
    def wait(self) -> float:
        """Seconds until the next day opens."""
        return self.ends_at - self.at.timestamp()


@dataclass(frozen=True)
class Backoff:
    """The back-off schedule of one account and client address (epoch seconds): the first `free`
    attempts need no wait; each further one waits delays[k] after the one before (the last delay
    repeats); `quiet` seconds without an attempt forget them."""

    free: int
    delays: tuple[int, ...]
    quiet: int

    def wait(self, failures: int, last_attempt_at: int, at: int) -> int:
        """Seconds still to wait at `at` after `failures` attempts, the last at `last_attempt_at`."""
        if failures < self.free or at - last_attempt_at >= self.quiet:
            return 0
        return max(0, last_attempt_at + self.delays[min(failures - self.free, len(self.delays) - 1)] - at)


@dataclass(frozen=True)
class Budget:
    """GCRA over a stored number, in whole seconds: `burst` units, refilled one every `interval`. The
    store keeps the theoretical arrival time `tat` (a full budget has none, or one in the past); each
    unit taken pushes it `interval` on, and one more unit fits while tat + interval - at <= burst *
    interval, the test `Buckets` make in memory."""

    burst: int
    interval: int

    def last_tat(self, at: int) -> int:
        """The latest tat at `at` that still leaves a unit to take."""
        return at + (self.burst - 1) * self.interval

    def spent(self, tat: int, at: int) -> bool:
        return tat > self.last_tat(at)


@dataclass(frozen=True)
class DailyQuota:
    """At most `count` sends (of one kind of code, to one phone) in a day that starts with its first
    send: the store keeps the day's start and its sends with the code (epoch seconds)."""

    count: int

    def day(self, started: Instant, sends: int, at: Instant) -> tuple[Instant, int]:
        """The day's start and sends at `at`: a new day, with no sends, once DAY_SECONDS passed."""
        return (at, 0) if at - started >= DAY_SECONDS else (started, sends)

    def spent(self, sends: int) -> bool:
        return sends >= self.count

    def wait(self, started: Instant, at: Instant) -> Instant:
        """Seconds until the day that started at `started` is over."""
        return started + DAY_SECONDS - at


def retry_after(wait: float) -> int:
    """The Retry-After header's whole seconds: never earlier than the real wait, at least 1."""
    return max(1, math.ceil(wait - EPSILON))
