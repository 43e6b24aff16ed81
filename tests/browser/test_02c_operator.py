"""The phone line's console (/operator/), keyboard first: a caller reads out their reference (misheard
as people do), the operator confirms the masked name and phone, re-sends the SMS, reschedules (R8a)
and cancels; a second caller is found by ID number and phone and booked for. Chinese and English, axe
clean, nothing loaded from outside."""

from __future__ import annotations

import pytest
from blackbox_support import Api, availability, booked, register
from browser_support import Watched, axe_check, reflows, screenshot
from playwright.sync_api import expect

pytestmark = pytest.mark.R8a
OFFICE, SERVICE = "gz-tianhe-centre", "ID_RENEW"


@pytest.fixture(scope="module")
def caller(server: Api) -> dict:
    days = availability(server, OFFICE, SERVICE)
    day = sorted(days)[1]
    starts = sorted(s for s, slot in days[day].items() if slot["remaining"] > 1)
    citizen = register(server)
    booking = booked(server, citizen, OFFICE, SERVICE, day, starts[0])
    return {"citizen": citizen, "booking": booking, "day": day, "later": starts[1]}


def test_find_by_a_misheard_reference_resend_reschedule_and_cancel(
    desktop: Watched, base_url: str, server: Api, caller: dict
) -> None:
    page = desktop.page
    page.goto(base_url + "/operator/?lang=zh")
    page.get_by_label("工号").fill("operator")
    page.locator("#password").fill("local-operator-pass")
    page.locator("#password").press("Enter")
    expect(page.locator("#reference")).to_be_focused()
    reference, citizen = caller["booking"]["reference"], caller["citizen"]
    page.keyboard.type(reference.lower().replace("-", " ").replace("1", "l").replace("0", "o"))
    page.keyboard.press("Enter")
    expect(page.locator("#caller")).to_be_visible()
    expect(page.locator("#caller-phone")).to_have_text(citizen.phone[:3] + "****" + citizen.phone[-4:])
    expect(page.locator("#caller-name")).to_contain_text("*")
    row = page.locator(f"#bookings tr[data-reference='{reference}']")
    expect(row).to_have_attribute("data-status", "booked")
    assert citizen.id_number not in page.content() and citizen.phone not in page.content()
    # the confirmation SMS again
    before = len([m for m in server.sms(citizen.phone) if reference in m])
    row.get_by_role("button", name=f"重发短信 {reference}").click()
    expect(page.locator("#msg")).to_contain_text("重发")
    server.wait_sms(
        citizen.phone, lambda m: len([x for x in server.sms(citizen.phone) if reference in x]) > before, "re-sent"
    )
    # reschedule to the later slot of the same day
    row.get_by_role("button", name=f"改期 {reference}").click()
    expect(page.locator("#pick-slot")).to_be_focused()
    expect(page.locator("#pick-slot option").first).to_be_attached()
    page.locator("#pick-slot").select_option(f"{caller['day']} {caller['later']}")
    page.keyboard.press("Enter")
    expect(page.locator("#msg")).to_contain_text(caller["later"])
    expect(row).to_contain_text(f"{caller['day']} {caller['later']}")
    server.wait_sms(citizen.phone, lambda m: "已改至" in m, "rescheduled")
    assert axe_check(page, "operator") == []
    # cancel (confirmed in a dialog)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"取消预约 {reference}").click()
    expect(row).to_have_attribute("data-status", "cancelled")
    assert not desktop.errors and not desktop.outside


def test_find_by_id_number_and_phone_and_book_in_english(desktop: Watched, server: Api, caller: dict) -> None:
    page = desktop.page
    other = register(server)
    page.locator("#lang-switch").click()
    expect(page.locator("#by-id-h")).to_have_text("Find by ID number and phone")
    page.keyboard.press("F3")
    expect(page.locator("#id-number")).to_be_focused()
    page.keyboard.type(other.id_number)
    page.locator("#phone").fill(other.phone)
    page.keyboard.press("Enter")
    expect(page.locator("#bookings-none")).to_be_visible()
    page.keyboard.press("F6")
    expect(page.locator("#slot-h")).to_have_text("Book for the caller")
    page.locator("#pick-service").select_option(SERVICE)
    page.locator("#pick-office").select_option(OFFICE)
    expect(page.locator("#pick-slot option").first).to_be_attached()
    page.locator("#pick-ack").check()
    page.locator("#slot-submit").click()
    expect(page.locator("#msg")).to_contain_text("Booked")
    expect(page.locator("#bookings tr[data-status='booked']")).to_have_count(1)
    for part in ("#caller-h", "#bookings-h", "#msg", "#bookings-section thead", "#caller .hint"):
        text = page.locator(part).first.inner_text()
        assert text and not any("\u4e00" <= ch <= "\u9fff" for ch in text), (part, text)
    screenshot(page, "operator")
    assert axe_check(page, "operator-en") == [] and reflows(page)
    page.locator("#lang-switch").click()
    assert not desktop.errors and not desktop.outside
