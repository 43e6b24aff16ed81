"""R18 the waitlist and R19 the delayed return of cancelled places on DynamoDB: what only it shows -
the routes (status, problem code, body shape, an attacker's attempts), a capacity raise and a hall's
closure writing through their own store modules, and the slot's counters they keep. The rules
themselves (joining, order of offers, hold time, lapse, accept, leave, cut-off, closure, fifty waiting)
are tests/unit/test_waitlist_services.py's, on the in-memory stores; the races are tests/races'."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import accounts, bookings, closures, timetables, waitlist
from hallbook.services.tokens import Caller
from hallbook.store import catalog, readcache
from hallbook.store import slots as slot_store
from hallbook.store import waitlist as wait_store
from hallbook.store.accounts import AccountItem, account_key
from hallbook.store.bookings import Booking, BookingItem
from hallbook.web.models_waitlist import WaitlistOut
from tests.support import (
    OFFICE,
    SERVICE,
    auth,
    new_identity,
    open_office,
    problem,
    put_test_office,
    registered,
)

DAY = "2026-09-15"  # START is Monday 2026-09-14 09:00; the cut-off of DAY is 2026-09-14 18:00
D = date.fromisoformat(DAY)


@pytest.fixture
def office(system):
    return open_office(system, capacity=2, days=3)


def citizens(n: int) -> list[Caller]:
    """Verified citizens made through the registration service (no HTTP, no SMS round trip)."""
    made = []
    for _ in range(n):
        idn, phone = new_identity()
        account = accounts.register("李四", idn, phone, "secret-pass-1", "zh", now())
        AccountItem(account_key(account.account_id)).update(actions=[AccountItem.phone_verified.set(True)])
        made.append(Caller(account.account_id, "citizen", None, True))
    return made


def book(caller: Caller, start: str = "09:00", day: str = DAY) -> Booking:
    return bookings.book(caller, bookings.BookingRequest(OFFICE, SERVICE, day, start, True), None, now())[0]


def join(caller: Caller, start: str | None = "09:00", day: str = DAY, **kw) -> dict:
    entry = waitlist.join(caller, waitlist.JoinRequest(OFFICE, SERVICE, day, start, **kw), now())
    return WaitlistOut.of(entry).model_dump()


def slot(start: str = "09:00"):
    return slot_store.get_slot(OFFICE, SERVICE, D, start)


def status(entry: dict) -> str:
    return wait_store.get_entry(entry["waitlist_id"]).status


def booked_count(start: str = "09:00") -> int:
    return sum(1 for i in BookingItem.scan() if i.date == DAY and i.start == start and i.status == "booked")


def until_returned(system) -> None:
    """R19: move the clock past every delayed place's return instant (its minute's timer run)."""
    returns = [p.return_at for p in wait_store.places_of_day(OFFICE, SERVICE, D) if p.state == "delayed"]
    assert returns and all(r > now() for r in returns)  # never at once
    system.move_clock(max(returns) + timedelta(seconds=61))


def assert_places_add_up(capacity: int, start: str = "09:00") -> None:
    """R7: bookings + held/delayed places never exceed capacity, and `held` is exactly the place items."""
    s = slot(start)
    places = wait_store.places_of_day(OFFICE, SERVICE, D)
    assert s.booked <= capacity
    assert s.held == len([p for p in places if p.start == start])
    assert s.bookings == booked_count(start)


@pytest.mark.R18
def test_an_office_cancellation_and_a_capacity_raise_are_not_delayed_and_go_to_the_waitlist(office):
    holders, (first, second) = citizens(2), citizens(2)
    for h in holders:
        book(h)
    with pytest.raises(errors.InvalidState):  # the day is not full: 09:30 is free
        join(first, start=None)
    e1, e2 = join(first), join(second)
    put_test_office(capacity=3)  # a capacity raise: one more place, offered at once to the first waiting
    timetables.apply_timetable(catalog.load_catalog(max_age=0).offices[OFFICE], [SERVICE], now())
    assert status(e1) == "offered" and status(e2) == "waiting"
    assert slot().booked == 3 and slot().held == 1 and slot().remaining == 0
    assert_places_add_up(3)


@pytest.mark.R18
def test_an_office_closure_ends_the_days_offers_and_entries_and_counts_its_bookings_right(office):
    holders, (first, second) = citizens(2), citizens(2)
    made = [book(h) for h in holders]
    e1, e2 = join(first), join(second)
    bookings.cancel(holders[0], made[0].booking_id, now())  # an offer to `first`
    admin = Caller(
        accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now()).account_id, "admin"
    )
    result = closures.close_day(admin, OFFICE, DAY, "停电检修", now())
    assert result["bookings_cancelled"] == 1
    assert status(e1) == "ended" and status(e2) == "ended"
    assert slot().held == 0 and slot().booked == 0 and wait_store.places_of_day(OFFICE, SERVICE, D) == []
    assert_places_add_up(2)


# ---------------------------------------------------------------- the routes, and an attacker's attempts


def full_day(api, system) -> None:
    for start in ("09:00", "09:30"):
        for _ in range(2):
            assert registered(system).book(DAY, start=start).status == 201


@pytest.mark.R18
def test_the_routes_join_list_accept_and_refuse_what_they_must(office, api):
    full_day(api, office)
    me, other = registered(office), registered(office)
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": DAY}
    problem(api.invoke("POST", "/v1/waitlist", body=body), 401, "UNAUTHENTICATED")
    problem(
        api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body={**body, "colour": "red"}),
        422,
        "VALIDATION_ERROR",
    )
    r = api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body=body)
    assert r.status == 201, r.text
    entry = r.json()
    assert entry["status"] == "waiting" and entry["start"] is None and entry["offer"] is None
    assert entry["subject_id_number"].count("*") >= 10 and entry["ends_at"].startswith("2026-09-14T18:00")
    # R9: the entry is the subject's active booking of the service. (While this environment knows the
    # day has full slots - a mark's second, renewed by its once-a-second day read for a minute - its
    # negative cache answers SLOT_FULL first, without reading the subject: both refusals are true;
    # past that minute the subject is read.)
    office.clock.advance(timedelta(seconds=readcache.FULL_DAY_SECONDS + 1))
    problem(me.book(DAY, start="09:30"), 409, "ALREADY_BOOKED")
    problem(
        api.invoke(
            "POST",
            "/v1/waitlist",
            headers=auth(me.token),
            body={"office_id": OFFICE, "service_code": SERVICE, "date": DAY},
        ),
        409,
        "ALREADY_BOOKED",
    )
    listed = api.invoke("GET", "/v1/waitlist", headers=auth(me.token)).json()["entries"]
    assert [e["waitlist_id"] for e in listed] == [entry["waitlist_id"]]
    assert api.invoke("GET", "/v1/waitlist", headers=auth(other.token)).json()["entries"] == []

    path = f"/v1/waitlist/{entry['waitlist_id']}"
    # another citizen can neither accept nor delete my entry: 404, as an unknown one
    problem(
        api.invoke("POST", f"{path}/accept", headers=auth(other.token), body={"notice_acknowledged": True}),
        404,
        "NOT_FOUND",
    )
    problem(api.invoke("DELETE", path, headers=auth(other.token)), 404, "NOT_FOUND")
    problem(api.invoke("DELETE", "/v1/waitlist/" + "0" * 32, headers=auth(me.token)), 404, "NOT_FOUND")
    problem(
        api.invoke("POST", f"{path}/accept", headers=auth(me.token), body={"notice_acknowledged": True}),
        409,
        "INVALID_STATE",
    )  # nothing offered yet
    problem(api.invoke("DELETE", path), 401, "UNAUTHENTICATED")

    # a place frees: offered to me, accepted as a booking
    first = [b for b in BookingItem.scan() if b.date == DAY and b.start == "09:30" and b.status == "booked"][0]
    bookings.cancel(Caller(first.account_id, "citizen", None, True), first.booking_id, now())
    waiting = api.invoke("GET", "/v1/waitlist", headers=auth(me.token)).json()["entries"][0]
    assert waiting["status"] == "waiting"  # R19: the place comes back after its delay, not at once
    until_returned(office)
    offered = api.invoke("GET", "/v1/waitlist", headers=auth(me.token)).json()["entries"][0]
    assert offered["status"] == "offered" and offered["offer"]["start"] == "09:30", offered
    problem(
        api.invoke("POST", f"{path}/accept", headers=auth(me.token), body={"notice_acknowledged": False}),
        422,
        "NOTICE_NOT_ACKNOWLEDGED",
    )
    r = api.invoke("POST", f"{path}/accept", headers=auth(me.token), body={"notice_acknowledged": True})
    assert r.status == 201, r.text
    booking = r.json()
    assert booking["status"] == "booked" and booking["start"] == "09:30"
    again = api.invoke("POST", f"{path}/accept", headers=auth(me.token), body={"notice_acknowledged": True})
    assert again.status == 200 and again.json()["booking_id"] == booking["booking_id"]
    assert me.get(f"/v1/bookings/{booking['booking_id']}").json()["status"] == "booked"
    problem(api.invoke("DELETE", path, headers=auth(me.token)), 409, "INVALID_STATE")
    office.pump.drain()
    assert any(booking["reference"] in m["message"] for m in office.sms_messages(me.phone))
