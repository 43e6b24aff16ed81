"""R18 the waitlist and R19 the delayed return of cancelled places, over HTTP only: the README's
example, and a place that nobody waits for, then somebody does, passing on after a decline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from blackbox_support import SHANGHAI, Api, assert_problem, at, availability, book, booked, past_the_caches, register

pytestmark = [pytest.mark.R18, pytest.mark.R19]

README = Path(__file__).resolve().parents[2] / "README.md"
OFFICE, SERVICE = "gz-huadu-centre", "HR_OVERSEAS"  # one place per slot (data/demo.json)


def in_office_hours(api: Api) -> None:
    """Offers are made from 08:00 to 21:30 (the timers run with the no-show sweep, 08:02-21:57): outside
    an afternoon that leaves room for two half-hour moves, go on to 09:00 of the next day."""
    now = api.now().astimezone(SHANGHAI)
    if not at(now.date(), "08:30") <= now <= at(now.date(), "19:30"):
        api.move_clock(at(now.date() + timedelta(days=1 if now >= at(now.date(), "08:30") else 0), "09:00"))


def one_place_slot(api: Api) -> tuple[str, str]:
    """A free slot of a day whose cut-off is more than two hours away."""
    now = api.now()
    for day, slots in availability(api, OFFICE, SERVICE).items():
        if at(date.fromisoformat(day) - timedelta(days=1), "18:00") < now + timedelta(hours=2):
            continue
        for start, slot in slots.items():
            if slot["capacity"] == 1 and slot["remaining"] == 1:
                return day, start
    pytest.fail(f"no free one-place {SERVICE} slot at {OFFICE}")


def remaining(api: Api, day: str, start: str) -> int:
    return availability(api, OFFICE, SERVICE, day, day)[day][start]["remaining"]


def entries(api: Api, token: str) -> list[dict]:
    reply = api.get("/v1/waitlist", token=token)
    assert reply.status == 200, reply
    return reply.json()["entries"]


def test_a_cancelled_place_goes_to_the_waitlist_and_back_to_the_pool_only_after_a_delay(api: Api) -> None:
    seller, buyer, waiter = register(api), register(api), register(api)
    in_office_hours(api)
    day, start = one_place_slot(api)
    want = {"office_id": OFFICE, "service_code": SERVICE, "date": day, "start": start}
    booking = booked(api, seller, OFFICE, SERVICE, day, start)
    assert_problem(api.post("/v1/waitlist", want, token=seller.token), 409, "ALREADY_BOOKED")
    # nobody waits: the cancelled place is not bookable at once (R19), and nothing says when it returns
    cancel = api.post(f"/v1/bookings/{booking['booking_id']}/cancel", token=seller.token)
    assert cancel.status == 200 and not re.search(r"delay|release_at|return", cancel.text), cancel
    past_the_caches(api)  # a read of before the cancellation would say 0 whatever the cancellation did
    assert remaining(api, day, start) == 0
    assert_problem(book(api, buyer, OFFICE, SERVICE, day, start), 409, "SLOT_FULL")

    # somebody joins meanwhile: at its return the place is offered to them first, not to the pool
    joined = api.post("/v1/waitlist", want, token=waiter.token)
    assert joined.status == 201, joined
    entry = joined.json()
    for _ in range(8):  # five minutes at a time (the timers' runs): the offer comes within the longest delay
        api.move_clock(api.now() + timedelta(minutes=5))
        (offered,) = entries(api, waiter.token)
        if offered["status"] != "waiting":
            break
    assert offered["status"] == "offered" and offered["offer"]["start"] == start, offered
    api.wait_sms(waiter.phone, lambda m: "候补" in m and offered["offer"]["until"][11:16] in m, "with the offer")
    assert remaining(api, day, start) == 0
    assert_problem(
        api.post(f"/v1/waitlist/{entry['waitlist_id']}/accept", {"notice_acknowledged": True}, token=buyer.token),
        404,
        "NOT_FOUND",
    )
    assert_problem(api.request("DELETE", f"/v1/waitlist/{entry['waitlist_id']}", token=buyer.token), 404, "NOT_FOUND")

    # declined: nobody else waits, so the place is delayed again before anyone may book it
    left = api.request("DELETE", f"/v1/waitlist/{entry['waitlist_id']}", token=waiter.token)
    assert left.status == 200 and left.json()["status"] == "declined", left
    assert remaining(api, day, start) == 0
    api.move_clock(api.now() + timedelta(minutes=36))
    assert remaining(api, day, start) == 1
    assert booked(api, buyer, OFFICE, SERVICE, day, start)["status"] == "booked"


def waitlist_example() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return next(b for b in blocks if "/v1/waitlist" in b)


def last_json(text: str):
    decoder, position, value = json.JSONDecoder(), 0, None
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(text, position)
    return value


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the README uses curl and jq")
def test_the_readme_waitlist_example_turns_an_offer_into_a_booking(api: Api) -> None:
    in_office_hours(api)
    script = waitlist_example().replace("localhost:3000", f"{api.host}:{api.port}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert '"status": "offered"' in result.stdout, result.stdout
    booking = last_json(result.stdout)
    assert booking["status"] == "booked" and booking["service_code"] == "HR_RESTORE", booking
