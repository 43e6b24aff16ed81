"""R18 the waitlist and R19 the delayed return of cancelled places, through the services the handlers
call (many citizens) and through the gateway (the routes, their refusals, an attacker's attempts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.domain import errors
from hallbook.services import accounts, bookings, catalog_admin, closures, waitlist
from hallbook.services.tokens import Caller
from hallbook.store import accounts as account_store
from hallbook.store import catalog, readcache
from hallbook.store import slots as slot_store
from hallbook.store import waitlist as wait_store
from hallbook.store.accounts import AccountItem, account_key
from hallbook.store.bookings import Booking, BookingItem, get_subject
from hallbook.web.models_waitlist import WaitlistOut
from tests.idnumbers import id_number
from tests.support import (
    CHILD_SERVICE,
    OFFICE,
    SERVICE,
    auth,
    link_guardian,
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


@pytest.mark.slow
@pytest.mark.R18
@pytest.mark.R19
def test_fifty_waiting_five_cancellations_five_offers_in_order_two_time_out_three_accept(office, monkeypatch):
    from hallbook.domain.waitlist import DelayRange

    monkeypatch.setattr(waitlist, "delay_range", lambda: DelayRange(5, 10))  # every offer made within its hold
    put_test_office(capacity=5)
    catalog_admin.apply_timetable(catalog.load_catalog(max_age=0).offices[OFFICE], [SERVICE], now())
    holders, waiting = citizens(5), citizens(50)
    made = [book(h) for h in holders]
    entries = [join(w) for w in waiting]
    assert [e["status"] for e in entries] == ["waiting"] * 50

    for holder, booking in zip(holders, made):
        bookings.cancel(holder, booking.booking_id, now())
        assert_places_add_up(5)
    # R19: nobody is offered a cancelled place before its return instant, waiting or not
    assert [status(e) for e in entries] == ["waiting"] * 50
    places = wait_store.places_of_day(OFFICE, SERVICE, D)
    returns = sorted(p.return_at for p in places)
    assert len(returns) == 5 and returns[0] >= now() + timedelta(minutes=5)
    office.move_clock(returns[0] - timedelta(seconds=1))
    assert [status(e) for e in entries] == ["waiting"] * 50
    office.move_clock(returns[-1] + timedelta(seconds=61))  # every return's minute has run
    offered = [i for i, e in enumerate(entries) if status(e) == "offered"]
    assert offered == [0, 1, 2, 3, 4]  # join order
    assert slot().booked == 5 and slot().held == 5 and slot().remaining == 0

    office.pump.drain()
    offer = wait_store.get_entry(entries[0]["waitlist_id"])
    until = offer.offer_until.astimezone(SHANGHAI).strftime("%H:%M")
    made_at = offer.offer_until - timedelta(minutes=20)
    assert returns[0] <= made_at <= returns[0] + timedelta(seconds=60)  # at the minute's run after its return
    phone = account_store.get_account(waiting[0].account_id).phone
    assert any("候补" in m["message"] and until in m["message"] for m in office.sms_messages(phone))

    for i in (2, 3, 4):
        booking, created = waitlist.accept(waiting[i], entries[i]["waitlist_id"], True, now())
        assert created and booking.status == "booked" and booking.start == "09:00"
        assert_places_add_up(5)
    assert booked_count() == 3

    office.move_clock(now() + timedelta(minutes=25))  # the two other offers time out and are delayed again
    assert [status(e) for e in entries[:3]] == ["timed_out", "timed_out", "accepted"]
    office.move_clock(now() + timedelta(minutes=11))  # their fresh delays have passed: the next two are offered
    assert [status(e) for e in entries[:8]] == [
        "timed_out",
        "timed_out",
        "accepted",
        "accepted",
        "accepted",
        "offered",
        "offered",
        "waiting",
    ]
    assert all(status(e) == "waiting" for e in entries[7:])
    assert_places_add_up(5)
    assert slot().booked == 5 and slot().held == 2 and booked_count() == 3
    # nobody holds two: the R9 lock is each one's only active entry or booking
    for i, caller in enumerate(waiting):
        subject = get_subject(account_store.get_account(caller.account_id).id_number)
        assert (SERVICE in subject.active_services) == (i >= 2), i
    with pytest.raises(errors.InvalidState):
        waitlist.accept(waiting[0], entries[0]["waitlist_id"], True, now())


@pytest.mark.R19
def test_a_cancelled_place_nobody_waits_for_returns_within_the_delay_range_and_never_at_once(office):
    holder, rival = citizens(2)
    made = book(holder)
    book(citizens(1)[0])
    bookings.cancel(holder, made.booking_id, now())
    assert slot().remaining == 0 and slot().held == 1
    (place,) = wait_store.places_of_day(OFFICE, SERVICE, D)
    delay = place.return_at - now()
    assert timedelta(minutes=5) <= delay <= timedelta(minutes=30)
    with pytest.raises(errors.SlotFull):
        book(rival)
    office.move_clock(now() + delay - timedelta(seconds=61))  # a minute before: still away
    assert slot().remaining == 0
    office.move_clock(place.return_at + timedelta(minutes=5))  # the next run of the timers
    assert slot().remaining == 1 and slot().held == 0 and wait_store.places_of_day(OFFICE, SERVICE, D) == []
    assert book(rival).status == "booked"


@pytest.mark.R19
def test_the_delays_are_drawn_uniformly_from_the_configured_range():
    from hallbook.domain.waitlist import DelayRange

    draws = [DelayRange(5, 30).draw() for _ in range(400)]
    assert all(timedelta(minutes=5) <= d <= timedelta(minutes=30) for d in draws)
    assert min(draws) < timedelta(minutes=8) and max(draws) > timedelta(minutes=27)  # spread, not one value
    assert len(set(draws)) > 300
    with pytest.raises(ValueError):
        DelayRange(30, 5)


@pytest.mark.R19
def test_a_delay_that_would_pass_the_cut_off_returns_the_place_at_once(office):
    office.move_clock(datetime(2026, 9, 14, 17, 56, tzinfo=SHANGHAI))  # + 5 minutes is past 18:00
    holder, other = citizens(2)
    made = book(holder)
    book(other)
    bookings.cancel(holder, made.booking_id, now())
    assert slot().remaining == 1 and slot().held == 0


@pytest.mark.R18
def test_an_office_cancellation_and_a_capacity_raise_are_not_delayed_and_go_to_the_waitlist(office):
    holders, (first, second) = citizens(2), citizens(2)
    for h in holders:
        book(h)
    with pytest.raises(errors.InvalidState):  # the day is not full: 09:30 is free
        join(first, start=None)
    e1, e2 = join(first), join(second)
    put_test_office(capacity=3)  # a capacity raise: one more place, offered at once to the first waiting
    catalog_admin.apply_timetable(catalog.load_catalog(max_age=0).offices[OFFICE], [SERVICE], now())
    assert status(e1) == "offered" and status(e2) == "waiting"
    assert slot().booked == 3 and slot().held == 1 and slot().remaining == 0


@pytest.mark.R18
def test_a_declined_offer_passes_to_the_next_and_a_lapsed_cancelled_place_is_delayed_again(office):
    holders, (first, second) = citizens(2), citizens(2)
    made = [book(h) for h in holders]
    e1, e2 = join(first), join(second)
    bookings.cancel(holders[0], made[0].booking_id, now())
    assert status(e1) == "waiting"  # R19: not at once
    until_returned(office)
    assert status(e1) == "offered"
    left = waitlist.leave(first, e1["waitlist_id"], now())
    assert left.status == "declined" and status(e2) == "waiting"  # a declined place is delayed again (R19)
    until_returned(office)
    assert status(e2) == "offered"
    assert SERVICE not in get_subject(account_store.get_account(first.account_id).id_number).active_services
    waitlist.leave(second, e2["waitlist_id"], now())  # nobody left waiting: a fresh delay, not the pool
    assert slot().remaining == 0 and slot().held == 1
    (place,) = wait_store.places_of_day(OFFICE, SERVICE, D)
    assert place.state == "delayed" and place.return_at - now() >= timedelta(minutes=5)
    assert_places_add_up(2)


@pytest.mark.R18
def test_waiting_entries_end_at_the_cut_off_with_an_sms(office):
    holders, (waiter,) = citizens(2), citizens(1)
    for h in holders:
        book(h)
    entry = join(waiter)
    office.move_clock(datetime(2026, 9, 14, 18, 3, tzinfo=SHANGHAI))  # the 18:02 run
    assert status(entry) == "ended"
    subject = get_subject(account_store.get_account(waiter.account_id).id_number)
    assert SERVICE not in subject.active_services
    office.pump.drain()
    phone = account_store.get_account(waiter.account_id).phone
    assert any("候补已于取消截止时间结束" in m["message"] for m in office.sms_messages(phone))


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


# ---------------------------------------------------------------- the routes, and an attacker's attempts


def full_day(api, system) -> None:
    for start in ("09:00", "09:30"):
        for _ in range(2):
            assert registered(system).book(DAY, start=start).status == 201


@pytest.mark.R18
def test_the_routes_join_list_accept_and_refuse_what_they_must(office, api):
    full_day(api, office)
    me, other = registered(office), registered(office)
    r = api.invoke(
        "POST", "/v1/waitlist", headers=auth(me.token), body={"office_id": OFFICE, "service_code": SERVICE, "date": DAY}
    )
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


@pytest.mark.R18
def test_joining_is_refused_like_a_booking(office, api):
    me = registered(office)
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": DAY, "start": "09:00"}
    problem(api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body=body), 409, "INVALID_STATE")  # free
    problem(
        api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body={**body, "date": "2026-09-14"}),
        409,
        "OUTSIDE_WINDOW",
    )
    problem(
        api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body={**body, "start": "07:00"}), 409, "NO_SUCH_SLOT"
    )
    problem(
        api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body={**body, "service_code": "WALK_CONSULT"}),
        409,
        "WALK_IN_ONLY",
    )
    problem(
        api.invoke("POST", "/v1/waitlist", headers=auth(me.token), body={**body, "colour": "red"}),
        422,
        "VALIDATION_ERROR",
    )
    problem(api.invoke("POST", "/v1/waitlist", body=body), 401, "UNAUTHENTICATED")
    unverified = registered(office, verify=False)
    full_day(api, office)
    problem(api.invoke("POST", "/v1/waitlist", headers=auth(unverified.token), body=body), 403, "PHONE_NOT_VERIFIED")


@pytest.mark.R18
def test_a_stranger_naming_someones_child_cannot_wait_for_them(office, api):
    stranger = registered(office)
    child = id_number("440305", "20250101", "871")
    for n in range(3):
        guardian = registered(office)
        minor = id_number("440305", "20250101", f"{880 + n:03d}")
        link_guardian(office, guardian, minor)
        assert guardian.book(DAY, start="10:00", service=CHILD_SERVICE, subject_id_number=minor).status == 201
    body = {"office_id": OFFICE, "service_code": CHILD_SERVICE, "date": DAY, "subject_id_number": child}
    problem(api.invoke("POST", "/v1/waitlist", headers=auth(stranger.token), body=body), 403, "FORBIDDEN")
    assert get_subject(child).active_services == set()  # the child is neither blocked nor counted
