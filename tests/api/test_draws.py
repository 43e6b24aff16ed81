"""R23 fair release through the gateway and the draw job, on the embedded AWS: the routes' contract
(the administrator's setting, DRAW_OPEN, DRAW_CLOSED, one entry per subject however its ID number is
written, the public record recomputed from its published seed), the winners' bookings written with
their entries in one transaction (the guard), and a crash in the middle of a draw with its lease. The
rules' variations are tests/unit/test_draw_services.py's, on the in-memory stores."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date, datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI, now
from hallbook.services import draw_run
from hallbook.store import draw_entries as draw_entry_store
from hallbook.store import draws as draw_store
from hallbook.store import slots as slot_store
from hallbook.store.bookings import BookingItem
from tests.idnumbers import id_number
from tests.support import OFFICE, SERVICE, auth, link_guardian, login, open_office, problem, registered, sms_texts

pytestmark = pytest.mark.R23

DAY = "2026-09-28"  # START is Monday 2026-09-14 09:00; shenzhen's window is 14 days: the 12:00 release opens DAY
DRAW_ID = f"shenzhen.{SERVICE}.{DAY}"
NOON = datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def drawn(system):
    open_office(system, capacity=2, days=16)  # two slots of 2 places: 4 places on DAY
    admin = login(system.gateway, "admin", "local-admin-pass") if _seeded_admin(system) else None
    r = system.gateway.invoke(
        "PUT", f"/v1/regions/shenzhen/draws/{SERVICE}", headers=auth(admin), body={"entry_minutes": 10}
    )
    assert r.status == 200, r.text
    assert r.json() == {
        "region": "shenzhen",
        "service_code": SERVICE,
        "entry_minutes": 10,
        "drawn": True,
        "from_day": DAY,
        "until_day": None,
        "next_draw_id": DRAW_ID,
    }
    return system


def _seeded_admin(system) -> bool:
    from hallbook.services import accounts

    accounts.create_staff_account("admin", "local-admin-pass", "admin", "管理员", None, now())
    return True


def enter(citizen, key: str = "e1", **body):
    payload = {"office_id": OFFICE, "service_code": SERVICE, "date": DAY, "starts": None, **body}
    return citizen.api.invoke("POST", "/v1/draw-entries", headers=auth(citizen.token, key), body=payload)


def my_entries(citizen) -> list[dict]:
    r = citizen.get("/v1/draw-entries")
    assert r.status == 200, r.text
    return r.json()["entries"]


def test_only_administrators_mark_services_drawn(system, api):
    open_office(system)
    citizen = registered(system)
    path = f"/v1/regions/shenzhen/draws/{SERVICE}"
    problem(api.invoke("PUT", path, body={"entry_minutes": 10}), 401, "UNAUTHENTICATED")
    problem(api.invoke("PUT", path, headers=auth(citizen.token), body={"entry_minutes": 10}), 403, "FORBIDDEN")
    problem(api.invoke("DELETE", path, headers=auth(citizen.token)), 403, "FORBIDDEN")
    _seeded_admin(system)
    admin = login(api, "admin", "local-admin-pass")
    problem(api.invoke("PUT", path, headers=auth(admin), body={"entry_minutes": 0}), 422, "VALIDATION_ERROR")
    problem(
        api.invoke("PUT", f"/v1/regions/nowhere/draws/{SERVICE}", headers=auth(admin), body={"entry_minutes": 10}),
        404,
        "NOT_FOUND",
    )
    problem(api.invoke("DELETE", path, headers=auth(admin)), 404, "NOT_FOUND")  # not drawn yet


def test_a_drawn_day_is_entered_not_booked_and_the_draw_is_public_and_booked_in_the_transaction(drawn, api):
    """The routes' contract and what DynamoDB does with a draw (the rules' variations - preferences,
    R8-R12 at the allocation, the SMS, the losers' waitlist, a second run - are
    tests/unit/test_draw_services.py's)."""
    system = drawn
    record = api.invoke("GET", f"/v1/draws/{DRAW_ID}").json()
    assert record["state"] == "open" and record["seed"] is None and len(record["seed_sha256"]) == 64
    assert record["opens_at"].startswith("2026-09-14T12:00") and record["closes_at"].startswith("2026-09-14T12:10")
    problem(enter(registered(system)), 409, "DRAW_CLOSED")  # before 12:00

    system.move_clock(NOON + timedelta(seconds=30))
    citizens = [registered(system) for _ in range(4)]
    problem(citizens[0].book(DAY), 409, "DRAW_OPEN")  # no first-come while the draw is open

    # a guardian enters for a minor once, however the minor's number is written
    guardian = citizens[0]
    minor = id_number("440305", "20150101", "777")
    link_guardian(system, guardian, minor)
    wide = unicodedata.normalize("NFKC", minor).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert wide != minor
    r = enter(guardian, "g1", subject_id_number=minor, waitlist=True)
    assert r.status == 201, r.text
    problem(enter(guardian, "g2", subject_id_number=wide), 409, "ALREADY_BOOKED")
    assert enter(guardian, "g1", subject_id_number=minor).json()["entry_id"] == r.json()["entry_id"]  # a retry

    made = [r.json()]
    for n, citizen in enumerate(citizens):
        r = enter(citizen, starts=["09:30", "09:00"] if n % 2 else None)
        assert r.status == 201, r.text
        assert r.json()["status"] == "entered" and r.json()["closes_at"].startswith("2026-09-14T12:10")
        made.append(r.json())
    problem(enter(citizens[1], starts=["09:00", "09:00"]), 422, "VALIDATION_ERROR")
    assert api.invoke("GET", f"/v1/draws/{DRAW_ID}").json()["places"] == 4

    system.move_clock(NOON + timedelta(minutes=10, seconds=30))  # closed, not yet drawn
    problem(enter(registered(system)), 409, "DRAW_CLOSED")

    system.move_clock(NOON + timedelta(minutes=11, seconds=30))  # the 12:11 run draws it
    for citizen in citizens:
        citizen.login()
    record = api.invoke("GET", f"/v1/draws/{DRAW_ID}").json()
    assert record["state"] == "drawn" and record["entries"] == 5 and record["winners"] == 4, record
    seed = record["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == record["seed_sha256"]  # the seed committed to at noon
    ids = sorted(e["entry_id"] for e in made)
    assert record["entries_sha256"] == hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()

    # recomputed by hand from the published seed: ranks by SHA-256(seed \n entry id); the 4 first win
    order = sorted(ids, key=lambda i: hashlib.sha256(f"{seed}\n{i}".encode()).hexdigest())
    outcome = {e["entry_id"]: e for c in citizens for e in my_entries(c)}
    assert {i: outcome[i]["rank"] for i in ids} == {i: order.index(i) + 1 for i in ids}
    assert {i for i in ids if outcome[i]["status"] == "won"} == set(order[:4])

    # the winners' bookings written with their entries `won` (book_slot's guard), 2 a slot, no more
    for start in ("09:00", "09:30"):
        slot = slot_store.get_slot(OFFICE, SERVICE, date.fromisoformat(DAY), start)
        assert slot.booked == 2 and slot.capacity == 2
    booked = [i for i in BookingItem.scan() if i.date == DAY and i.status == "booked"]
    assert sorted(b.booking_id for b in booked) == sorted(outcome[i]["booking_id"] for i in order[:4])
    winner, won = next((c, e) for c in citizens for e in my_entries(c) if e["status"] == "won")
    assert winner.get(f"/v1/bookings/{won['booking_id']}").json()["date"] == DAY
    assert any("摇号中签" in t and len(t) <= 70 for t in sms_texts(system, winner.phone))


def test_a_crash_in_the_middle_of_a_draw_leaves_no_double_and_no_lost_booking(drawn, api, monkeypatch):
    system = drawn
    system.move_clock(NOON + timedelta(seconds=5))
    citizens = [registered(system) for _ in range(4)]
    for citizen in citizens:
        assert enter(citizen, starts=["09:00"]).status == 201  # all for 09:00: 2 win, 2 places left at 09:30
    system.move_clock(NOON + timedelta(minutes=10, seconds=1))

    def crash(losers, workers=8):
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(draw_entry_store, "lost_in_batches", crash)
    with pytest.raises(RuntimeError):
        draw_run.run_draw(DRAW_ID, NOON + timedelta(minutes=11))
    monkeypatch.undo()
    assert draw_store.get_draw(DRAW_ID).state == "drawing"
    assert draw_run.run_draw(DRAW_ID, NOON + timedelta(minutes=12)).outcome == "busy"  # its lease holds
    problem(citizens[0].book(DAY, start="09:30"), 409, "DRAW_OPEN")  # not first-come until it is done

    system.move_clock(NOON + timedelta(minutes=17))  # the lease ran out: the next run finishes the draw
    for citizen in citizens:
        citizen.login()
    assert draw_store.get_draw(DRAW_ID).state == "drawn"
    booked = [i for i in BookingItem.scan() if i.date == DAY and i.status == "booked"]
    assert len(booked) == 2 and {b.start for b in booked} == {"09:00"}
    statuses = sorted(e["status"] for c in citizens for e in my_entries(c))
    assert statuses == ["lost"] * 2 + ["won"] * 2
    assert slot_store.get_slot(OFFICE, SERVICE, date.fromisoformat(DAY), "09:00").booked == 2
    late = registered(system)
    assert late.book(DAY, start="09:30").status == 201  # the places nobody drew go first-come


def test_unmarking_keeps_the_opened_draws_and_makes_the_next_days_first_come(drawn, api):
    system = drawn
    system.move_clock(NOON + timedelta(minutes=1))
    admin = login(api, "admin", "local-admin-pass")
    r = api.invoke("DELETE", f"/v1/regions/shenzhen/draws/{SERVICE}", headers=auth(admin))
    assert r.status == 200 and r.json()["drawn"] is False and r.json()["until_day"] == DAY, r.text
    citizen = registered(system)
    problem(citizen.book(DAY), 409, "DRAW_OPEN")  # DAY's draw was opened at noon: it stays a draw
    system.move_clock(datetime(2026, 9, 15, 12, 0, 30, tzinfo=SHANGHAI))
    assert citizen.login().book("2026-09-29").status == 201  # the next noon's day is first-come again
