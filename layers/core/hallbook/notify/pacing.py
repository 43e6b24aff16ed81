"""SMS paced to the provider: the provider takes a fixed number of messages a second per
account (SNS: the account's SMS messages-per-second quota). The template's `SmsRatePerSecond` is that
rate; SmsQueue is drained by at most `SMS_SENDERS` notifier environments at once (the event source's
MaximumConcurrency), so each environment sends at most rate / senders in any one second. What waits
stays in SmsQueue (the burst at noon is absorbed there; its ApproximateAgeOfOldestMessage has an
alarm), and nothing is dropped: a message is only ever delayed.

A sliding window, not a token bucket: at most `per_second` sends in ANY window of one second, which
a bucket with a burst allowance cannot promise. Time and sleep are injectable (tests move a fake
clock; they never sleep)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from ..config import settings


class Pacer:
    def __init__(
        self, per_second: int, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        self.per_second = max(1, int(per_second))
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque(maxlen=self.per_second)
        self._lock = threading.Lock()

    def wait_turn(self) -> float:
        """Block until one more send keeps every one-second window at `per_second`; the time waited."""
        with self._lock:
            waited = 0.0
            if len(self._sent) == self.per_second:
                gap = 1.0 - (self._clock() - self._sent[0])
                if gap > 0:
                    self._sleep(gap)
                    waited = gap
            self._sent.append(self._clock())
            return waited


def rate_per_environment() -> int:
    """SMS_RATE_PER_SECOND (the account's rate) shared by SMS_SENDERS environments, at least 1."""
    configured = settings()
    return max(1, math.floor(configured.sms_rate_per_second / configured.sms_senders))


_pacer: Pacer | None = None


def get_pacer() -> Pacer:
    """This environment's pacer (made again if the configured rate changed)."""
    global _pacer
    wanted = rate_per_environment()
    if _pacer is None or _pacer.per_second != wanted:
        _pacer = Pacer(wanted)
    return _pacer


def set_pacer(pacer: Pacer | None) -> None:
    """Tests: a pacer on a fake clock (None: back to the configured one)."""
    global _pacer
    _pacer = pacer
