"""Scenario 6: the noon release (R6). Before 12:00 the day 14 days ahead (15 for Guangzhou's halls,
data/demo.json regions) is neither offered nor bookable; at 12:00:00 it is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from blackbox_support import Api, assert_problem, at, availability, book, booked, register

pytestmark = [pytest.mark.R6]

OFFICES = (("sz-futian-centre", 14), ("gz-tianhe-centre", 15))  # Shenzhen 14 days, Guangzhou 15
SERVICE = "ID_RENEW"
CLOSED = {date(2030, 10, 1), date(2030, 10, 2), date(2030, 10, 3)}  # provisional 2030 holidays near NOW


def _release_day(api: Api) -> date:
    """Today if it is still well before noon, else the next day, such that the days each hall's release
    opens are working days (weekdays outside the holidays), so they have slots to open."""
    now = api.now()
    day = now.date()
    while True:
        if at(day, "11:59") > now and all(
            (day + timedelta(days=w)).weekday() < 5 and day + timedelta(days=w) not in CLOSED for _, w in OFFICES
        ):
            return day
        day += timedelta(days=1)


def test_noon_release_opens_the_new_day_at_twelve(api: Api) -> None:
    citizens = {office: register(api, login=False) for office, _ in OFFICES}
    today = _release_day(api)
    api.move_clock(at(today, "11:59"))  # before noon (a running clock: a minute of slack)
    for citizen in citizens.values():  # sessions last 2 hours of the local clock: log in at 11:59
        citizen.token = api.login(citizen.phone, citizen.password)

    for office, booking_window_days in OFFICES:
        new_day = today + timedelta(days=booking_window_days)
        last_before = new_day - timedelta(days=1)
        assert new_day.isoformat() not in availability(api, office, SERVICE, today, new_day), (office, new_day)
        assert_problem(book(api, citizens[office], office, SERVICE, new_day, "09:00"), 409, "OUTSIDE_WINDOW")
        if last_before.weekday() < 5:  # before noon the last bookable day is one earlier
            assert last_before.isoformat() in availability(api, office, SERVICE, last_before, last_before), office

    moved = api.move_clock(at(today, "12:00:00"))
    assert any("noon-release" in run for run in moved["fired"]), moved

    for office, booking_window_days in OFFICES:
        new_day = today + timedelta(days=booking_window_days)
        released = availability(api, office, SERVICE, new_day, new_day)
        assert new_day.isoformat() in released, (office, new_day, released)
        slot = released[new_day.isoformat()]["09:00"]
        assert slot["remaining"] == slot["capacity"] > 0, slot
        booking = booked(api, citizens[office], office, SERVICE, new_day, "09:00")
        assert booking["date"] == new_day.isoformat()
        # and no further: the day after is still closed to booking
        assert_problem(
            book(api, citizens[office], office, "ID_REISSUE", new_day + timedelta(days=1), "09:00"),
            409,
            "OUTSIDE_WINDOW",
        )
