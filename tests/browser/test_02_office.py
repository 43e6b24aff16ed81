"""At the hall, on the booking's day: the counter console checks a booking in and calls it; the
board shows the ticket within 2 s of the call, keeps its last state while the API is unreachable
(and says so), and recovers by itself. The booking is made over HTTP (the citizen page's own flow is
test_01's); the clock then moves to 20 minutes before its slot."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from blackbox_support import Api, at, availability, booked, register
from browser_support import Watched, axe_check, reflows, screenshot
from playwright.sync_api import expect

pytestmark = [pytest.mark.R14, pytest.mark.R15, pytest.mark.R15a]

OFFICE, SERVICE = "gz-tianhe-centre", "ID_RENEW"
STAFF = (f"staff@{OFFICE}", "local-staff-pass")


@pytest.fixture(scope="module")
def visit(server: Api) -> dict:
    now = server.now()
    days = availability(server, OFFICE, SERVICE)
    day, slots = min(days.items())
    start = min(s for s, slot in slots.items() if slot["remaining"] > 0)
    citizen = register(server)
    booking = booked(server, citizen, OFFICE, SERVICE, day, start)
    booking["id_number"] = citizen.id_number
    second = register(server)
    booking["second"] = booked(server, second, OFFICE, SERVICE, day, start)
    booking["second_id_number"] = second.id_number
    check_in_at = at(day, start) - timedelta(minutes=20)
    assert check_in_at > now
    server.move_clock(check_in_at)
    return booking


def test_console_login_and_check_in_by_reference(desktop: Watched, board: Watched, base_url: str, visit: dict) -> None:
    board.page.goto(f"{base_url}/board/{OFFICE}")
    expect(board.page.locator("#office-name")).to_contain_text("天河")
    page = desktop.page
    page.goto(base_url + "/staff/")
    page.get_by_label("工号").fill(STAFF[0])
    page.locator("#password").fill(STAFF[1])
    page.locator("#password").press("Enter")
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("#checkin")).to_be_focused()  # keyboard first: type or scan, then Enter
    page.keyboard.type(visit["reference"])
    page.keyboard.press("Enter")
    expect(page.locator("#msg")).to_contain_text(visit["reference"])
    # R15a: whom to compare with the ID card - masked name and ID number, and the slot booked
    expect(page.locator("#identity")).to_be_visible()
    expect(page.locator("#identity-number")).to_have_text(visit["subject_id_number"])
    assert visit["id_number"][-4:] in visit["subject_id_number"] and visit["id_number"] not in page.content()
    expect(page.locator("#identity-name")).to_contain_text("*")
    expect(page.locator("#identity-slot")).to_contain_text(f"{visit['date']} {visit['start']}-{visit['end']}")
    expect(page.locator("#day tr")).to_have_count(1)
    number = page.locator("#day tr").first.get_attribute("data-ticket-number")
    assert number and number.startswith("A"), number
    visit["number"] = number
    # the board lists it as waiting, marked as a booking ticket
    waiting = board.page.locator(f"#waiting li[data-ticket-number='{number}']")
    expect(waiting).to_have_attribute("data-kind", "booking", timeout=5000)
    # the second citizen by ID number (F2 brings the field back from anywhere)
    page.locator("#counter").focus()
    page.keyboard.press("F2")
    expect(page.locator("#checkin")).to_be_focused()
    page.keyboard.type(visit["second_id_number"])
    page.keyboard.press("Enter")
    expect(page.locator("#msg")).to_contain_text(visit["second"]["reference"])
    expect(page.locator("#day tr")).to_have_count(2)


def test_call_next_and_the_board_shows_it_within_two_seconds(desktop: Watched, board: Watched, visit: dict) -> None:
    page = desktop.page
    page.locator("#counter").fill("3")
    page.locator("#checkin").focus()
    page.keyboard.press("F4")
    expect(page.locator("#current")).to_have_attribute("data-ticket-number", visit["number"])
    called = time.monotonic()  # the console shows the call: the API has made it
    expect(board.page.locator(f"#calls li[data-ticket-number='{visit['number']}']")).to_be_visible(timeout=2000)
    shown = time.monotonic() - called
    assert shown <= 2.0, shown
    expect(board.page.locator(f"#calls li[data-ticket-number='{visit['number']}']")).to_contain_text("3")
    expect(board.page.locator(f"#waiting li[data-ticket-number='{visit['number']}']")).to_have_count(0)
    # polling costs a 304 without a body while nothing changes (ETag / If-None-Match)
    if 304 not in [status for url, status in board.statuses if url.endswith(f"/v1/offices/{OFFICE}/queue")]:
        with board.page.expect_response(
            lambda r: r.url.endswith(f"/v1/offices/{OFFICE}/queue") and r.status == 304, timeout=5000
        ):
            pass
    # no personal data on the board: numbers only
    text = board.page.locator("body").inner_text()
    assert visit["reference"] not in text and visit["subject_id_number"] not in text


def test_screenshots_and_axe_of_the_board_and_the_console(desktop: Watched, board: Watched) -> None:
    screenshot(board.page, "board")
    screenshot(desktop.page, "staff")
    assert axe_check(board.page, "board") == []
    assert axe_check(desktop.page, "staff") == []
    assert reflows(board.page) and reflows(desktop.page)


def test_complete_with_the_keyboard(desktop: Watched, visit: dict) -> None:
    page = desktop.page
    page.keyboard.press("F8")
    expect(page.locator("#msg")).to_contain_text(visit["number"])
    expect(page.locator(f"#day tr[data-ticket-number='{visit['number']}']")).to_contain_text("已办结")
    expect(page.locator("#current")).to_have_attribute("data-ticket-number", "")


def test_the_board_survives_the_api_being_down(board: Watched, visit: dict) -> None:
    page = board.page
    # the completed ticket left the screen (R15a); the second citizen's still waits
    expect(page.locator(f"#calls li[data-ticket-number='{visit['number']}']")).to_have_count(0)
    waiting = page.locator("#waiting li[data-ticket-number]").first
    expect(waiting).to_be_visible()
    number = waiting.get_attribute("data-ticket-number")
    page.route("**/v1/offices/*/queue", lambda route: route.abort("connectionrefused"))
    expect(page.locator("#stale")).to_be_visible(timeout=6000)
    # the last state stays on the screen
    expect(page.locator(f"#waiting li[data-ticket-number='{number}']")).to_be_visible()
    page.unroute("**/v1/offices/*/queue")
    expect(page.locator("#stale")).to_be_hidden(timeout=4000)
    assert not board.errors and not board.outside


def test_the_console_and_the_citizen_page_load_nothing_from_outside(desktop: Watched) -> None:
    assert not desktop.errors and not desktop.outside


def test_walk_in_ticket_at_a_priority_office(desktop: Watched, base_url: str) -> None:
    page = desktop.page
    page.locator("#logout").click()
    expect(page.locator("#login-form")).to_be_visible()
    page.get_by_label("工号").fill("staff@gz-tianhe-yuangang-ps")
    page.locator("#password").fill(STAFF[1])
    page.locator("#password").press("Enter")
    expect(page.locator("#walkin-form")).to_be_visible()
    page.locator("#walkin-service").select_option("WALK_CONSULT")
    page.locator("#walkin-form button[type=submit]").click()
    expect(page.locator("#msg")).to_contain_text("B001")
    expect(page.locator("#day tr[data-ticket-number='B001']")).to_contain_text("现场")
    assert not desktop.errors
