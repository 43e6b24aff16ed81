"""R10-R12: cancellation cut-off and suspensions (no AWS)."""

from datetime import date, datetime

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.booking import can_cancel, check_in_window
from hallbook.domain.sanctions import SubjectRecord, add_months, suspension_after_cancellation

pytestmark = [pytest.mark.R10, pytest.mark.R11, pytest.mark.R12]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_cancel_until_18_on_the_day_before():
    day = date(2026, 12, 3)
    assert can_cancel(day, at("2026-12-02T17:59:59"))
    assert not can_cancel(day, at("2026-12-02T18:00:00"))
    assert not can_cancel(day, at("2026-12-03T08:00"))


def test_third_cancellation_suspends_until_month_ends():
    now = at("2026-11-24T10:00")
    assert suspension_after_cancellation(1, now) is None
    s = suspension_after_cancellation(2, now)
    assert s and s.until.isoformat() == "2026-12-01T00:00:00+08:00"
    record = SubjectRecord(cancellations={"2026-11": 3})
    assert record.suspension(now).until == s.until
    assert record.suspension(at("2026-12-01T00:00")) is None


def test_three_no_shows_in_six_months_suspend_six_months_from_the_last():
    record = SubjectRecord(no_shows=[date(2026, 3, 1), date(2026, 6, 1), date(2026, 8, 20)])
    s = record.suspension(at("2026-09-01T09:00"))
    assert s.reason == "no_shows" and s.until.isoformat() == "2027-02-20T00:00:00+08:00"
    assert record.suspension(at("2027-02-20T00:00")) is None


def test_no_shows_spread_over_more_than_six_months_do_not_suspend():
    record = SubjectRecord(no_shows=[date(2026, 1, 1), date(2026, 5, 1), date(2026, 7, 2)])
    assert record.suspension(at("2026-07-03T09:00")) is None


def test_add_months_clamps_month_end():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_check_in_window_opens_30_minutes_before():
    start, end = at("2026-12-03T09:00"), at("2026-12-03T09:30")
    opens, closes = check_in_window(start, end)
    assert opens == at("2026-12-03T08:30") and closes == end


def test_a_days_bookings_spread_over_the_sweep_index_shards():
    """At noon the whole city books the same day: its index entries must not share one partition."""
    import uuid

    from hallbook.store.bookings import SWEEP_SHARDS, sweep_key

    keys = {sweep_key(date(2026, 12, 8), uuid.uuid4().hex) for _ in range(200)}
    assert len(keys) == SWEEP_SHARDS and all(k.startswith("2026-12-08#") for k in keys)
