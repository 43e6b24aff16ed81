"""R22's patterns on their own (no AWS): what each counts, its threshold (domain.sanctions) and its
30-day period."""

from datetime import UTC, datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.flags import BOOK_CANCEL_LOOP, PATTERNS, SUBJECT_MANY_ACCOUNTS, in_noon_minute
from hallbook.domain.sanctions import FLAG_ACCOUNTS_PER_SUBJECT, FLAG_BOOK_CANCEL_CYCLES, FLAG_PERIOD_DAYS

pytestmark = pytest.mark.R22
NOW = datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI)


def events(*days_ago: float, distinct=None) -> list[dict]:
    return [
        {"at": (NOW - timedelta(days=d)).isoformat(), **({"distinct": distinct[i]} if distinct else {})}
        for i, d in enumerate(days_ago)
    ]


def test_every_event_counts_for_a_loop_within_the_period_only():
    assert BOOK_CANCEL_LOOP.met(events(1, 2), NOW) is None
    assert len(BOOK_CANCEL_LOOP.met(events(1, 2, 29), NOW)) == FLAG_BOOK_CANCEL_CYCLES
    assert BOOK_CANCEL_LOOP.met(events(1, 2, FLAG_PERIOD_DAYS), NOW) is None  # 30 days ago no longer counts


def test_distinct_patterns_count_different_things_not_repeats():
    same = events(1, 2, 3, 4, distinct=["a", "a", "b", "b"])
    assert SUBJECT_MANY_ACCOUNTS.met(same, NOW) is None
    three = events(1, 2, 3, distinct=["a", "b", "c"])
    assert SUBJECT_MANY_ACCOUNTS.value(SUBJECT_MANY_ACCOUNTS.met(three, NOW)) == FLAG_ACCOUNTS_PER_SUBJECT


def test_the_noon_minute_is_office_time_and_every_pattern_has_words():
    assert in_noon_minute(NOW) and in_noon_minute(NOW + timedelta(seconds=59))
    assert not in_noon_minute(NOW + timedelta(minutes=1)) and not in_noon_minute(NOW - timedelta(seconds=1))
    assert in_noon_minute(datetime(2026, 9, 14, 4, 0, 30, tzinfo=UTC))  # 12:00:30 in Shanghai
    assert not in_noon_minute(datetime(2026, 9, 14, 12, 0, 30, tzinfo=UTC))
    assert all(str(p.threshold) in p.what or p.name == "noon_burst" for p in PATTERNS.values())
