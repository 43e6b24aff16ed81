"""R6: the rolling booking window and the noon release, in Asia/Shanghai local time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

RELEASE_TIME = time(12, 0)
DEFAULT_WINDOW_DAYS = 14  # a region's window when the catalog names none


def last_bookable_day(now: datetime, booking_window_days: int) -> date:
    """The noon release opens the day `booking_window_days` ahead; before noon the last day is one earlier."""
    today = now.date()
    if now.timetz().replace(tzinfo=None) >= RELEASE_TIME:
        return today + timedelta(days=booking_window_days)
    return today + timedelta(days=booking_window_days - 1)


def bookable_range(now: datetime, booking_window_days: int) -> tuple[date, date]:
    """First and last day a citizen may book now: tomorrow up to the last released day."""
    return now.date() + timedelta(days=1), last_bookable_day(now, booking_window_days)


def in_booking_window(day: date, now: datetime, booking_window_days: int) -> bool:
    first, last = bookable_range(now, booking_window_days)
    return first <= day <= last


def days_to_stage(now: datetime, booking_window_days: int) -> list[date]:
    """Days whose slots must exist in the table at `now`: every bookable day, plus the day the next
    noon release opens. Slots are written a day ahead of their release and the window (the clock)
    opens them at 12:00:00 sharp, so the rush never waits for the release job."""
    first, last = bookable_range(now, booking_window_days)
    return [first + timedelta(days=i) for i in range((last - first).days + 2)]
