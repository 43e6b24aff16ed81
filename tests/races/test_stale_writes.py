"""The conditions of the booking transactions, each met by a write that lands between a use case's read
and its write: the use case decides on a stale read, and only the DynamoDB condition (store.bookings:
take_service_lock, not_suspended, change_status) stands between it and a broken rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.domain import errors
from hallbook.domain.sanctions import CANCELS_PER_MONTH, SubjectRecord, month_key
from hallbook.services import bookings, sweep
from hallbook.services.tokens import Caller
from hallbook.store import accounts as account_store
from hallbook.store import bookings as store
from hallbook.store import hall_queue
from hallbook.store import slots as slot_store
from hallbook.store.bookings import BookingItem, SubjectItem, subject_key
from tests.support import OFFICE, SERVICE, put_test_office, registered, release_days

DAY = "2026-09-15"  # tomorrow at START


@pytest.fixture
def citizen(system) -> tuple[Caller, str]:
    """A verified citizen as the use cases see them, and their ID number."""
    put_test_office(capacity=2)
    release_days(3)
    c = registered(system, login=False)
    return Caller(account_store.find_account_id(f"ID#{c.id_number}"), "citizen", None, True), c.id_number


def request(start: str) -> bookings.BookingRequest:
    return bookings.BookingRequest(OFFICE, SERVICE, DAY, start, True, None)


def after_read(monkeypatch, name: str, write) -> list[bool]:
    """store.<name> reads as before, then lets `write` land once before the caller gets the read."""
    original = getattr(store, name)
    landed: list[bool] = []

    def read(*args, **kwargs):
        found = original(*args, **kwargs)
        if not landed:
            landed.append(True)
            write()
        return found

    monkeypatch.setattr(store, name, read)
    return landed


def subject_bookings(id_number: str) -> dict[str, str]:
    return {i.start: i.status for i in BookingItem.scan() if i.subject_id_number == id_number and i.date == DAY}


def booked_in(start: str) -> int:
    slot = slot_store.get_slot(OFFICE, SERVICE, date.fromisoformat(DAY), start)
    assert slot is not None
    return slot.booked


def test_a_booking_for_the_service_landing_after_the_read_makes_the_second_already_booked(citizen, monkeypatch):
    caller, id_number = citizen
    landed = after_read(
        monkeypatch, "read_for_booking", lambda: bookings.book(caller, request("09:30"), "the-other", now())
    )
    with pytest.raises(errors.AlreadyBooked):  # the read saw no lock: the subject's condition refuses (R9)
        bookings.book(caller, request("09:00"), "the-stale-one", now())
    assert landed
    assert subject_bookings(id_number) == {"09:30": "booked"}
    assert (booked_in("09:00"), booked_in("09:30")) == (0, 1)
    assert store.get_subject(id_number).active_services == {SERVICE}


def _cancellations(id_number: str, today: date) -> SubjectRecord:
    SubjectItem(subject_key(id_number)).update(
        actions=[SubjectItem.cancel_month.set(month_key(today)), SubjectItem.cancel_count.set(CANCELS_PER_MONTH)]
    )
    return SubjectRecord(cancellations={month_key(today): CANCELS_PER_MONTH})


def _no_shows(id_number: str, today: date) -> SubjectRecord:
    record = SubjectRecord(no_shows=[today - timedelta(days=d) for d in (60, 30, 1)])
    suspension = record.no_show_suspension()
    assert suspension is not None
    SubjectItem(subject_key(id_number)).update(
        actions=[
            SubjectItem.no_shows.set([d.isoformat() for d in record.no_shows]),
            SubjectItem.noshow_until.set(suspension.until.isoformat()),
        ]
    )
    return record


@pytest.mark.parametrize("suspend", [_cancellations, _no_shows], ids=["R11", "R12"])
def test_a_suspension_written_after_the_read_refuses_the_booking(citizen, monkeypatch, suspend):
    caller, id_number = citizen
    at = now()
    records: list[SubjectRecord] = []
    after_read(monkeypatch, "read_for_booking", lambda: records.append(suspend(id_number, at.date())))
    with pytest.raises(errors.Suspended) as refused:  # the read saw no suspension: the condition refuses
        bookings.book(caller, request("09:00"), "k", at)
    suspension = records[0].suspension(at)
    assert suspension is not None and refused.value.extra["suspended_until"] == suspension.until.isoformat()
    assert subject_bookings(id_number) == {}
    assert booked_in("09:00") == 0
    assert store.get_subject(id_number).active_services == set()


def test_a_cancellation_of_a_booking_checked_in_after_the_read_is_not_cancellable(citizen, monkeypatch):
    caller, id_number = citizen
    body, _ = bookings.book(caller, request("09:00"), "k", now())
    booking = store.get_booking(body.booking_id)
    assert booking is not None
    at = now()
    # the cancellation read the booking `booked`; the hall checks it in before the cancellation writes
    after_read(monkeypatch, "get_subject", lambda: hall_queue.check_in(booking, at, at))
    with pytest.raises(errors.NotCancellable):
        bookings.cancel(caller, booking.booking_id, at)
    after = store.get_booking(booking.booking_id)
    assert after is not None and after.status == "checked_in"
    subject = store.get_subject(id_number)
    assert (subject.cancel_count, subject.active_services) == (0, set())  # R11 not counted, R9 released once
    slot = slot_store.get_slot(OFFICE, SERVICE, date.fromisoformat(DAY), "09:00")
    assert slot is not None and (slot.booked, slot.held) == (1, 0)  # the place stays the checked-in booking's


def test_a_no_show_of_a_booking_cancelled_after_the_sweep_read_it_is_not_recorded(citizen, system, monkeypatch):
    caller, id_number = citizen
    body, _ = bookings.book(caller, request("09:00"), "k", now())
    system.clock.set(datetime.fromisoformat(f"{DAY}T12:00").replace(tzinfo=SHANGHAI))
    at = system.clock.now()
    stale = store.get_booking(body.booking_id)
    assert stale is not None
    # the sweep read the booking `booked`; a hall closure cancels it before the sweep writes
    after_read(monkeypatch, "get_subjects", lambda: bookings.cancel_booking(stale, at, by="hall", reason="停电"))
    result = sweep.sweep(at)
    assert (result.due, result.no_shows, result.skipped) == (1, 0, 1)
    after = store.get_booking(stale.booking_id)
    assert after is not None and after.status == "cancelled"
    assert store.get_subject(id_number).no_shows == []  # R12 not counted


@pytest.mark.R20
def test_a_proxy_booking_after_its_revocation_was_written_is_refused(system, monkeypatch) -> None:
    """R20: the citizen revokes their family proxy while the proxy's booking is under way (after the
    authorisation was checked, before the booking's transaction): the booking is refused and nothing
    is written. The authorisation as read is a condition of the booking's own transaction."""
    from tests.api.test_proxies import authorised, book_for

    put_test_office(capacity=2)
    release_days(3)
    father, son = registered(system, born="19480305"), registered(system)
    proxy_id = authorised(system, son, father)

    def revoke() -> None:
        r = father.api.invoke("DELETE", f"/v1/proxies/{proxy_id}", headers={"Authorization": f"Bearer {father.token}"})
        assert r.status == 200 and r.json()["status"] == "revoked", r.text

    landed = after_read(monkeypatch, "read_for_booking", revoke)
    r = book_for(son, proxy_id, DAY, "k1")
    assert landed == [True]
    assert r.status == 404 and r.json()["code"] == "NOT_FOUND", r.text
    assert subject_bookings(father.id_number) == {} and booked_in("09:00") == 0
