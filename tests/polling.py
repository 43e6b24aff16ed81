"""Waiting for something that takes real time (a retry's backoff, a visibility timeout): poll it,
with a deadline, instead of sleeping for a guessed length of time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    condition: Callable[[], T],
    *,
    step: Callable[[], object] | None = None,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "",
) -> T:
    """Run `step` (e.g. pump.drain) then `condition` until the condition is true; its value. Fails
    with AssertionError, naming `what` (else the condition), when it is still false after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"still false after {timeout:g} s: {what or getattr(condition, '__name__', condition)}"
            )
        time.sleep(interval)
