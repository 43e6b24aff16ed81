"""Issue 26, R5 over HTTP, with NOW in a year no bundled calendar knows (2030): the provisional year
closes the statutory holidays and their days in lieu (oracle: the `holidays` package's estimate, from
outside the code); when the year's schedule arrives (an administrator's PUT), a released day that
becomes a day off is closed like a hall closure - the booking cancelled by the hall, an SMS, not
counted against the citizen - and a weekend that becomes a working day opens at the next noon, not at
the moment of the PUT. Staff and citizens may not enter a calendar (403)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays
import pytest
from blackbox_support import SHANGHAI, Api, assert_problem, availability, booked, past_the_caches, register

pytestmark = pytest.mark.R5

OFFICE, SERVICE = "gz-zengcheng-licheng-ps", "ID_RENEW"


def every_day(year: int) -> list[date]:
    return [date(year, 1, 1) + timedelta(n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]


def test_a_provisional_year_closes_the_holidays_and_their_days_in_lieu(api: Api) -> None:
    admin = api.login("admin", "local-admin-pass")
    for year in (2031, 2032):
        reply = api.get(f"/v1/calendar/{year}", token=admin)
        assert reply.status == 200, reply
        read = reply.json()
        assert read["source"] == "provisional" and read["bundled_by"] is None, read
        estimate = holidays.country_holidays("CN", years=year)
        expected = [d.isoformat() for d in every_day(year) if d.isoweekday() <= 5 and not estimate.is_working_day(d)]
        assert read["holidays"] == expected, (year, sorted(set(read["holidays"]) ^ set(expected)))
        assert read["workdays"] == []  # no weekend is worked until the State Council says so


def test_a_schedule_that_arrives_closes_a_released_day_and_opens_a_weekend_at_noon(api: Api) -> None:
    admin = api.login("admin", "local-admin-pass")
    now = api.now()
    days = availability(api, OFFICE, SERVICE)
    weekdays = sorted(d for d in days if date.fromisoformat(d).isoweekday() <= 5 and date.fromisoformat(d) > now.date())
    closing = weekdays[len(weekdays) // 2]  # a released working day in the middle of the window
    saturday = next(
        d for d in (date.fromisoformat(closing) + timedelta(n) for n in range(1, 7)) if d.isoweekday() == 6
    ).isoformat()
    assert saturday not in days
    citizen = register(api)
    start = min(s for s, slot in days[closing].items() if slot["remaining"] > 0)
    booking = booked(api, citizen, OFFICE, SERVICE, closing, start)

    year = int(closing[:4])
    before = api.get(f"/v1/calendar/{year}", token=admin)
    assert before.status == 200 and before.json()["source"] == "provisional", before
    schedule = {"holidays": [*before.json()["holidays"], closing], "workdays": [saturday]}
    staff = api.login(f"staff@{OFFICE}", "local-staff-pass")
    for token in (staff, citizen.token):
        assert_problem(api.request("PUT", f"/v1/calendar/{year}", schedule, token=token), 403, "FORBIDDEN")

    reply = api.request("PUT", f"/v1/calendar/{year}", schedule, token=admin)
    assert reply.status in (200, 201), reply
    result = reply.json()
    assert closing in result["changed_days"] and saturday in result["opened_days"], result
    mine = [d for d in result["closed_days"] if d["office_id"] == OFFICE and d["date"] == closing]
    assert mine and mine[0]["bookings_cancelled"] >= 1, result

    got = api.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token).json()
    assert got["status"] == "cancelled" and got["cancelled_by"] == "hall", got
    message = api.wait_sms(citizen.phone, lambda m: booking["reference"] in m and "法定节假日" in m, "the holiday SMS")
    month, day = int(closing[5:7]), int(closing[8:10])
    assert closing in message or f"{month}月{day}日" in message, message
    assert api.get("/v1/me", token=citizen.token).json()["restrictions"]["cancellations_this_month"] == 0

    past_the_caches(api)
    after = availability(api, OFFICE, SERVICE)
    assert closing not in after and saturday not in after  # the Saturday waits for the next noon
    noon = datetime.combine(api.now().date(), datetime.min.time(), SHANGHAI).replace(hour=12)
    api.move_clock(noon if api.now() < noon else noon + timedelta(days=1))
    past_the_caches(api)
    assert saturday in availability(api, OFFICE, SERVICE)
    admin = api.login("admin", "local-admin-pass")  # hours later
    read = api.get(f"/v1/calendar/{year}", token=admin).json()
    assert read["source"] == "admin" and saturday in read["workdays"] and closing in read["holidays"], read
