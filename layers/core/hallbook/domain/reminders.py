"""R16: the day-before reminder.

The reminder job runs once a day at REMINDER_TIME (16:00 Asia/Shanghai; template.yaml's
DayBeforeReminders schedule says the same) for the next day's bookings. 16:00 leaves the citizen two
hours before the 18:00 cancellation cut-off (R10): someone reminded who cannot come can still cancel
and free the place for another citizen instead of becoming a no-show (R12); it is also working hours,
not an evening SMS.

Tomorrow stays bookable all day (R6), so a booking can be made after that day's run: a booking made
from REMINDER_TIME - OVERLAP on the day before carries its own reminder, written in the booking's
transaction and sent with the booking SMS. The overlap covers the run's start jitter and index lag;
the message id `<booking_id>#reminder` is written only if absent, so nobody gets two.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..clock import SHANGHAI

REMINDER_TIME = time(16, 0)
OVERLAP = timedelta(minutes=5)


def reminder_run(day: date) -> datetime:
    """The reminder run that covers bookings on `day`: REMINDER_TIME the day before."""
    return datetime.combine(day - timedelta(days=1), REMINDER_TIME, SHANGHAI)


def booking_carries_reminder(day: date, now: datetime) -> bool:
    """Whether a booking for `day` made at `now` must carry its own reminder (the run may have missed it)."""
    return now >= reminder_run(day) - OVERLAP
