"""R5 against oracles from outside the code: the State Council's published notice and published lunar
calendars, written here as literal dates (none is computed by the code under test).

Sources of the literals:
- 国务院办公厅关于2026年部分节假日安排的通知 (4 November 2025, Xinhua): the official path.
- Published lunar calendars for the provisional path; each date was also checked against two other
  libraries (lunardate, borax) and, for 2024-2026, against the State Council notices of those years
  (2024: "除夕(2月9日)"; 2025: "1月28日(农历除夕)"; 2026: "2月15日(农历腊月二十八)").
  2025-2029 have no 腊月三十 (the 12th lunar month has 29 days, Xinhua); 2024 and 2030 have one.
"""

from datetime import date, timedelta

import pytest

from hallbook.domain.calendar import Source, WorkCalendar, YearEntries, next_year_missing, provisional_holidays

pytestmark = pytest.mark.R5


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


class TestOfficial2026Notice:
    cal = WorkCalendar()

    MAKE_UP = [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    CLOSED = (
        days(date(2026, 1, 1), date(2026, 1, 3))
        + days(date(2026, 2, 15), date(2026, 2, 23))
        + days(date(2026, 4, 4), date(2026, 4, 6))
        + days(date(2026, 5, 1), date(2026, 5, 5))
        + days(date(2026, 6, 19), date(2026, 6, 21))
        + days(date(2026, 9, 25), date(2026, 9, 27))
        + days(date(2026, 10, 1), date(2026, 10, 7))
    )

    def test_the_year_is_official(self):
        assert self.cal.source(2026) is Source.OFFICIAL

    @pytest.mark.parametrize("day", MAKE_UP, ids=str)
    def test_make_up_weekend_days_are_working_days(self, day):
        assert day.isoweekday() > 5
        assert self.cal.is_working_day(day)
        assert self.cal.is_makeup_day(day)

    @pytest.mark.parametrize("day", CLOSED, ids=str)
    def test_holidays_are_closed(self, day):
        assert not self.cal.is_working_day(day)

    def test_the_notice_has_33_days_off(self):
        assert len(set(self.CLOSED)) == 3 + 9 + 3 + 5 + 3 + 3 + 7

    def test_ordinary_days_around_the_holidays(self):
        assert self.cal.is_working_day(date(2026, 2, 24))  # Tuesday after Spring Festival
        assert self.cal.is_working_day(date(2026, 10, 8))  # Thursday after National Day
        assert not self.cal.is_working_day(date(2026, 3, 7))  # an ordinary Saturday


# Each year's statutory holidays under the 2025 rules, from published calendars:
# New Year, Spring Festival eve + 1st-3rd of the 1st lunar month, Qingming, 1-2 May, Dragon Boat,
# Mid-Autumn, 1-3 October.
PUBLISHED = {
    2025: dict(
        eve=date(2025, 1, 28),
        spring=date(2025, 1, 29),
        qingming=date(2025, 4, 4),
        dragon=date(2025, 5, 31),
        mid_autumn=date(2025, 10, 6),
    ),
    2026: dict(
        eve=date(2026, 2, 16),
        spring=date(2026, 2, 17),
        qingming=date(2026, 4, 5),
        dragon=date(2026, 6, 19),
        mid_autumn=date(2026, 9, 25),
    ),
    2027: dict(
        eve=date(2027, 2, 5),
        spring=date(2027, 2, 6),
        qingming=date(2027, 4, 5),
        dragon=date(2027, 6, 9),
        mid_autumn=date(2027, 9, 15),
    ),
    2028: dict(
        eve=date(2028, 1, 25),
        spring=date(2028, 1, 26),
        qingming=date(2028, 4, 4),
        dragon=date(2028, 5, 28),
        mid_autumn=date(2028, 10, 3),
    ),  # Mid-Autumn on National Day
    # the 12th lunar month has 30 days: the eve is 腊月三十
    2024: dict(
        eve=date(2024, 2, 9),
        spring=date(2024, 2, 10),
        qingming=date(2024, 4, 4),
        dragon=date(2024, 6, 10),
        mid_autumn=date(2024, 9, 17),
    ),
    2030: dict(
        eve=date(2030, 2, 2),
        spring=date(2030, 2, 3),
        qingming=date(2030, 4, 5),
        dragon=date(2030, 6, 5),
        mid_autumn=date(2030, 9, 12),
    ),
}


def expected(year: int) -> set[date]:
    p = PUBLISHED[year]
    return {
        date(year, 1, 1),
        p["eve"],
        p["spring"],
        p["spring"] + timedelta(1),
        p["spring"] + timedelta(2),
        p["qingming"],
        date(year, 5, 1),
        date(year, 5, 2),
        p["dragon"],
        p["mid_autumn"],
        date(year, 10, 1),
        date(year, 10, 2),
        date(year, 10, 3),
    }


class TestProvisionalHolidays:
    @pytest.mark.parametrize("year", sorted(PUBLISHED))
    def test_matches_the_published_calendar(self, year):
        assert provisional_holidays(year) == expected(year)

    def test_a_29_day_twelfth_month_eve_is_the_29th(self):
        # 2025: 除夕 was 腊月二十九, Tuesday 28 January (State Council notice for 2025)
        assert date(2025, 1, 28) in provisional_holidays(2025)
        assert date(2025, 1, 27) not in provisional_holidays(2025)

    def test_a_30_day_twelfth_month_eve_is_the_30th(self):
        # 2024: 除夕 was 腊月三十, Friday 9 February; the 29th (8 February) was no holiday
        assert date(2024, 2, 9) in provisional_holidays(2024)
        assert date(2024, 2, 8) not in provisional_holidays(2024)

    def test_labour_day_is_two_days_only(self):
        assert date(2027, 5, 3) not in provisional_holidays(2027)

    def test_mid_autumn_on_national_day_is_one_day(self):
        assert len(provisional_holidays(2028)) == 12
        assert len(provisional_holidays(2027)) == 13

    def test_computed_once_per_year(self):
        provisional_holidays(2029)
        hits = provisional_holidays.cache_info().hits
        provisional_holidays(2029)
        assert provisional_holidays.cache_info().hits == hits + 1


class TestProvisional2027:
    """2027 is not in the bundled chinesecalendar (1.11.0): until an administrator enters it, it is
    provisional, and operators are alarmed from 1 December 2026."""

    cal = WorkCalendar()

    def test_source_is_provisional(self):
        assert self.cal.source(2027) is Source.PROVISIONAL, (
            "chinesecalendar now bundles 2027: move these tests to the next year it lacks"
        )
        assert self.cal.source(2027).value == "provisional"

    @pytest.mark.parametrize("day", sorted(expected(2027)), ids=str)
    def test_statutory_holidays_are_closed(self, day):
        assert not self.cal.is_working_day(day)

    def test_the_holidays_that_fall_on_weekdays(self):
        # Fri 1 Jan, Fri 5 Feb (eve), Mon 8 Feb, Mon 5 Apr (Qingming), Wed 9 Jun, Wed 15 Sep, Fri 1 Oct
        for day in [
            date(2027, 1, 1),
            date(2027, 2, 5),
            date(2027, 2, 8),
            date(2027, 4, 5),
            date(2027, 6, 9),
            date(2027, 9, 15),
            date(2027, 10, 1),
        ]:
            assert day.isoweekday() <= 5
            assert not self.cal.is_working_day(day)

    def test_ordinary_weekdays_are_working_days(self):
        assert self.cal.is_working_day(date(2027, 3, 10))  # Wednesday
        assert self.cal.is_working_day(date(2027, 2, 11))  # Thursday, after the days in lieu
        assert self.cal.is_working_day(date(2027, 5, 5))  # Wednesday, after May Day's days in lieu
        assert self.cal.is_working_day(date(2027, 10, 6))  # Wednesday, after National Day's days in lieu

    def test_holidays_at_the_weekend_are_made_up_on_the_next_working_days(self):
        # Article 6 of 全国年节及纪念日放假办法 (issue 26's table, from the holidays package's estimate)
        for day in [date(2027, 2, 9), date(2027, 2, 10), date(2027, 5, 3), date(2027, 5, 4)]:
            assert not self.cal.is_working_day(day)
        assert not self.cal.is_working_day(date(2027, 10, 4)) and not self.cal.is_working_day(date(2027, 10, 5))

    def test_weekends_are_closed_and_none_is_made_up(self):
        for day in [date(2027, 3, 13), date(2027, 3, 14), date(2027, 2, 20), date(2027, 9, 26)]:
            assert day.isoweekday() > 5
            assert not self.cal.is_working_day(day)
            assert not self.cal.is_makeup_day(day)

    def test_alarm_from_1_december_2026(self):
        assert next_year_missing(date(2026, 12, 1), self.cal)
        assert not next_year_missing(date(2026, 11, 30), self.cal)
        assert not next_year_missing(date(2026, 12, 1), WorkCalendar({2027: YearEntries(2027)}))

    def test_administrator_entries_replace_the_provisional_calendar(self):
        cal = WorkCalendar({2027: YearEntries(2027, workdays=frozenset({date(2027, 2, 20)}))})
        assert cal.source(2027) is Source.ADMIN
        assert cal.is_working_day(date(2027, 2, 20))
        assert cal.is_working_day(date(2027, 6, 9))  # not listed: the weekday rule alone
