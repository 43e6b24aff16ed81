"""Scenarios 1, 2 and 11: a citizen from registration to cancellation; a guardian booking a minor's
business; the citizen's restrictions and the privacy of other people's bookings."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from blackbox_support import (
    Api,
    Citizen,
    Reply,
    assert_problem,
    at,
    availability,
    book,
    booked,
    mask_ok,
    new_adult_id,
    new_minor_id,
    new_name,
    new_phone,
    office_today,
    past_the_caches,
    register,
    sms_code,
)

pytestmark = [pytest.mark.R1, pytest.mark.R2, pytest.mark.R8, pytest.mark.R9, pytest.mark.R10, pytest.mark.R13]

OFFICE = "sz-futian-centre"  # book_first, Shenzhen (14-day window)
SERVICE = "ID_RENEW"
PROVISIONAL_HOLIDAYS_2030 = {date(2030, 10, 1), date(2030, 10, 2), date(2030, 10, 3)}
REFERENCE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-?[0-9A-HJKMNP-TV-Z]{4}$")  # Crockford base32: no I, L, O, U


def cancellable_day(api: Api, office: str, service: str, start: str = "09:00") -> str:
    """The first released day whose slot `start` has room and can still be cancelled (18:00 the day before)."""
    now = api.now()
    for day, slots in availability(api, office, service).items():
        if (
            start in slots
            and slots[start]["remaining"] > 0
            and at(date.fromisoformat(day) - timedelta(days=1), "18:00") > now + timedelta(hours=1)
        ):
            return day
    pytest.fail(f"no cancellable {service} day at {office}")


def test_citizen_registers_books_and_cancels(api: Api) -> None:
    # register: 201, not verified yet, an SMS code on its way
    citizen = Citizen(new_name(), new_adult_id(), new_phone())
    account = {
        "name": citizen.name,
        "id_number": citizen.id_number,
        "phone": citizen.phone,
        "password": citizen.password,
    }
    reply = api.post("/v1/accounts", account)
    assert reply.status == 201, reply
    assert reply.json()["phone_verified"] is False and reply.json()["account_id"]
    assert_problem(api.post("/v1/accounts", {**account, "phone": new_phone()}), 409, "ID_TAKEN")
    assert_problem(api.post("/v1/accounts", {**account, "id_number": new_adult_id()}), 409, "PHONE_TAKEN")

    # a session before verifying: it cannot book yet
    unverified = api.post("/v1/sessions", {"login": citizen.phone, "password": citizen.password})
    assert unverified.status == 200, unverified
    citizen.token = unverified.json()["token"]
    assert_problem(
        book(api, citizen, OFFICE, SERVICE, cancellable_day(api, OFFICE, SERVICE), "09:00"), 403, "PHONE_NOT_VERIFIED"
    )
    code = sms_code(api, citizen.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    reply = api.post("/v1/accounts/verify", {"id_number": citizen.id_number, "code": wrong})
    assert reply.status in (400, 422), reply
    assert_problem(reply, reply.status, "VALIDATION_ERROR")

    reply = api.post("/v1/accounts/verify", {"id_number": citizen.id_number, "code": code})
    assert reply.status == 200, reply
    assert reply.json()["phone_verified"] is True

    # log in with the phone or the ID number; a wrong password is 401
    reply = api.post("/v1/sessions", {"login": citizen.phone, "password": citizen.password})
    assert reply.status == 200, reply
    assert reply.json()["expires_in"] == 7200 and reply.json()["token"]
    citizen.token = reply.json()["token"]
    assert api.post("/v1/sessions", {"login": citizen.id_number, "password": citizen.password}).status == 200
    assert_problem(api.post("/v1/sessions", {"login": citizen.phone, "password": "wrong1234"}), 401, "UNAUTHENTICATED")

    # browse: the catalog, one service, halls offering it in a district, the hall, its availability
    reply = api.get("/v1/services")
    assert reply.status == 200, reply
    services = reply.json()
    services = services["services"] if isinstance(services, dict) else services
    codes = {s["code"]: s for s in services}
    assert codes[SERVICE]["appointment_required"] is True
    assert codes["WALK_CONSULT"]["appointment_required"] is False
    reply = api.get(f"/v1/services/{SERVICE}")
    assert reply.status == 200, reply
    service = reply.json()
    assert service["code"] == SERVICE and service["name_zh"] and service["name_en"]
    assert service["materials"] and service["notice"]
    assert_problem(api.get("/v1/services/NO_SUCH_SERVICE"), 404, "NOT_FOUND")

    reply = api.get(f"/v1/offices?service={SERVICE}&district={quote('福田区')}")
    assert reply.status == 200, reply
    offices = reply.json()
    offices = offices["offices"] if isinstance(offices, dict) else offices
    assert OFFICE in {o["office_id"] for o in offices}
    assert all(o["district"] == "福田区" and SERVICE in o["services"] for o in offices), offices
    reply = api.get(f"/v1/offices/{OFFICE}")
    assert reply.status == 200, reply
    assert reply.json()["mode"] == "book_first" and SERVICE in reply.json()["services"]
    assert_problem(api.get("/v1/offices/no-such-hall"), 404, "NOT_FOUND")

    # the refusals are tried by another citizen: bookings are limited per account (10 attempts in 10 s)
    prober = register(api)
    today = office_today(api)
    released = availability(api, OFFICE, SERVICE)
    days = [date.fromisoformat(d) for d in released]
    assert days and min(days) > today, days
    assert max(days) <= today + timedelta(days=14), days
    assert all(d.weekday() < 5 for d in days), days  # no make-up working days in the provisional 2030
    assert not PROVISIONAL_HOLIDAYS_2030 & set(days), days  # R5: 1-3 October closed in a provisional year
    if today < date(2030, 10, 1):
        assert date(2030, 10, 4) in days, days
        assert_problem(book(api, prober, OFFICE, SERVICE, "2030-10-02", "09:00"), 409, "NO_SUCH_SLOT")
    for slots in released.values():
        for slot in slots.values():
            assert 0 <= slot["remaining"] <= slot["capacity"] and slot["end"] > slot["start"], slot

    # refusals before any booking
    day = cancellable_day(api, OFFICE, SERVICE)
    assert_problem(book(api, prober, OFFICE, SERVICE, day, "09:00", acknowledged=False), 422, "NOTICE_NOT_ACKNOWLEDGED")
    assert_problem(book(api, prober, OFFICE, "WALK_CONSULT", day, "09:00"), 409, "WALK_IN_ONLY")
    assert_problem(book(api, prober, OFFICE, "RP_COLLECT", day, "09:00"), 409, "SERVICE_NOT_OFFERED")
    assert_problem(book(api, prober, OFFICE, SERVICE, today, "09:00"), 409, "OUTSIDE_WINDOW")
    assert_problem(book(api, prober, OFFICE, SERVICE, today + timedelta(days=30), "09:00"), 409, "OUTSIDE_WINDOW")
    assert_problem(book(api, prober, OFFICE, SERVICE, day, "09:17"), 409, "NO_SUCH_SLOT")
    assert_problem(book(api, prober, "no-such-hall", SERVICE, day, "09:00"), 404, "NOT_FOUND")
    anonymous = api.post(
        "/v1/bookings",
        {"office_id": OFFICE, "service_code": SERVICE, "date": day, "start": "09:00", "notice_acknowledged": True},
        headers={"Idempotency-Key": "x"},
    )
    assert_problem(anonymous, 401, "UNAUTHENTICATED")

    # book, with an Idempotency-Key
    before = released[day]["09:00"]["remaining"]
    key = uuid.uuid4().hex
    reply = book(api, citizen, OFFICE, SERVICE, day, "09:00", key=key)
    assert reply.status == 201, reply
    booking = reply.json()
    assert booking["status"] == "booked"
    assert (booking["office_id"], booking["service_code"], booking["date"], booking["start"]) == (
        OFFICE,
        SERVICE,
        day,
        "09:00",
    )
    assert booking["end"] == released[day]["09:00"]["end"]
    assert REFERENCE.match(booking["reference"]), booking["reference"]
    assert mask_ok(booking["subject_id_number"], citizen.id_number), booking["subject_id_number"]
    assert citizen.phone not in reply.text and citizen.id_number not in reply.text
    assert availability(api, OFFICE, SERVICE, day, day)[day]["09:00"]["remaining"] == before - 1

    # the same key again: the first booking, not a second place; with another body: 422
    replay = book(api, citizen, OFFICE, SERVICE, day, "09:00", key=key)
    assert replay.status in (200, 201), replay
    assert replay.json()["booking_id"] == booking["booking_id"]
    assert replay.headers.get("idempotent-replayed") == "true", replay.headers
    assert availability(api, OFFICE, SERVICE, day, day)[day]["09:00"]["remaining"] == before - 1
    assert_problem(book(api, citizen, OFFICE, SERVICE, day, "10:00", key=key), 422, "VALIDATION_ERROR")
    # R9: one active booking per subject and service
    assert_problem(book(api, citizen, OFFICE, SERVICE, day, "10:00"), 409, "ALREADY_BOOKED")

    # R16: the booking SMS, with the reference
    api.wait_sms(citizen.phone, lambda m: booking["reference"] in m and "预约成功" in m, "confirming the booking")

    # list, get, confirmation
    reply = api.get("/v1/bookings", token=citizen.token)
    assert reply.status == 200, reply
    listed = reply.json()["bookings"]
    assert [b["booking_id"] for b in listed] == [booking["booking_id"]]
    reply = api.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token)
    assert reply.status == 200, reply
    assert reply.json()["reference"] == booking["reference"] and reply.json()["status"] == "booked"
    reply = api.get(
        f"/v1/bookings/{booking['booking_id']}/confirmation", token=citizen.token, headers={"Accept": "text/html"}
    )
    assert reply.status == 200, reply
    assert reply.content_type.startswith("text/html"), reply
    assert booking["reference"] in reply.text and "<html" in reply.text.lower()
    assert citizen.id_number not in reply.text

    # cancel (before 18:00 the day before): cancelled, counted, told by SMS; a second cancel is refused
    reply = api.post(f"/v1/bookings/{booking['booking_id']}/cancel", token=citizen.token)
    assert reply.status == 200, reply
    assert reply.json()["status"] == "cancelled"
    assert api.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token).json()["status"] == "cancelled"
    assert_problem(
        api.post(f"/v1/bookings/{booking['booking_id']}/cancel", token=citizen.token), 409, "NOT_CANCELLABLE"
    )
    api.wait_sms(citizen.phone, lambda m: booking["reference"] in m and "已取消" in m, "confirming the cancellation")
    me = api.get("/v1/me", token=citizen.token).json()
    assert me["restrictions"]["cancellations_this_month"] == 1, me

    # R9: after the cancellation the subject may book that service again
    again = booked(api, citizen, OFFICE, SERVICE, day, "10:00")
    assert again["booking_id"] != booking["booking_id"]
    listed = api.get("/v1/bookings", token=citizen.token).json()["bookings"]
    assert [b["booking_id"] for b in listed] == [again["booking_id"], booking["booking_id"]]  # newest first


def test_a_cancelled_place_does_not_return_to_the_pool_at_once(api: Api) -> None:
    """R10/R19: the place goes to the waitlist or back to the public pool after a random delay, never
    straight to whoever refreshes fastest."""
    citizen = register(api)
    day = cancellable_day(api, "sz-nanshan-yuehai-ps", SERVICE, "14:00")
    booking = booked(api, citizen, "sz-nanshan-yuehai-ps", SERVICE, day, "14:00")
    held = availability(api, "sz-nanshan-yuehai-ps", SERVICE, day, day)[day]["14:00"]["remaining"]
    reply = api.post(f"/v1/bookings/{booking['booking_id']}/cancel", token=citizen.token)
    assert reply.status == 200, reply
    past_the_caches(api)  # else the read would be the one before the cancellation, cached
    assert availability(api, "sz-nanshan-yuehai-ps", SERVICE, day, day)[day]["14:00"]["remaining"] == held


def test_me_shows_restrictions_and_other_peoples_bookings_are_not_found(api: Api) -> None:
    owner, other = register(api), register(api)
    me = api.get("/v1/me", token=owner.token)
    assert me.status == 200, me
    profile = me.json()
    restrictions = profile["restrictions"]
    assert {"suspended_until", "cancellations_this_month", "no_shows_in_six_months"} <= set(restrictions)
    assert restrictions["suspended_until"] is None
    assert restrictions["cancellations_this_month"] == 0 and restrictions["no_shows_in_six_months"] == 0
    assert profile["id_number"] == owner.id_number and profile["phone"] == owner.phone  # the owner's own profile

    day = cancellable_day(api, OFFICE, "ID_REISSUE")
    booking = booked(api, owner, OFFICE, "ID_REISSUE", day, "09:00")
    path = f"/v1/bookings/{booking['booking_id']}"
    # R13: somebody else's booking is answered as an unknown one
    assert_problem(api.get(path, token=other.token), 404, "NOT_FOUND")
    assert_problem(api.post(f"{path}/cancel", token=other.token), 404, "NOT_FOUND")
    assert_problem(api.get(f"{path}/confirmation", token=other.token), 404, "NOT_FOUND")
    assert_problem(api.get("/v1/bookings/" + "0" * 32, token=other.token), 404, "NOT_FOUND")
    assert api.get("/v1/bookings", token=other.token).json()["bookings"] == []
    assert api.get(path, token=owner.token).json()["status"] == "booked"  # untouched

    # no token, a forged one, another role's: the citizen routes refuse them
    assert_problem(api.get("/v1/me"), 401, "UNAUTHENTICATED")
    assert_problem(api.get(path), 401, "UNAUTHENTICATED")
    header, payload, _ = owner.token.split(".")
    assert_problem(api.get("/v1/me", token=f"{header}.{payload}.{'A' * 43}"), 401, "UNAUTHENTICATED")
    assert_problem(api.get("/v1/me", token="not-a-token"), 401, "UNAUTHENTICATED")


GUARDIAN_OFFICE = "gz-tianhe-centre"
MINOR_SERVICE = "ID_FIRST"  # a first ID card: `subject: minor` in data/demo.json


def _born_this_year(api: Api) -> date:
    return office_today(api) - timedelta(days=40)


def test_guardian_books_a_minors_business(api: Api) -> None:
    """R2: from the guardian's own account, naming the minor's ID number, once the account is linked to
    the minor (here by hall staff who saw the household register); the minor is the subject."""
    guardian = register(api)
    minor = new_minor_id(_born_this_year(api))
    day = cancellable_day(api, GUARDIAN_OFFICE, MINOR_SERVICE)

    # not linked yet: no booking, and no link on the guardian's word alone
    assert_problem(book(api, guardian, GUARDIAN_OFFICE, MINOR_SERVICE, day, "09:00", subject=minor), 403, "FORBIDDEN")
    assert_problem(api.post("/v1/guardian-links", {"minor_id_number": minor}, token=guardian.token), 403, "FORBIDDEN")
    # hall staff link the first guardian; the guardian is told by SMS
    staff = api.login(f"staff@{GUARDIAN_OFFICE}", "local-staff-pass")
    reply = api.post(
        f"/v1/offices/{GUARDIAN_OFFICE}/guardian-links",
        {"guardian_id_number": guardian.id_number, "minor_id_number": minor},
        token=staff,
    )
    assert reply.status == 202 and reply.json()["status"] == "pending", reply  # issue 21: a second clerk approves
    admin = api.login("admin", "local-admin-pass")
    reply = api.post(f"/v1/offices/{GUARDIAN_OFFICE}/identity-changes/{reply.json()['change_id']}/approve", token=admin)
    assert reply.status == 201, reply
    result = reply.json()["result"]
    assert result["status"] == "active" and mask_ok(result["minor_id_number"], minor), reply
    assert_problem(
        api.post(
            f"/v1/offices/{GUARDIAN_OFFICE}/guardian-links",
            {"guardian_id_number": guardian.id_number, "minor_id_number": minor},
            token=guardian.token,
        ),
        403,
        "FORBIDDEN",
    )

    booking = booked(api, guardian, GUARDIAN_OFFICE, MINOR_SERVICE, day, "09:00", subject=minor)
    assert mask_ok(booking["subject_id_number"], minor), booking
    assert booking["status"] == "booked" and booking["service_code"] == MINOR_SERVICE

    # the minor is the subject for R9: a second booking of that service for the child is refused...
    assert_problem(
        book(api, guardian, GUARDIAN_OFFICE, MINOR_SERVICE, day, "10:00", subject=minor), 409, "ALREADY_BOOKED"
    )
    # ...while the guardian's own business is not blocked by it
    own = booked(api, guardian, GUARDIAN_OFFICE, "ID_RENEW", day, "09:00")
    assert mask_ok(own["subject_id_number"], guardian.id_number)

    listed = {b["booking_id"]: b for b in api.get("/v1/bookings", token=guardian.token).json()["bookings"]}
    assert set(listed) == {booking["booking_id"], own["booking_id"]}
    assert mask_ok(listed[booking["booking_id"]]["subject_id_number"], minor)
    api.wait_sms(guardian.phone, lambda m: booking["reference"] in m, "confirming the minor's booking")

    # an adult who is not the caller cannot be a subject
    assert_problem(
        book(api, guardian, GUARDIAN_OFFICE, "ID_REISSUE", day, "09:00", subject=new_adult_id()), 403, "FORBIDDEN"
    )
    # a minor's ID number must still be a valid one
    bad = minor[:-1] + ("0" if minor[-1] != "0" else "1")
    reply = book(api, guardian, GUARDIAN_OFFICE, "ID_FIRST", day, "09:00", subject=bad)
    assert reply.status in (400, 422), reply
    assert_problem(reply, reply.status, "VALIDATION_ERROR")

    # the other parent: a pending request, confirmed with the code the first guardian receives
    other_parent = register(api)
    reply = api.post("/v1/guardian-links", {"minor_id_number": minor}, token=other_parent.token)
    assert reply.status == 202 and reply.json()["status"] == "pending", reply
    assert_problem(
        book(api, other_parent, GUARDIAN_OFFICE, "HR_MOVE_IN", day, "09:00", subject=minor), 403, "FORBIDDEN"
    )
    code = sms_code(api, guardian.phone, lambda m: "监护人" in m)
    reply = api.post("/v1/guardian-links/confirm", {"minor_id_number": minor, "code": code}, token=other_parent.token)
    assert reply.status == 200 and reply.json()["status"] == "active", reply
    second = booked(api, other_parent, GUARDIAN_OFFICE, "HR_MOVE_IN", day, "09:00", subject=minor)
    assert mask_ok(second["subject_id_number"], minor)


def test_a_stranger_cannot_book_for_somebody_elses_child(api: Api) -> None:
    """R2: 'A stranger naming someone else's child must not be able to block or sanction that child:
    the link between a guardian account and a minor is established before it can book.'"""
    stranger = register(api)
    child = new_minor_id(_born_this_year(api))
    day = cancellable_day(api, "gz-huadu-centre", MINOR_SERVICE)
    assert_problem(book(api, stranger, "gz-huadu-centre", MINOR_SERVICE, day, "09:00", subject=child), 403, "FORBIDDEN")
    assert_problem(api.post("/v1/guardian-links", {"minor_id_number": child}, token=stranger.token), 403, "FORBIDDEN")
    listed = api.get("/v1/guardian-links", token=stranger.token)
    assert listed.status == 200, listed
    assert all(link["status"] != "active" for link in listed.json()["links"]), listed


ATTEMPTS = 40


def test_booking_attempts_are_limited_per_account(api: Api) -> None:
    """RATE_LIMITED 429 with Retry-After: one account hammering POST /v1/bookings (here with refused
    walk-in-only attempts) is slowed down; another account is not."""
    hammer, bystander = register(api), register(api)
    day = cancellable_day(api, OFFICE, SERVICE)
    body = {
        "office_id": OFFICE,
        "service_code": "WALK_CONSULT",
        "date": day,
        "start": "09:00",
        "notice_acknowledged": True,
    }
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(_: int) -> Reply:  # all at once: the limit is 10 at once, then one a second
        barrier.wait(timeout=60)
        return api.post("/v1/bookings", body, token=hammer.token, headers={"Idempotency-Key": uuid.uuid4().hex})

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        replies = list(pool.map(attempt, range(ATTEMPTS)))
    limited = [r for r in replies if r.status == 429]
    assert limited, [r.status for r in replies]
    assert_problem(limited[0], 429, "RATE_LIMITED")
    assert int(limited[0].headers["retry-after"]) >= 1, limited[0].headers
    assert all(r.status in (409, 429) for r in replies), [r.status for r in replies]
    assert_problem(book(api, bystander, OFFICE, "WALK_CONSULT", day, "09:00"), 409, "WALK_IN_ONLY")
