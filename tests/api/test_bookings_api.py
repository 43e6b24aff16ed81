"""R2, R7-R13 through the gateway: every booking error code, guardians, idempotency, isolation,
cancellation and its sanctions, views and SMS."""

from datetime import datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI, now
from tests.idnumbers import id_number
from tests.support import (
    CHILD_SERVICE,
    OFFICE,
    SERVICE,
    link_guardian,
    open_office,
    problem,
    registered,
    release_days,
)

DAY = "2026-09-15"  # Tuesday, tomorrow at START


@pytest.fixture
def office(system):
    return open_office(system, capacity=2)


def test_book_and_see_it_with_sms_and_masked_subject(office, api):
    citizen = registered(office)
    r = citizen.book(DAY)
    assert r.status == 201, r.text
    booking = r.json()
    assert booking["status"] == "booked" and booking["start"] == "09:00" and booking["end"] == "09:30"
    assert booking["subject_id_number"] == citizen.id_number[:3] + "*" * 11 + citizen.id_number[-4:]
    ref = booking["reference"]
    assert len(ref) == 9 and not set(ref) & set("ILOU")
    assert citizen.get(f"/v1/bookings/{booking['booking_id']}").json() == booking
    assert citizen.get("/v1/bookings").json()["bookings"] == [booking]
    slots = api.invoke(
        "GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, "from": DAY, "to": DAY}
    ).json()
    assert slots["days"][0]["slots"][0]["remaining"] == 1
    office.pump.drain()
    texts = [m["message"] for m in office.sms_messages(citizen.phone)]
    assert any(ref in t and "测试大厅" in t for t in texts)


def test_confirmation_is_printable_html_in_the_request_s_language(office, api):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    r = citizen.get(f"/v1/bookings/{booking['booking_id']}/confirmation")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    assert booking["reference"] in r.text and "深圳市福田区测试路1号" in r.text and "请携带材料" in r.text
    assert citizen.id_number not in r.text


# Every refusal's code and status is checked on the in-memory stores (tests/unit/test_booking_services.py);
# here two of them, through the gateway as problem+json.
@pytest.mark.parametrize(
    "change, status, code",
    [
        ({"notice_acknowledged": False}, 422, "NOTICE_NOT_ACKNOWLEDGED"),
        ({"date": "2026-09-19"}, 409, "NO_SUCH_SLOT"),  # Saturday
    ],
)
def test_refusals_carry_the_contract_codes(office, api, change, status, code):
    citizen = registered(office)
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": DAY, "start": "09:00", "notice_acknowledged": True}
    body.update(change)
    r = api.invoke("POST", "/v1/bookings", headers={"Authorization": f"Bearer {citizen.token}"}, body=body)
    problem(r, status, code)
    assert citizen.get("/v1/bookings").json()["bookings"] == []


def test_unverified_phone_cannot_book(office, api):
    citizen = registered(office, verify=False)
    problem(citizen.book(DAY), 403, "PHONE_NOT_VERIFIED")


def test_no_token_is_401(office, api):
    r = api.invoke(
        "POST",
        "/v1/bookings",
        body={"office_id": OFFICE, "service_code": SERVICE, "date": DAY, "start": "09:00", "notice_acknowledged": True},
    )
    problem(r, 401, "UNAUTHENTICATED")


def test_idempotency_key_returns_the_first_booking_and_takes_one_place(office, api):
    citizen = registered(office)
    first = citizen.book(DAY, key="same-key")
    again = citizen.book(DAY, key="same-key")
    assert first.status == again.status == 201 and first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    slots = api.invoke(
        "GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, "from": DAY, "to": DAY}
    ).json()
    assert slots["days"][0]["slots"][0]["remaining"] == 1
    problem(citizen.book("2026-09-16", key="same-key"), 422, "VALIDATION_ERROR")


def test_nobody_sees_or_cancels_another_citizens_booking(office, api):
    owner, stranger = registered(office), registered(office)
    booking = owner.book(DAY).json()
    for path in (f"/v1/bookings/{booking['booking_id']}", f"/v1/bookings/{booking['booking_id']}/confirmation"):
        body = problem(stranger.get(path), 404, "NOT_FOUND")
        assert booking["reference"] not in str(body)
    problem(stranger.cancel(booking["booking_id"]), 404, "NOT_FOUND")
    assert stranger.get("/v1/bookings").json()["bookings"] == []
    assert owner.get(f"/v1/bookings/{booking['booking_id']}").json()["status"] == "booked"


@pytest.mark.R19
def test_cancel_ends_the_booking_at_once_and_the_place_returns_after_the_delay(office, api):
    a, b, c = registered(office), registered(office), registered(office)
    booking = a.book(DAY).json()
    b.book(DAY)
    r = a.cancel(booking["booking_id"])
    assert r.status == 200 and r.json()["status"] == "cancelled"
    problem(c.book(DAY), 409, "SLOT_FULL")  # R19: not straight to whoever asks next
    office.move_clock(now() + timedelta(minutes=36))  # past the longest delay and the next timer run
    assert c.book(DAY).status == 201
    problem(a.cancel(booking["booking_id"]), 409, "NOT_CANCELLABLE")
    office.pump.drain()
    assert any("已取消" in m["message"] for m in office.sms_messages(a.phone))
    assert a.book(DAY, start="09:30").status == 201  # the lock on the service was released too


def test_three_cancellations_in_a_month_suspend_until_it_ends(office, api):
    citizen = registered(office)
    for day in ("2026-09-15", "2026-09-16", "2026-09-17"):
        booking = citizen.book(day).json()
        assert citizen.cancel(booking["booking_id"]).status == 200
    body = problem(citizen.book("2026-09-18"), 403, "SUSPENDED")
    assert "2026-10-01" in body["detail"] and body["suspended_until"].startswith("2026-10-01T00:00:00+08:00")
    me = citizen.get("/v1/me").json()["restrictions"]
    assert me["cancellations_this_month"] == 3 and me["suspended_until"].startswith("2026-10-01")
    office.pump.drain()
    assert any("暂停" in m["message"] for m in office.sms_messages(citizen.phone))
    office.clock.set(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI))
    release_days()
    assert citizen.login().book("2026-10-09").status == 201


def test_bookings_list_is_newest_first_and_paginated(office, api):
    guardian = registered(office)
    kids = [id_number("440305", f"2020010{i}", f"60{i}") for i in range(1, 4)]
    for i, kid in enumerate(kids):
        link_guardian(office, guardian, kid)
        office.clock.advance(timedelta(seconds=1))
        assert (
            guardian.book(
                DAY if i < 3 else "2026-09-16", start="10:00", service=CHILD_SERVICE, subject_id_number=kid
            ).status
            == 201
        )
    page1 = guardian.get("/v1/bookings", limit="2").json()
    page2 = guardian.get("/v1/bookings", limit="2", cursor=page1["next_cursor"]).json()
    got = [b["subject_id_number"][-4:] for b in page1["bookings"] + page2["bookings"]]
    assert got == [k[-4:] for k in reversed(kids)] and page2["next_cursor"] is None
    problem(guardian.get("/v1/bookings", cursor="garbage"), 400, "VALIDATION_ERROR")


def test_ids_and_phones_never_reach_the_logs(office, api, capsys):
    citizen = registered(office)
    citizen.book(DAY)
    office.pump.drain()
    out = capsys.readouterr()
    assert citizen.id_number not in out.out + out.err
    assert citizen.phone not in out.out + out.err
