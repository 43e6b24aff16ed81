"""R5, R6, R4: the working-day calendar, the booking window and timetable expansion (no AWS)."""

from datetime import date, datetime

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain.booking_window import bookable_range, days_to_stage, in_booking_window, last_bookable_day
from hallbook.domain.calendar import Source, WorkCalendar, YearEntries, next_year_missing
from hallbook.domain.timetable import SlotTemplate, check_no_overlap, slots_for_day

pytestmark = [pytest.mark.R4, pytest.mark.R5, pytest.mark.R6]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class TestCalendar2026Notice:
    cal = WorkCalendar()

    @pytest.mark.parametrize("day", [date(2026, 9, 20), date(2026, 10, 10)])
    def test_make_up_weekend_days_are_working_days(self, day):
        assert day.isoweekday() > 5
        assert self.cal.is_working_day(day)
        assert self.cal.is_makeup_day(day)

    @pytest.mark.parametrize("day", [date(2026, 9, 25)] + [date(2026, 10, d) for d in range(1, 8)])
    def test_mid_autumn_and_national_day_are_closed(self, day):
        assert not self.cal.is_working_day(day)

    def test_an_ordinary_weekday_and_weekend(self):
        assert self.cal.is_working_day(date(2026, 11, 24))
        assert not self.cal.is_working_day(date(2026, 11, 28))
        assert self.cal.source(2026) is Source.OFFICIAL


class TestMissingYear:
    def test_unknown_year_uses_weekdays_with_fixed_statutory_days_closed(self):
        cal = WorkCalendar()
        assert cal.source(2031) is Source.PROVISIONAL
        assert not cal.is_working_day(date(2031, 1, 1))  # Wednesday, New Year
        assert not cal.is_working_day(date(2031, 5, 2))  # Friday, Labour Day
        assert not cal.is_working_day(date(2031, 10, 3))  # Friday, National Day
        assert cal.is_working_day(date(2031, 10, 6))  # Monday
        assert not cal.is_working_day(date(2031, 10, 4))  # Saturday

    def test_administrator_entries_rule_for_their_year(self):
        entries = YearEntries(2031, holidays=frozenset({date(2031, 1, 23)}), workdays=frozenset({date(2031, 1, 25)}))
        cal = WorkCalendar({2031: entries})
        assert cal.source(2031) is Source.ADMIN
        assert not cal.is_working_day(date(2031, 1, 23))  # a Thursday made a holiday
        assert cal.is_working_day(date(2031, 1, 25))  # a Saturday made a working day
        assert cal.is_working_day(date(2031, 1, 1))  # not listed: weekday rule

    def test_entries_outside_their_year_are_refused(self):
        with pytest.raises(ValueError):
            YearEntries(2031, holidays=frozenset({date(2030, 12, 31)}))

    def test_alarm_only_from_december_while_next_year_missing(self):
        cal = WorkCalendar()
        assert next_year_missing(date(2030, 12, 1), cal)
        assert not next_year_missing(date(2030, 11, 30), cal)
        assert not next_year_missing(date(2025, 12, 1), cal)  # 2026 is bundled
        cal_with = WorkCalendar({2031: YearEntries(2031)})
        assert not next_year_missing(date(2030, 12, 1), cal_with)


class TestBookingWindow:
    def test_before_noon_last_day_is_13_ahead(self):
        assert last_bookable_day(at("2026-11-24T11:59:59"), 14) == date(2026, 12, 7)

    def test_at_noon_the_14th_day_opens(self):
        assert last_bookable_day(at("2026-11-24T12:00:00"), 14) == date(2026, 12, 8)

    def test_guangzhou_booking_window_is_15(self):
        assert last_bookable_day(at("2026-11-24T12:00"), 15) == date(2026, 12, 9)

    def test_today_is_never_bookable_tomorrow_is(self):
        now = at("2026-11-24T08:00")
        assert not in_booking_window(date(2026, 11, 24), now, 14)
        assert in_booking_window(date(2026, 11, 25), now, 14)
        assert not in_booking_window(date(2026, 11, 23), now, 14)

    def test_booking_window_across_a_weekend_counts_calendar_days(self):
        now = at("2026-11-27T12:30")  # Friday
        first, last = bookable_range(now, 14)
        assert first == date(2026, 11, 28) and last == date(2026, 12, 11)

    def test_slots_are_staged_one_day_before_release(self):
        days = days_to_stage(at("2026-11-24T09:00"), 14)
        assert days[0] == date(2026, 11, 25) and days[-1] == date(2026, 12, 8)
        days = days_to_stage(at("2026-11-24T12:00"), 14)
        assert days[-1] == date(2026, 12, 9)


class TestTimetable:
    timetable = {
        "ID_FIRST": [
            SlotTemplate((1, 2, 3, 4, 5), "09:00", "09:30", 4),
            SlotTemplate((1,), "14:00", "15:00", 2),
            SlotTemplate((2,), "14:00", "15:00", 0),
        ],
    }
    cal = WorkCalendar()

    def test_weekday_expansion(self):
        monday = slots_for_day(self.timetable, date(2026, 11, 23), self.cal)
        assert [(s.start, s.end, s.capacity) for s in monday] == [("09:00", "09:30", 4), ("14:00", "15:00", 2)]
        tuesday = slots_for_day(self.timetable, date(2026, 11, 24), self.cal)
        assert [s.start for s in tuesday] == ["09:00"]  # capacity 0 offers nothing

    def test_holiday_weekend_and_closure_have_no_slots(self):
        assert slots_for_day(self.timetable, date(2026, 10, 1), self.cal) == []
        assert slots_for_day(self.timetable, date(2026, 11, 28), self.cal) == []
        assert slots_for_day(self.timetable, date(2026, 11, 23), self.cal, {date(2026, 11, 23)}) == []

    def test_make_up_day_follows_monday(self):
        sunday_worked = slots_for_day(self.timetable, date(2026, 9, 20), self.cal)
        assert [s.start for s in sunday_worked] == ["09:00", "14:00"]

    def test_overlaps_and_backwards_slots_are_refused(self):
        with pytest.raises(ValueError):
            check_no_overlap([SlotTemplate((1,), "09:00", "10:00", 1), SlotTemplate((1,), "09:30", "10:30", 1)])
        with pytest.raises(ValueError):
            SlotTemplate((1,), "10:00", "09:00", 1)

    def test_slot_instants_carry_the_offset(self):
        slot = slots_for_day(self.timetable, date(2026, 11, 23), self.cal)[0]
        assert slot.ends_at.isoformat() == "2026-11-23T09:30:00+08:00"
