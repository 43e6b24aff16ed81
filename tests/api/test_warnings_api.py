"""R21 through the gateway: the SMS after the second cancellation of a month and after the second
no-show within six months, and /v1/me showing the same warning (the SMS in the account's language:
tests/unit/test_booking_services.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from hallbook.clock import SHANGHAI
from tests.support import open_office, problem, registered, sms_texts

pytestmark = pytest.mark.R21
DAY, WEDNESDAY, THURSDAY, FRIDAY = "2026-09-15", "2026-09-16", "2026-09-17", "2026-09-18"


@pytest.fixture
def office(system):
    return open_office(system)


def test_the_second_cancellation_warns_by_sms_and_in_me_and_the_third_suspends(office):
    citizen = registered(office)
    first = citizen.book(DAY).json()
    assert citizen.cancel(first["booking_id"]).status == 200
    assert (
        sms_texts(office, citizen.phone, "请注意") == []
        and citizen.get("/v1/me").json()["restrictions"]["warnings"] == []
    )

    second = citizen.book(WEDNESDAY).json()
    assert citizen.cancel(second["booking_id"]).status == 200
    [warning_sms] = sms_texts(office, citizen.phone, "请注意")
    assert "本月已取消预约2次" in warning_sms and "再取消1次" in warning_sms and "暂停预约至2026-10-01" in warning_sms
    restrictions = citizen.get("/v1/me").json()["restrictions"]
    [warning] = restrictions["warnings"]
    assert warning["reason"] == "cancellations" and warning["count"] == 2 and warning["limit"] == 3
    assert warning["last_day"] == "2026-09-30" and warning["suspends_until"] == "2026-10-01T00:00:00+08:00"
    assert warning["message"] == warning_sms  # the same words as the SMS

    third = citizen.book(THURSDAY).json()
    assert citizen.cancel(third["booking_id"]).status == 200
    assert len(sms_texts(office, citizen.phone, "请注意")) == 1  # warned once; now suspended, as the warning said
    me = citizen.get("/v1/me").json()["restrictions"]
    assert me["warnings"] == [] and me["suspended_until"] == warning["suspends_until"]
    problem(citizen.book(FRIDAY), 403, "SUSPENDED")


def test_the_second_no_show_within_six_months_warns_by_sms_and_in_me(office):
    citizen = registered(office)
    for day in (DAY, WEDNESDAY):  # 09:00-09:30; one at a time (R9)
        r = citizen.book(day)
        assert r.status == 201, r.text
        office.clock.set(datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=SHANGHAI))  # the slot is over
        assert office.functions.invoke("JobsFunction", {"job": "sweep"})["no_shows"] == 1
        citizen.login()
    [warning_sms] = sms_texts(office, citizen.phone, "请注意")
    assert "6个月内已爽约2次" in warning_sms and "2027-03-14前（含当日）再爽约1次" in warning_sms
    assert "暂停预约6个月" in warning_sms
    [warning] = citizen.get("/v1/me").json()["restrictions"]["warnings"]
    assert warning["reason"] == "no_shows" and warning["count"] == 2 and warning["last_day"] == "2027-03-14"
    assert warning["message"] == warning_sms and warning["suspends_until"] is None
    # once however often the sweep runs: tests/unit/test_job_services.py
