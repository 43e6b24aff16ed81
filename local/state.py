"""Switches that local mode's /local/* routes flip, for code that runs in the same process."""

from __future__ import annotations

import threading


class Flag:
    """A thread-safe boolean: `if SMS_PROVIDER_FAILING:` reads it, `.set(True)` changes it."""

    def __init__(self, value: bool = False):
        self._lock = threading.Lock()
        self._value = value

    def set(self, value: bool) -> None:
        with self._lock:
            self._value = bool(value)

    def __bool__(self) -> bool:
        with self._lock:
            return self._value

    def __repr__(self) -> str:
        return f"Flag({bool(self)})"


# POST /local/sms-provider {"failing": true}: the SMS provider is down (to try retries and the DLQ)
SMS_PROVIDER_FAILING = Flag()
