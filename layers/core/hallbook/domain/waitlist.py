"""R18 (the waitlist, 候补) and R19 (cancelled places return after a random delay), as plain rules.

A place of a slot is in one of four states: free (bookable), a booking, *held* for a waitlist entry
(an offer), or *delayed* (freed by a cancellation, waiting for its return to the public pool). Held
and delayed places are places taken: they stay counted in the slot's `booked`, so the one condition
that takes a place, `booked < capacity`, is unchanged (R7); the slot's `held` says how many of its
`booked` are such places rather than bookings.

Every time here is an instant; the cut-off is R10's (18:00 the day before): no offer is held past
it, waiting entries end at it, and a delayed place whose return would fall after it returns at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from ..clock import SHANGHAI
from .booking import cancel_deadline

MIN_OFFER = timedelta(minutes=5)  # an offer shorter than this is no use to anybody: the place goes to the pool
# Offers are made from 08:00 to 21:30 only (the timers run every minute, all day): a place freed at
# night returns in the morning (return_at), so nobody is offered a place that lapses while they sleep.
OFFER_HOURS = (time(8, 0), time(21, 30))


class EntryStatus(str, Enum):
    WAITING = "waiting"
    OFFERED = "offered"  # a place is held for the entry until its deadline
    ACCEPTED = "accepted"  # the offer became a booking (booking_id)
    LEFT = "left"  # the citizen left the waitlist
    DECLINED = "declined"  # the citizen left while holding an offer: the place passed on
    TIMED_OUT = "timed_out"  # the offer's deadline passed: the place passed on, the entry ended
    ENDED = "ended"  # the cut-off came (or the hall closed the day) with no place for the entry


ACTIVE = {EntryStatus.WAITING, EntryStatus.OFFERED}  # holds the subject's R9 lock on the service


class PlaceState(str, Enum):
    DELAYED = "delayed"  # waiting for its return (R19) or for the first waiting entry
    OFFERED = "offered"  # held for one entry (R18)


class Origin(str, Enum):
    CANCELLATION = "cancellation"  # a citizen's or operator's: delayed whenever it would go to the pool
    FREED = "freed"  # a capacity raise or a reopened slot: never delayed


@dataclass(frozen=True)
class DelayRange:
    """R19: the return delay, uniform in [low, high] minutes (whole seconds)."""

    low_minutes: int
    high_minutes: int

    def __post_init__(self) -> None:
        if not 0 <= self.low_minutes <= self.high_minutes:
            raise ValueError(f"the release delay range {self.low_minutes}-{self.high_minutes} minutes is not a range")

    def draw(self) -> timedelta:
        """One delay from the operating system's randomness (not guessable from earlier draws)."""
        low, high = self.low_minutes * 60, self.high_minutes * 60
        return timedelta(seconds=low + secrets.randbelow(high - low + 1))


def cut_off(day: date) -> datetime:
    return cancel_deadline(day)


def return_at(day: date, now: datetime, delay: timedelta, origin: Origin) -> datetime:
    """When a place comes back (R19): to the first waiting entry that wants it, else to the pool. After
    `delay` for a cancelled place, at once for a freed one, and at once when the delay would reach past
    the cut-off. A return that would fall outside OFFER_HOURS (nobody is offered a place at night) is
    drawn in the next morning instead, `delay` after OFFER_HOURS begin: the night's places come back
    at instants spread like the day's, never all at 08:00."""
    if origin is not Origin.CANCELLATION:
        return now
    at = (now + delay).replace(microsecond=0)
    if not offer_hours(at):
        at = (next_offer_hours(at) + delay).replace(microsecond=0)
    return now if at >= cut_off(day) else at


def next_offer_hours(at: datetime) -> datetime:
    """When OFFER_HOURS next begin after `at` (today's 08:00 before it, else tomorrow's)."""
    local = at.astimezone(SHANGHAI)
    day = local.date() if local.time() < OFFER_HOURS[0] else local.date() + timedelta(days=1)
    return datetime.combine(day, OFFER_HOURS[0], SHANGHAI)


def offer_hours(now: datetime) -> bool:
    return OFFER_HOURS[0] <= now.astimezone(SHANGHAI).time() < OFFER_HOURS[1]


def offer_deadline(day: date, now: datetime, hold: timedelta) -> datetime | None:
    """Until when a place offered now is held: `hold`, never past the cut-off; None when what is left
    before the cut-off is too short to be of use (then nothing is offered), or outside OFFER_HOURS."""
    if not offer_hours(now):
        return None
    ends = min(now + hold, cut_off(day)).replace(microsecond=0)
    return ends if ends - now >= MIN_OFFER else None


def entry_wants(entry_start: str | None, slot_start: str) -> bool:
    """A day's entry takes any slot of the day; a slot's entry only that slot."""
    return entry_start is None or entry_start == slot_start
