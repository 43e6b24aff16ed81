"""R8-R10, R13: a booking's life and the rules on its times."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from enum import Enum

from ..clock import SHANGHAI
from .errors import ValidationFailed

CANCEL_CUTOFF = time(18, 0)  # R10: until 18:00 on the day before
CANCEL_CUTOFF_TEXT = CANCEL_CUTOFF.strftime("%H:%M")  # the texts that name the cut-off are formatted with it
CHECK_IN_OPENS_BEFORE = timedelta(minutes=30)  # R14


class Status(str, Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    # Checked in but never completed by the end of the day (the evening job closed it)
    CLOSED_AT_DAY_END = "closed_at_day_end"


# Every status change a booking may make, and nothing else: a booking is created `booked`, and a
# status that is no source here is final.
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.BOOKED: frozenset({Status.CANCELLED, Status.CHECKED_IN, Status.NO_SHOW}),
    # R15a: checked in, then skipped twice at the counter (过号): a no-show, counted for R12 only then
    Status.CHECKED_IN: frozenset({Status.COMPLETED, Status.CLOSED_AT_DAY_END, Status.NO_SHOW}),
}


class TransitionNotAllowed(ValueError):
    """A booking status change that ALLOWED does not list."""


def allowed(source: Status | str, target: Status | str) -> bool:
    return Status(target) in ALLOWED.get(Status(source), frozenset())


def sources_of(target: Status | str) -> frozenset[Status]:
    """The statuses a booking may become `target` from; TransitionNotAllowed when there is none."""
    found = frozenset(source for source, targets in ALLOWED.items() if Status(target) in targets)
    if not found:
        raise TransitionNotAllowed(f"no booking becomes {Status(target).value}")
    return found


def check_transition(source: Status | str, target: Status | str) -> None:
    if not allowed(source, target):
        raise TransitionNotAllowed(f"a {Status(source).value} booking cannot become {Status(target).value}")


def cancel_deadline(day: date) -> datetime:
    return datetime.combine(day - timedelta(days=1), CANCEL_CUTOFF, SHANGHAI)


def can_cancel(day: date, now: datetime) -> bool:
    return now < cancel_deadline(day)


def check_in_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    return starts_at - CHECK_IN_OPENS_BEFORE, ends_at


def check_in_open(now: datetime, starts_at: datetime, ends_at: datetime) -> bool:
    """R14: from 30 minutes before the slot starts until its end, both included (a check-in at the
    very minute the slot ends is still in time; a minute later it is a no-show)."""
    opens, closes = check_in_window(starts_at, ends_at)
    return opens <= now <= closes


def booking_id_for(account_id: str, idempotency_key: str | None) -> str:
    """Derived from the caller and their Idempotency-Key, so a retried request finds its first
    booking (and can never take a second place); random without a key."""
    if not idempotency_key:
        return uuid.uuid4().hex
    if len(idempotency_key) > 128:
        raise ValidationFailed("Idempotency-Key is at most 128 characters", field="Idempotency-Key")
    return hashlib.sha256(f"{account_id}\n{idempotency_key}".encode()).hexdigest()[:32]
