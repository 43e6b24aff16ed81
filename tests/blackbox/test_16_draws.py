"""R23 fair release over HTTP only: an administrator marks a service drawn, citizens enter in a known
order, the draw at the close is recomputed from its published seed, speed gains nothing, capacity
holds, DRAW_OPEN and DRAW_CLOSED, one entry per subject however its ID number is written, and the draw
job run again changes nothing."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, timedelta

import pytest
from blackbox_support import Api, assert_problem, availability, book, past_the_caches, register_many

REGION, OFFICE, SERVICE = "shenzhen", "sz-nanshan-yuehai-ps", "HR_CANCEL"  # one hall, 7 places a day (data/demo.json)
ENTRANTS = 16

pytestmark = pytest.mark.R23


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "X" else c for c in text)


def enter(api: Api, citizen, draw: dict, **body) -> object:
    payload = {"office_id": OFFICE, "service_code": SERVICE, "date": draw["date"], "starts": None, **body}
    return api.post("/v1/draw-entries", payload, token=citizen.token, headers={"Idempotency-Key": uuid.uuid4().hex})


def record(api: Api, draw_id: str) -> dict:
    reply = api.get(f"/v1/draws/{draw_id}")
    assert reply.status == 200, reply
    return reply.json()


def a_draw_with_places(api: Api, admin: str) -> dict:
    """Mark the service drawn; the first draw whose day has places (a weekend's has none: its entry
    period passes with nobody in it)."""
    reply = api.request("PUT", f"/v1/regions/{REGION}/draws/{SERVICE}", {"entry_minutes": 10}, token=admin)
    assert reply.status == 200 and reply.json()["drawn"] is True, reply
    draw = record(api, reply.json()["next_draw_id"])
    for _ in range(8):
        if draw["places"] > 0:
            return draw
        api.move_clock(datetime.fromisoformat(draw["closes_at"]) + timedelta(minutes=2))
        day = date.fromisoformat(draw["date"]) + timedelta(days=1)
        following = f"{REGION}.{SERVICE}.{day}"
        if api.get(f"/v1/draws/{following}").status == 404:  # announced by the next noon release
            api.move_clock(datetime.fromisoformat(draw["opens_at"]) + timedelta(days=1))
        draw = record(api, following)
    pytest.fail("no drawn day with places within a week")


def test_a_draw_over_http_is_fair_bounded_and_recomputable(api: Api) -> None:
    admin = api.login("admin", "local-admin-pass")
    draw = a_draw_with_places(api, admin)
    opens, closes = datetime.fromisoformat(draw["opens_at"]), datetime.fromisoformat(draw["closes_at"])
    assert draw["state"] == "open" and draw["seed"] is None and len(draw["seed_sha256"]) == 64
    places = draw["places"]
    assert places < ENTRANTS
    if api.now() < opens:
        early = register_many(api, 1)[0]
        assert_problem(enter(api, early, draw), 409, "DRAW_CLOSED")
        api.move_clock(opens + timedelta(seconds=5))
    citizens = register_many(api, ENTRANTS + 1)
    slots = availability(api, OFFICE, SERVICE, draw["date"], draw["date"])[draw["date"]]
    assert_problem(book(api, citizens[0], OFFICE, SERVICE, draw["date"], next(iter(slots))), 409, "DRAW_OPEN")

    made = []  # entries in the order they were made: first come ...
    for citizen in citizens[:ENTRANTS]:
        reply = enter(api, citizen, draw)
        assert reply.status == 201, reply
        assert reply.json()["status"] == "entered" and reply.json()["draw_id"] == draw["draw_id"]
        made.append(reply.json()["entry_id"])
    # one entry per subject, however its number is written (R1's canonical form: full-width digits)
    first = citizens[0]
    assert_problem(enter(api, first, draw, subject_id_number=full_width(first.id_number)), 409, "ALREADY_BOOKED")
    assert_problem(enter(api, first, draw), 409, "ALREADY_BOOKED")

    api.move_clock(closes + timedelta(seconds=20))  # closed, not drawn yet
    assert_problem(enter(api, citizens[ENTRANTS], draw), 409, "DRAW_CLOSED")
    assert_problem(book(api, citizens[ENTRANTS], OFFICE, SERVICE, draw["date"], next(iter(slots))), 409, "DRAW_OPEN")

    api.move_clock(closes + timedelta(seconds=90))  # the run a minute after the close draws it
    drawn = record(api, draw["draw_id"])
    assert drawn["state"] == "drawn" and drawn["entries"] == ENTRANTS and drawn["winners"] == places, drawn
    seed = drawn["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == draw["seed_sha256"]  # the seed committed to before noon
    order = sorted(made, key=lambda entry_id: hashlib.sha256(f"{seed}\n{entry_id}".encode()).hexdigest())
    outcomes = {}
    for citizen in citizens[:ENTRANTS]:
        reply = api.get("/v1/draw-entries", token=citizen.token)
        assert reply.status == 200, reply
        (entry,) = reply.json()["entries"]
        outcomes[entry["entry_id"]] = entry
    winners = {entry_id for entry_id, entry in outcomes.items() if entry["status"] == "won"}
    assert winners == set(order[:places])  # what the published seed and algorithm compute
    assert winners != set(made[:places])  # ... and not the fastest: speed gained nothing (1 in 11,440 by chance)
    assert all(outcomes[e]["rank"] == order.index(e) + 1 for e in made)

    # capacity: every place of the day taken by a winner, none beyond
    past_the_caches(api)
    day = availability(api, OFFICE, SERVICE, draw["date"], draw["date"])[draw["date"]]
    assert sum(s["capacity"] - s["remaining"] for s in day.values()) == places
    assert all(s["remaining"] == 0 for s in day.values())

    # the job again, every minute for five minutes: nothing changes
    reply = api.post("/local/clock", {"now": (closes + timedelta(minutes=6)).isoformat(), "exhaustive": True})
    assert reply.status == 200 and not reply.json()["failed"], reply
    assert sum(name.endswith("draw-close") for name in reply.json()["fired"]) >= 4, reply.json()["fired"]
    again = record(api, draw["draw_id"])
    assert again["winners"] == places and again["seed"] == seed
    past_the_caches(api)
    day = availability(api, OFFICE, SERVICE, draw["date"], draw["date"])[draw["date"]]
    assert sum(s["capacity"] - s["remaining"] for s in day.values()) == places
    assert_problem(book(api, citizens[ENTRANTS], OFFICE, SERVICE, draw["date"], next(iter(slots))), 409, "SLOT_FULL")

    # first-come again from the next noon: the administrator ends the draws
    ended = api.request("DELETE", f"/v1/regions/{REGION}/draws/{SERVICE}", token=api.login("admin", "local-admin-pass"))
    assert ended.status == 200 and ended.json()["drawn"] is False, ended
