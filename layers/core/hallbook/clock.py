"""The one source of time. Domain code receives instants from here; nothing else reads the wall clock.

Deployed, the clock is the system clock. Local mode and tests install an adjustable clock with
`set_clock`, so cut-offs, the noon release and no-shows can be tried by moving time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def now(self) -> datetime:
        """An aware instant in Asia/Shanghai."""
        return datetime.now(UTC).astimezone(SHANGHAI)


class AdjustableClock(Clock):
    """Real time shifted by an offset (local mode), or frozen at an instant (tests)."""

    def __init__(self, now: datetime | None = None, frozen: bool = False):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        self.frozen = frozen
        if now is not None:
            self.set(now)

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock takes instants with an offset")
        with self._lock:
            if self.frozen:
                self._frozen_at = now.astimezone(SHANGHAI)
            else:
                self._offset = now - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def now(self) -> datetime:
        with self._lock:
            if self.frozen and self._frozen_at is not None:
                return self._frozen_at
            return (datetime.now(UTC) + self._offset).astimezone(SHANGHAI)


_clock: Clock = Clock()


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


def now() -> datetime:
    return _clock.now()
