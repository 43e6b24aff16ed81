"""R8-R10, R13: a booking's life and the rules on its times."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum

from ..clock import SHANGHAI

CANCEL_CUTOFF = time(18, 0)  # R10: until 18:00 on the day before
CHECK_IN_OPENS_BEFORE = timedelta(minutes=30)  # R14


class Status(str, Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    # issue 14: checked in but never completed by the end of the day (the evening job closed it)
    CLOSED_AT_DAY_END = "closed_at_day_end"


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
