"""Per-environment read caches for the noon rush, one set per Lambda environment (process):

- availability: the answer of `GET /v1/offices/{id}/availability` per (hall, service, first day, last
  day), kept AVAILABILITY_SECONDS (1 s). Behind API Gateway's stage cache (template `Api`), which
  keeps a response 1 s too: an answer is at most ~2 s old, and every phone polls every 2 s anyway.
- full slots, a negative cache: a slot seen full (a read said no place left, or a booking transaction
  failed on the slot's condition) is refused for FULL_SLOT_SECONDS (1 s) without any DynamoDB request.
  A booking that takes a slot's last place marks it too (its own retry, same Idempotency-Key, in the
  same environment still finds the booking). It only ever refuses: the booking transaction's condition (`booked < capacity`) stays the one guard
  of R7, so a stale "free" can never overbook, and a stale "full" refuses a slot that has room again
  (a cancellation elsewhere) for at most 1 s. An availability read that began after the mark and
  shows room, or a cancellation made in this environment, drops the mark at once.
- full days: a hall-service-day where a slot was seen full in the last minute (FULL_DAY_SECONDS). An
  attempt there on a slot without a live mark first reads the whole day in one strongly consistent
  Query, at most once a second per environment (`claim_day_read`): the marks of every full slot of
  the day are renewed together, instead of one read per slot each time its mark runs out.

A booking or cancellation made in an environment drops that environment's cached availability of the
hall-service, and a catalog change (store.catalog.invalidate_cache) drops all of it: what a citizen
just did shows in the next read the same environment serves.

TTLs run on the injected clock (hallbook.clock), so tests move time instead of sleeping. cachetools'
TTLCache bounds the size; each entry also keeps the instant it was stored, so a clock set back (a test
reset) never makes an entry live longer. Thread-safe (one lock per cache set).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from cachetools import TTLCache

from ..clock import now

AVAILABILITY_SECONDS = 1.0
FULL_SLOT_SECONDS = 1.0
FULL_DAY_SECONDS = 60.0


def _timer() -> float:
    return now().timestamp()


class _Ttl:
    def __init__(self, seconds: float, maxsize: int):
        self.seconds = seconds
        self._entries: TTLCache = TTLCache(maxsize, seconds, timer=_timer)
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        at = _timer()
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, value = entry
        return value if 0 <= at - stored_at < self.seconds else None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._entries[key] = (_timer(), value)

    def drop(self, key: Any) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ReadCaches:
    """The caches of one Lambda environment."""

    def __init__(
        self, availability_seconds: float = AVAILABILITY_SECONDS, full_slot_seconds: float = FULL_SLOT_SECONDS
    ):
        self.availability = _Ttl(availability_seconds, 4096)
        self.full_slots = _Ttl(full_slot_seconds, 65536)
        self.booked_here = _Ttl(full_slot_seconds, 4096)  # bookings that took a slot's last place here
        # (hall, service, day) where a slot was seen full in the last minute -> when its slots were last read
        self.full_days = _Ttl(FULL_DAY_SECONDS, 4096)

    def clear(self) -> None:
        self.availability.clear()
        self.full_slots.clear()
        self.booked_here.clear()
        self.full_days.clear()


_process = ReadCaches()
_thread = threading.local()


def current() -> ReadCaches:
    """This environment's caches (a thread inside `environment(...)` uses the ones it was given)."""
    return getattr(_thread, "caches", None) or _process


@contextmanager
def environment(caches: ReadCaches) -> Iterator[ReadCaches]:
    """Run the block as if in another Lambda environment, with `caches` (benchmark and tests: many
    environments in one process). Per thread."""
    before = getattr(_thread, "caches", None)
    _thread.caches = caches
    try:
        yield caches
    finally:
        _thread.caches = before


def clear() -> None:
    """Forget everything this process cached (local mode's reset)."""
    _process.clear()


_tickets = itertools.count(1)


def read_ticket() -> int:
    """Taken before a read whose answer may drop a "full" mark: a mark made after the read began (by a
    request that saw the slot fill meanwhile) is newer than what the read saw and stays."""
    return next(_tickets)


def _slot_key(office_id: str, service_code: str, day: date, start: str) -> tuple:
    return office_id, service_code, day.isoformat(), start


def seen_full(office_id: str, service_code: str, day: date, start: str) -> bool:
    return current().full_slots.get(_slot_key(office_id, service_code, day, start)) is not None


def mark_full(office_id: str, service_code: str, day: date, start: str) -> None:
    caches = current()
    caches.full_slots.put(_slot_key(office_id, service_code, day, start), next(_tickets))
    day_key = (office_id, service_code, day.isoformat())
    with caches.full_days._lock:
        entry = caches.full_days._entries.get(day_key)
        caches.full_days._entries[day_key] = (_timer(), entry[1] if entry else None)


def claim_day_read(office_id: str, service_code: str, day: date) -> bool:
    """True when a slot of that hall-service-day was seen full in this environment in the last
    minute and the day's slots were not read here for a second (then it is taken: one caller a
    second). The caller reads the whole day in one Query (services.catalog.learn_full_slots), which
    renews every "full" mark of the day at once, instead of one read per slot whose mark ran out."""
    caches = current()
    day_key = (office_id, service_code, day.isoformat())
    at = _timer()
    with caches.full_days._lock:
        entry = caches.full_days._entries.get(day_key)
        if entry is None or not 0 <= at - entry[0] < FULL_DAY_SECONDS:
            return False
        if entry[1] is not None and 0 <= at - entry[1] < caches.full_slots.seconds:
            return False
        caches.full_days._entries[day_key] = (entry[0], at)
        return True


def mark_free(office_id: str, service_code: str, day: date, start: str, ticket: int | None = None) -> None:
    """Drop the "full" mark (a cancellation here: always; a read that showed room: if the mark is
    older than the read's `ticket`)."""
    key = _slot_key(office_id, service_code, day, start)
    cache = current().full_slots
    if ticket is None:
        cache.drop(key)
        return
    with cache._lock:
        entry = cache._entries.get(key)
        if entry is not None and entry[1] < ticket:
            cache._entries.pop(key, None)


def forget_availability(office_id: str, service_code: str) -> None:
    """A booking or cancellation in this environment: its own next read of that hall-service is
    fresh (read-your-writes within an environment; other environments and the stage cache: <= 1 s)."""
    cache = current().availability
    with cache._lock:
        for key in [k for k in cache._entries if k[:2] == (office_id, service_code)]:
            cache._entries.pop(key, None)


def remember_booking(booking_id: str) -> None:
    """A booking made here took its slot's last place (and marked it full): a retry of that booking
    (same Idempotency-Key) in this environment is not refused by the mark."""
    current().booked_here.put(booking_id, True)


def booked_here(booking_id: str) -> bool:
    return current().booked_here.get(booking_id) is not None


def cached_availability(key: tuple) -> Any:
    return current().availability.get(key)


def keep_availability(key: tuple, body: Any) -> None:
    current().availability.put(key, body)
