"""A limit that tells the person it refuses "today" counts the calendar day in Beijing time, midnight
to midnight (an operator's re-sends of one booking's SMS), whatever offset the instant is written in.
Expected values written by hand from the calendar, not from the code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hallbook.domain.ratelimit import LocalDay


def test_the_day_runs_from_beijing_midnight_to_the_next():
    evening = LocalDay(datetime(2031, 3, 1, 23, 59, 30, tzinfo=timezone(timedelta(hours=8))))
    assert evening.index == date(2031, 3, 1).toordinal()
    assert evening.wait == 30
    assert evening.ends_at == datetime(2031, 2, 28, 16, 0, tzinfo=UTC).timestamp() + 24 * 3600  # 00:00 on 3-2 +08
    # the same instant's neighbours in UTC: 16:00Z is Beijing's midnight
    assert LocalDay(datetime(2031, 3, 1, 15, 59, 59, tzinfo=UTC)).index == date(2031, 3, 1).toordinal()
    after = LocalDay(datetime(2031, 3, 1, 16, 0, tzinfo=UTC))
    assert after.index == date(2031, 3, 2).toordinal() and after.wait == 24 * 3600
