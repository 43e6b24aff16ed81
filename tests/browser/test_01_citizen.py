"""A citizen on a phone: registers (the SMS code read from /local/sms), books, sees the booking and
cancels it, all through the citizen page; a double tap books once; the English switch; axe."""

from __future__ import annotations

import re

import pytest
from blackbox_support import CODE, Api, new_adult_id, new_name, new_phone
from browser_support import Watched, axe_check, reflows, screenshot
from playwright.sync_api import expect

pytestmark = [pytest.mark.R1, pytest.mark.R8, pytest.mark.R10, pytest.mark.R13]

SERVICE, OFFICE = "ID_RENEW", "gz-tianhe-centre"
PASSWORD = "abc12345"


@pytest.fixture(scope="module")
def citizen() -> dict:
    return {"name": new_name(), "id_number": new_adult_id(), "phone": new_phone()}


def test_register_with_the_sms_code(phone: Watched, base_url: str, server: Api, citizen: dict) -> None:
    page = phone.page
    page.goto(base_url + "/")
    expect(page.locator(f"[data-service-code='{SERVICE}']")).to_be_visible()
    page.locator("#tab-register").click()
    page.locator("#reg-name").fill(citizen["name"])
    page.locator("#reg-id").fill(citizen["id_number"])
    page.locator("#reg-phone").fill(citizen["phone"])
    page.locator("#reg-password").fill(PASSWORD)
    page.locator("#register-submit").click()
    expect(page.locator("#verify-form")).to_be_visible()
    message = server.wait_sms(citizen["phone"], lambda m: CODE.search(m) is not None, "with a code")
    found = CODE.search(message)
    page.locator("#verify-code").fill(found.group(1) or found.group(2))
    page.locator("#verify-submit").click()
    expect(page.locator("#logged-in")).to_be_visible()
    expect(page.locator("#whoami")).to_contain_text(citizen["name"])
    assert not phone.errors


def test_the_catalog_marks_walk_in_services_and_shows_materials(phone: Watched) -> None:
    page = phone.page
    walk_in = page.locator("[data-service-code='WALK_CONSULT']")
    expect(walk_in).to_contain_text("无需预约")
    expect(walk_in.get_by_role("button")).to_have_count(0)
    item = page.locator(f"[data-service-code='{SERVICE}']")
    item.locator("summary").click()
    expect(item.locator("details ul li").first).to_be_visible()


def test_book_a_slot_once_however_often_tapped(phone: Watched, server: Api, citizen: dict) -> None:
    page = phone.page
    page.locator(f"[data-service-code='{SERVICE}'] button.choose").click()
    page.locator(f"[data-office-id='{OFFICE}'] button.choose").click()
    page.locator("#days button[data-date]").nth(1).click()  # not tomorrow: its cut-off (18:00 today) may be past
    slot = page.locator("#slots button:not([disabled])").first
    start = slot.get_attribute("data-start")
    slot.click()
    expect(page.locator("#booking-summary")).to_contain_text(start)
    page.locator("#book").click()
    expect(page.locator("#booking-msg")).to_contain_text("须知")  # NOTICE_NOT_ACKNOWLEDGED, in the page's words
    page.locator("#ack").check()
    page.locator("#book").dblclick()  # a double tap: one attempt, one Idempotency-Key
    expect(page.locator("#confirmation")).to_be_visible()
    reference = page.locator("#conf-reference").inner_text()
    assert re.fullmatch(r"[0-9A-Z-]{8,10}", reference), reference
    item = page.locator(f"#bookings li[data-reference='{reference}']")
    expect(item).to_have_attribute("data-status", "booked")
    expect(item).to_contain_text("可在")  # the cut-off, shown before it passes
    token = server.login(citizen["phone"], PASSWORD)
    mine = server.get("/v1/bookings", token=token).json()["bookings"]
    assert [b["reference"] for b in mine if b["status"] == "booked"] == [reference]
    citizen["reference"] = reference


def test_print_shows_the_confirmation(phone: Watched, citizen: dict) -> None:
    page = phone.page
    page.evaluate("window.print = () => {}")  # headless: no print dialog
    page.locator("#conf-print").click()
    expect(page.locator("#print-doc")).to_contain_text(citizen["reference"])  # its own view, not a frame
    page.locator("#print-back").click()
    assert page.locator("#conf-ics").get_attribute("href").startswith("blob:")


def test_screenshot_and_axe_of_the_citizen_page(phone: Watched) -> None:
    screenshot(phone.page, "citizen")
    assert axe_check(phone.page, "citizen") == []


def test_cancel_through_the_page(phone: Watched, citizen: dict) -> None:
    page = phone.page
    item = page.locator(f"#bookings li[data-reference='{citizen['reference']}']")
    item.locator("button.cancel").click()
    item.locator("button.confirm-cancel").click()
    expect(page.locator(f"#bookings li[data-reference='{citizen['reference']}']")).to_have_attribute(
        "data-status", "cancelled"
    )
    expect(page.locator("#bookings-msg")).to_contain_text("已取消")
    expect(page.locator("#restrictions")).to_contain_text("1")  # one cancellation this month (R11)


def test_english_switch(phone: Watched) -> None:
    page = phone.page
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header h1")).to_have_text("Service hall appointments")
    expect(page.locator(f"[data-service-code='{SERVICE}'] strong")).to_have_text("Renewing a resident ID card")
    expect(page.locator("#bookings li[data-reference]").first).to_contain_text("Cancelled")
    # a problem+json refusal in the page's language
    page.locator("#logout").click()
    page.locator("#login-login").fill("13900000000")
    page.locator("#login-password").fill("wrong-password-1")
    page.locator("#login-submit").click()
    expect(page.locator("#account-msg")).to_contain_text("Wrong login or password")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("header h1")).to_have_text("政务服务大厅预约")


def test_large_type_and_high_contrast(phone: Watched) -> None:
    page = phone.page
    before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="大字模式").click()
    page.get_by_role("button", name="高对比度").click()
    after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert after >= before * 1.25
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    assert axe_check(page, "citizen large + contrast") == []
    assert reflows(page)  # large type at 200 % zoom still fits a phone's width
    page.get_by_role("button", name="大字模式").click()
    page.get_by_role("button", name="高对比度").click()
    assert not phone.errors and not phone.outside
