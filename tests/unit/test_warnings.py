"""R21: the warning one step before a suspension (no AWS). The suspension functions of R11/R12 are the
oracle: on the warning's last day one more does suspend, the day after it does not."""

from datetime import date, datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.sanctions import (
    CANCELS_PER_MONTH,
    NO_SHOWS_LIMIT,
    SubjectRecord,
    suspension_after_cancellation,
    suspension_after_no_show,
    warning_after_cancellation,
    warning_after_no_show,
)

pytestmark = pytest.mark.R21


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_the_second_cancellation_of_a_month_warns_until_the_month_ends():
    now = at("2026-11-24T10:00")
    assert warning_after_cancellation(0, now) is None
    warning = warning_after_cancellation(1, now)
    assert warning.reason == "cancellations" and warning.count == 2 and warning.left == 1
    assert warning.last_day == date(2026, 11, 30)
    # the oracle: one more cancellation that month suspends until exactly then
    assert suspension_after_cancellation(2, now).until == warning.suspends_until
    assert warning.suspends_until.isoformat() == "2026-12-01T00:00:00+08:00"
    assert warning_after_cancellation(2, now) is None  # the third suspends instead


@pytest.mark.parametrize("first", [date(2026, 9, 15), date(2026, 8, 31), date(2026, 2, 28), date(2027, 12, 31)])
def test_the_second_no_show_warns_while_the_first_still_counts(first):
    second = first + timedelta(days=20)
    assert warning_after_no_show([], first) is None
    warning = warning_after_no_show([first], second)
    assert warning.reason == "no_shows" and warning.count == 2 and warning.suspends_until is None
    # the oracle (R12's own rule): a third no-show on the last day suspends, the day after does not
    assert suspension_after_no_show([first, second], warning.last_day) is not None
    assert suspension_after_no_show([first, second], warning.last_day + timedelta(days=1)) is None


def test_no_shows_more_than_six_months_apart_do_not_warn_and_the_third_suspends_instead():
    assert warning_after_no_show([date(2026, 1, 5)], date(2026, 7, 6)) is None
    assert warning_after_no_show([date(2026, 3, 1), date(2026, 4, 1)], date(2026, 5, 1)) is None


def test_the_record_shows_the_same_warnings_while_they_hold():
    now = at("2026-09-20T10:00")
    record = SubjectRecord(cancellations={"2026-09": 2}, no_shows=[date(2026, 6, 1), date(2026, 9, 1)])
    warnings = {w.reason: w for w in record.warnings(now)}
    assert warnings["cancellations"] == warning_after_cancellation(1, now)
    assert warnings["no_shows"] == warning_after_no_show([date(2026, 6, 1)], date(2026, 9, 1))
    assert record.warnings(at("2026-10-01T00:00")) == [warnings["no_shows"]]  # a new month
    assert record.warnings(at("2026-12-02T00:00")) == []  # 2026-06-01 no longer counts
    # two no-shows within the six months, but the three of January to June suspend until December
    later = at("2026-11-01T10:00")
    suspended = SubjectRecord(
        cancellations={"2026-11": CANCELS_PER_MONTH}, no_shows=[date(2026, 1, 1), date(2026, 6, 1), date(2026, 6, 2)]
    )
    assert len(suspended.no_shows_within(later.date())) == 2 and suspended.no_show_suspension().until > later
    assert suspended.warnings(later) == []  # suspended, not warned
    assert NO_SHOWS_LIMIT == 3  # R12's number, which the messages say
