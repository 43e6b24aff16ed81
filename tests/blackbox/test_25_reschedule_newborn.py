"""Issue 25 over HTTP against `python -m local`: a booking rescheduled (R8a) in one step - not a
cancellation, one SMS with both times, idempotent, nobody else's; whom a service is for and a newborn
booked by its birth certificate number (R2), written in full-width characters too. No clock moves:
every day is relative to the server's clock (NOW, years ahead of the machine's)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from blackbox_support import Api, assert_problem, at, availability, booked, register

OFFICE = "gz-tianhe-centre"
OTHER_OFFICE = "gz-huadu-centre"
SERVICE = "ID_RENEW"
NEWBORN = "HR_BIRTH"
FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
)


def free_slots(api: Api, office: str, service: str) -> list[tuple[str, str]]:
    """(day, start) of released slots with room that can still be cancelled, earliest first."""
    now = api.now()
    return [
        (day, start)
        for day, slots in sorted(availability(api, office, service).items())
        if at(date.fromisoformat(day) - timedelta(days=1), "18:00") > now + timedelta(hours=1)
        for start, slot in sorted(slots.items())
        if slot["remaining"] > 0
    ]


def reschedule(api: Api, token: str, booking_id: str, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return api.post(f"/v1/bookings/{booking_id}/reschedule", body, token=token, headers=headers)


@pytest.mark.R8a
def test_a_booking_moves_to_another_time_and_hall_in_one_step(api: Api) -> None:
    citizen, stranger = register(api), register(api)
    (day, start), *rest = free_slots(api, OFFICE, SERVICE)
    booking = booked(api, citizen, OFFICE, SERVICE, day, start)
    target_day, target_start = next((d, s) for d, s in rest if d != day)

    # R13: someone else's booking is not found, as an unknown one
    body = {"date": target_day, "start": target_start}
    assert_problem(reschedule(api, stranger.token, booking["booking_id"], body), 404, "NOT_FOUND")
    assert_problem(reschedule(api, stranger.token, "f" * 32, body), 404, "NOT_FOUND")

    reply = reschedule(api, citizen.token, booking["booking_id"], body, key="move-1")
    assert reply.status == 200, reply
    moved = reply.json()
    assert (moved["date"], moved["start"], moved["status"]) == (target_day, target_start, "booked"), moved
    assert moved["reference"] == booking["reference"] and moved["booking_id"] == booking["booking_id"]
    # the same key again: the same answer, no second move
    again = reschedule(api, citizen.token, booking["booking_id"], body, key="move-1")
    assert again.status == 200 and again.json() == moved, again
    # one SMS with both times (12月31日 09:00 form)
    old, new = date.fromisoformat(day), date.fromisoformat(target_day)
    sms = api.wait_sms(
        citizen.phone,
        lambda m: booking["reference"] in m and f"{new.month}月{new.day}日 {target_start}" in m,
        "giving the new time",
    )
    assert f"{old.month}月{old.day}日 {start}" in sms and len(sms) <= 70, sms
    # R8a: not a cancellation (R11)
    restrictions = api.get("/v1/me", token=citizen.token).json()["restrictions"]
    assert restrictions["cancellations_this_month"] == 0, restrictions

    # to another hall offering the service
    other_day, other_start = free_slots(api, OTHER_OFFICE, SERVICE)[0]
    body = {"office_id": OTHER_OFFICE, "date": other_day, "start": other_start}
    reply = reschedule(api, citizen.token, booking["booking_id"], body)
    assert reply.status == 200 and reply.json()["office_id"] == OTHER_OFFICE, reply
    listed = api.get("/v1/bookings", token=citizen.token).json()["bookings"]
    assert [(b["office_id"], b["status"]) for b in listed] == [(OTHER_OFFICE, "booked")], listed
    # a slot that does not exist
    bad = {"date": other_day, "start": "03:17"}
    assert_problem(reschedule(api, citizen.token, booking["booking_id"], bad), 409, "NO_SUCH_SLOT")
    # once cancelled it cannot move
    assert api.post(f"/v1/bookings/{booking['booking_id']}/cancel", token=citizen.token).status == 200
    assert_problem(
        reschedule(api, citizen.token, booking["booking_id"], {"date": target_day, "start": target_start}),
        409,
        "NOT_CANCELLABLE",
    )


@pytest.mark.R2
def test_services_say_whom_they_are_for_and_a_newborn_is_booked_by_its_certificate(api: Api) -> None:
    services = {s["code"]: s["subject"] for s in api.get("/v1/services").json()["services"]}
    assert services[NEWBORN] == "newborn" and services["ID_FIRST"] == "minor", services
    assert set(services.values()) <= {"self", "minor", "newborn", "self_or_minor"}

    guardian, other_parent = register(api), register(api)
    (day, start), (day2, start2), *_ = free_slots(api, OFFICE, NEWBORN)
    certificate = f"Q{uuid.uuid4().int % 10**9:09d}"
    typed = certificate.translate(FULL_WIDTH)  # as a phone's full-width keyboard writes it

    def book_newborn(citizen, cert: str, on: str, at_start: str, **extra):
        body = {
            "office_id": OFFICE,
            "service_code": NEWBORN,
            "date": on,
            "start": at_start,
            "notice_acknowledged": True,
            "newborn": {"name": "王小明", "birth_certificate_number": cert},
            **extra,
        }
        return api.post("/v1/bookings", body, token=citizen.token, headers={"Idempotency-Key": uuid.uuid4().hex})

    reply = book_newborn(guardian, typed, day, start)
    assert reply.status == 201, reply
    booking = reply.json()
    assert booking["subject_id_number"] is None, booking
    assert booking["newborn"] == {
        "name": "王*明",
        "birth_certificate_number": certificate[:3] + "*****" + certificate[-2:],
    }
    assert certificate not in reply.text
    # R9: the certificate is the subject, however it is written, whoever books
    spaced = f"{certificate[0].lower()} {certificate[1:5]}-{certificate[5:]}"
    assert_problem(book_newborn(guardian, spaced, day2, start2), 409, "ALREADY_BOOKED")
    assert_problem(book_newborn(other_parent, certificate, day2, start2), 409, "ALREADY_BOOKED")
    # shapes other than one letter and nine digits
    for wrong in (certificate[1:], certificate + "1", "OO" + certificate[2:], "出生证" + certificate):
        assert_problem(book_newborn(other_parent, wrong, day2, start2), 422, "VALIDATION_ERROR")
    # a newborn's service needs the newborn; a minor's needs the minor's ID number
    body = {"office_id": OFFICE, "service_code": NEWBORN, "date": day2, "start": start2, "notice_acknowledged": True}
    assert_problem(
        api.post("/v1/bookings", body, token=other_parent.token, headers={"Idempotency-Key": uuid.uuid4().hex}),
        422,
        "VALIDATION_ERROR",
    )
    first_id_day, first_id_start = free_slots(api, OFFICE, "ID_FIRST")[0]
    body = {**body, "service_code": "ID_FIRST", "date": first_id_day, "start": first_id_start}
    assert_problem(
        api.post("/v1/bookings", body, token=other_parent.token, headers={"Idempotency-Key": uuid.uuid4().hex}),
        422,
        "VALIDATION_ERROR",
    )
    api.wait_sms(guardian.phone, lambda m: booking["reference"] in m, "confirming the newborn's booking")
