"""The citizen page on the morning of a working day (test_02 moved the clock there; this file moves it
there itself when run alone): the queue on the day - a checked-in booking shows its ticket and how many
are called before it (R13) - and the waitlist, which offers places between 08:00 and 21:30 (R18): join a
full slot from the page, get the offer once its holder cancels (by the waitlist timers' next run), accept it (Chinese, phone) or decline it
(English, desktop)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from blackbox_support import Api, at, availability, booked, past_the_caches, register
from browser_support import axe_check
from journeys import LATER, OFFICE, RUNS, Run, log_in, open_run, shot
from playwright.sync_api import expect

FULL_SERVICE = "HR_RESTORE"  # one place per slot at gz-tianhe-centre


@pytest.fixture(scope="module", params=list(RUNS))
def run(request, browser, base_url: str):
    yield from open_run(browser, base_url, request.param)


def test_the_queue_on_the_day(run: Run, server: Api) -> None:
    later = LATER.get(run.name)
    if not later:
        pytest.skip("test_01_journeys makes the booking the day before")
    booking, citizen = later["booking"], later["citizen"]
    server.move_clock(at(booking["date"], booking["start"]) - timedelta(minutes=20))
    staff = server.login(f"staff@{OFFICE}", "local-staff-pass")
    reply = server.post(f"/v1/offices/{OFFICE}/check-ins", {"reference": booking["reference"]}, token=staff)
    assert reply.status == 201, reply
    citizen.token = server.login(citizen.phone, citizen.password)  # yesterday's token has expired
    shown = server.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token).json()
    if not shown.get("queue"):
        pytest.skip("bookings carry no `queue` yet (citizen-api)")
    page = run.page
    log_in(run, citizen.phone, citizen.password)
    item = page.locator(f"#bookings li[data-reference='{booking['reference']}']")
    expect(item).to_have_attribute("data-status", "checked_in")
    queue = item.locator(".queue")
    expect(queue).to_contain_text(shown["queue"]["ticket"])
    assert re.search(r"\d", queue.inner_text())
    assert run.in_language(queue.inner_text().replace(shown["queue"]["ticket"], ""))
    shot(page, f"citizen-queue-{run.lang}", "#my-bookings")


def test_the_waitlist_join_offer_accept_or_decline(run: Run, server: Api) -> None:
    page = run.page
    day, slots = max(availability(server, OFFICE, FULL_SERVICE).items())  # the last day: its cut-off is far
    start = sorted(s for s, slot in slots.items() if slot["remaining"] > 0)[0 if run.lang == "zh" else 1]
    holder = register(server)
    taken = booked(server, holder, OFFICE, FULL_SERVICE, day, start)
    past_the_caches(server)  # the page's availability read must not be the cached answer from before
    waiter = register(server)
    log_in(run, waiter.phone, waiter.password)
    change = page.locator("#services button.change")
    if change.count():
        change.click()
    page.locator(f"[data-service-code='{FULL_SERVICE}'] button.choose").click()
    page.locator(f"[data-office-id='{OFFICE}'] button.choose").click()
    page.locator(f"#days button[data-date='{day}']").click()
    full = page.locator(f"#slots button[data-start='{start}']")
    expect(full).to_have_class(re.compile(r"\bfull\b"))
    full.click()
    expect(page.locator("#wait-box")).to_be_visible()
    expect(page.locator("#book")).to_be_disabled()  # no booking of a full slot: the waitlist instead
    page.locator("#wait-join").click()
    entry = page.locator("#waitlist li[data-waitlist-id]")
    expect(entry).to_have_attribute("data-status", "waiting")
    expect(entry).to_contain_text(run.w("waiting"))
    reply = server.post(f"/v1/bookings/{taken['booking_id']}/cancel", token=holder.token)
    assert reply.status == 200, reply
    for _ in range(9):  # the place goes to the first waiting entry by the waitlist timers' runs (R18, R19)
        entries = server.get("/v1/waitlist", token=waiter.token).json()["entries"]
        if entries and entries[0]["status"] == "offered":
            break
        server.move_clock(server.now() + timedelta(minutes=5))  # five minutes at a time, as the timers run
    assert entries and entries[0]["status"] == "offered", (server.now(), day, start, entries)
    page.locator("#refresh-bookings").click()
    expect(entry).to_have_attribute("data-status", "offered")
    shot(page, f"citizen-waitlist-{run.lang}", "#waitlist-h")
    assert axe_check(page, f"citizen waitlist {run.name}") == []
    if run.lang == "zh":
        entry.locator("button.accept").click()  # the notice not yet acknowledged: refused on the page
        expect(page.locator("#bookings-msg")).to_have_class("message error")
        entry.locator("input[type=checkbox]").check()
        entry.locator("button.accept").click()
        expect(page.locator("#confirmation")).to_be_visible()
        reference = page.locator("#conf-reference").inner_text()
        expect(page.locator(f"#bookings li[data-reference='{reference}']")).to_have_attribute("data-status", "booked")
    else:
        entry.locator("button.leave").click()
        expect(page.locator("#waitlist li[data-waitlist-id]")).to_have_count(0)
        assert server.get("/v1/waitlist", token=waiter.token).json()["entries"][0]["status"] == "declined"
    assert run.watched.errors == [] and run.csp_errors() == []
