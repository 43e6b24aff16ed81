"""R12 and R16 rules without I/O: the suspension a no-show starts, and which bookings carry their own reminder."""

from datetime import date, datetime

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.reminders import booking_carries_reminder, reminder_run
from hallbook.domain.sanctions import start_of, suspension_after_no_show

pytestmark = [pytest.mark.R12, pytest.mark.R16]


def test_the_third_no_show_within_six_months_suspends_six_months_from_it():
    s = suspension_after_no_show([date(2026, 4, 1), date(2026, 9, 15)], date(2026, 9, 17))
    assert s is not None and s.until == start_of(date(2027, 3, 17)) and s.reason == "no_shows"


def test_fewer_or_older_no_shows_suspend_nothing():
    assert suspension_after_no_show([date(2026, 9, 15)], date(2026, 9, 17)) is None
    assert suspension_after_no_show([date(2026, 3, 16), date(2026, 9, 15)], date(2026, 9, 17)) is None


def test_a_later_no_show_while_suspended_extends_and_an_earlier_one_changes_nothing():
    three = [date(2026, 9, 14), date(2026, 9, 15), date(2026, 9, 16)]
    extended = suspension_after_no_show(three, date(2026, 9, 30))
    assert extended is not None and extended.until == start_of(date(2027, 3, 30))
    assert suspension_after_no_show(three, date(2026, 9, 10)) is None


def test_bookings_made_from_five_minutes_before_the_run_carry_their_own_reminder():
    day = date(2026, 9, 15)
    assert reminder_run(day) == datetime(2026, 9, 14, 16, 0, tzinfo=SHANGHAI)
    assert not booking_carries_reminder(day, datetime(2026, 9, 14, 15, 54, 59, tzinfo=SHANGHAI))
    assert booking_carries_reminder(day, datetime(2026, 9, 14, 15, 55, tzinfo=SHANGHAI))
    assert booking_carries_reminder(day, datetime(2026, 9, 14, 23, 59, tzinfo=SHANGHAI))
    assert not booking_carries_reminder(date(2026, 9, 16), datetime(2026, 9, 14, 23, 59, tzinfo=SHANGHAI))
