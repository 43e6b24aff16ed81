"""R5 (issue 26): the provisional calendar's days in lieu (Article 6 of 全国年节及纪念日放假办法: a
holiday on a Saturday or Sunday is made up on the next working day), and the second bundled source.

Oracles from outside the code:
- issue 26's table of the weekdays the provisional calendar released though the `holidays` package
  (0.108) estimates them as days off, written here as literals;
- the `holidays` package itself (its estimate for 2027-2030; its official schedules, taken from the
  State Council's notices, for every year chinesecalendar also knows);
- the State Council's notices of 2025 and 2026 follow the rule: 2025's 除夕 on Tuesday 28 January... and
  2026's Qingming on Sunday 5 April was made up on Monday 6 April (国办发明电〔2025〕7号).
"""

from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest

from hallbook.domain.calendar import (
    Source,
    WorkCalendar,
    YearEntries,
    days_in_lieu,
    holidays_package_year,
    provisional_is_working_day,
)

pytestmark = pytest.mark.R5

ISSUE_26_TABLE = {
    2027: [
        date(2027, 2, 9),
        date(2027, 2, 10),
        date(2027, 5, 3),
        date(2027, 5, 4),
        date(2027, 10, 4),
        date(2027, 10, 5),
    ],
    2028: [date(2028, 1, 3), date(2028, 5, 29), date(2028, 10, 4)],
    2029: [date(2029, 6, 18), date(2029, 9, 24)],
    2030: [date(2030, 2, 6), date(2030, 2, 7)],
}


def every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", sorted(ISSUE_26_TABLE))
def test_the_days_in_lieu_are_the_issues_table(year):
    assert sorted(days_in_lieu(year)) == ISSUE_26_TABLE[year]
    for day in ISSUE_26_TABLE[year]:
        assert day.isoweekday() <= 5 and not provisional_is_working_day(day)


@pytest.mark.parametrize("year", [2027, 2028, 2029, 2030])
def test_the_provisional_year_agrees_with_the_holidays_packages_estimate_on_every_day(year):
    estimate = holidays.country_holidays("CN", years=year)
    for day in every_day(year):
        assert provisional_is_working_day(day) == estimate.is_working_day(day), day


def test_2026_qingming_on_a_sunday_was_made_up_on_monday_as_the_rule_says():
    # the official notice for 2026 (bundled): 4-6 April off, Qingming on Sunday the 5th
    assert date(2026, 4, 5).isoweekday() == 7
    assert not chinese_calendar.is_workday(date(2026, 4, 6))
    assert date(2026, 4, 6) in days_in_lieu(2026)


def both_sources_know() -> list[int]:
    return [y for y in range(2004, 2101) if holidays_package_year(y) is not None and _chinesecalendar_knows(y)]


def _chinesecalendar_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def test_the_two_bundled_sources_agree_on_every_day_of_every_year_both_know():
    years = both_sources_know()
    assert years[0] <= 2005 and years[-1] >= 2026, years
    differ = [
        day
        for year in years
        for entries in [holidays_package_year(year)]
        for day in every_day(year)
        if WorkCalendar({year: entries}).is_working_day(day) != chinese_calendar.is_workday(day)  # type: ignore[dict-item]
    ]
    # one known difference, 20 years before any booking here: the 2006 notice (国务院办公厅关于2006年部分
    # 节假日安排的通知) worked Saturday 31 December 2005 for New Year; chinesecalendar has it off
    assert differ == [date(2005, 12, 31)]


def test_a_year_only_the_holidays_package_knows_is_official():
    entries = YearEntries(2031, frozenset({date(2031, 1, 2)}), frozenset({date(2031, 1, 4)}))
    cal = WorkCalendar(bundled_years={2031: entries})
    assert cal.source(2031) is Source.OFFICIAL and cal.bundled_by(2031) == "holidays"
    assert not cal.is_working_day(date(2031, 1, 2)) and cal.is_working_day(date(2031, 1, 4))
    assert cal.is_working_day(date(2031, 1, 3))
    assert WorkCalendar().bundled_by(2026) == "chinesecalendar" and WorkCalendar().bundled_by(2031) is None
    admin = WorkCalendar({2031: YearEntries(2031)}, {2031: entries})
    assert admin.source(2031) is Source.ADMIN and admin.is_working_day(date(2031, 1, 2))
