"""A function called every few seconds in a daemon thread, for local mode's pump and scheduler."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Calls `work` every `interval` seconds until stop(); an exception is logged, never fatal (the
    embedded AWS may be reset or stopped under it)."""

    def __init__(self, name: str, work: Callable[[], object]):
        self._name = name
        self._work = work
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self, interval: float) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval,), name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self._work()
            except Exception:
                log.exception("%s failed", self._name)
