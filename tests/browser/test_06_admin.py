"""The administrators' console (issue 26, SPEC "Pages" /admin/): a capacity changed in the weekly
grid; a second administrator saving the same hall first (412: the page shows what they changed, and
the first saves over it); a closure previewed with the bookings it cancels, confirmed and lifted; a
calendar year read with its source and entered; flags, the audit log, statistics as SVG charts with a
CSV; drawn services; Chinese, then English; axe-core clean; nothing loaded from outside."""

from __future__ import annotations

import re

import pytest
from blackbox_support import Api, availability, booked, register
from browser_support import DESKTOP, Watched, axe_check, reflows, screenshot
from playwright.sync_api import expect

OFFICE, SERVICE = "gz-tianhe-centre", "ID_RENEW"
ADMIN = ("admin", "local-admin-pass")


@pytest.fixture(scope="module")
def console(browser, base_url: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(15_000)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


def admin_token(server: Api) -> str:
    return server.login(*ADMIN)


@pytest.mark.R4
def test_login_and_a_capacity_changed_in_the_weekly_grid(console: Watched, base_url: str) -> None:
    page = console.page
    page.goto(base_url + "/admin/#offices")
    page.get_by_label("工号").fill(ADMIN[0])
    page.locator("#password").fill(ADMIN[1])
    page.locator("#password").press("Enter")
    expect(page.locator("#sec-offices")).to_be_visible()
    page.locator("#office-pick").select_option(OFFICE)
    expect(page.locator("#tt-body tr").first).to_be_visible()
    page.locator("#tt-service").select_option(SERVICE)
    cell = page.locator("#tt-body tr").first.locator("input[data-day='1']")
    cell.fill("7")
    page.get_by_role("button", name="保存").last.click()
    expect(page.locator("#office-result")).to_contain_text("已保存", timeout=60_000)
    expect(page.locator("#msg")).to_contain_text("已保存")
    assert axe_check(page, "admin offices zh") == []
    screenshot(page, "admin")


@pytest.mark.R4
def test_a_second_administrator_saves_first_and_the_page_shows_what_changed(console: Watched, server: Api) -> None:
    page = console.page
    page.locator("#office-pick").select_option(OFFICE)
    expect(page.locator("#of-phone")).to_be_visible()
    page.wait_for_timeout(300)  # the hall and its ETag as the page read them
    token = admin_token(server)
    current = server.get(f"/v1/offices/{OFFICE}", token=token)
    body = {k: v for k, v in current.json().items() if k not in ("office_id", "closures")}
    body["phone"] = "020-12345678"
    theirs = server.request(
        "PUT", f"/v1/offices/{OFFICE}", body, token=token, headers={"If-Match": current.headers["etag"]}
    )
    assert theirs.status == 200, theirs

    page.locator("#of-address").fill(page.locator("#of-address").input_value() + "（东门）")
    page.get_by_role("button", name="保存").last.click()
    conflict = page.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(page.locator("#conflict-list")).to_contain_text("020-12345678")
    assert any(status == 412 for url, status in console.statuses if url.endswith(f"/v1/offices/{OFFICE}"))
    page.locator("#conflict-mine").click()
    expect(conflict).to_be_hidden()
    saved = server.get(f"/v1/offices/{OFFICE}", token=token).json()
    assert saved["address"].endswith("（东门）")  # mine, saved over theirs once seen


@pytest.mark.R4
def test_a_closure_shows_the_bookings_it_cancels_before_it_is_confirmed(console: Watched, server: Api) -> None:
    days = availability(server, OFFICE, SERVICE)
    day = max(days)
    start = min(s for s, slot in days[day].items() if slot["remaining"] > 0)
    citizen = register(server)
    booking = booked(server, citizen, OFFICE, SERVICE, day, start)
    page = console.page
    page.get_by_role("button", name="闭厅").click()
    page.locator("#cl-office").select_option(OFFICE)
    page.locator("#cl-date").fill(day)
    page.locator("#cl-reason").fill("设备检修")
    page.get_by_role("button", name="查看影响").click()
    expect(page.locator("#cl-preview-text")).to_contain_text("将取消 1 个预约", timeout=30_000)
    assert server.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token).json()["status"] == "booked"
    page.get_by_role("button", name="确认闭厅").click()
    # a big hall's day: every slot closed and every booking cancelled in the request (seconds here)
    expect(page.locator("#msg")).to_contain_text("取消预约 1 个", timeout=60_000)
    expect(page.locator(f"#cl-list tr[data-date='{day}']")).to_be_visible()
    after = server.get(f"/v1/bookings/{booking['booking_id']}", token=citizen.token).json()
    assert after["status"] == "cancelled" and after["cancelled_by"] == "hall"
    page.get_by_role("button", name=f"解除 {day} 闭厅").click()
    expect(page.locator("#msg")).to_contain_text("已恢复办公", timeout=60_000)
    expect(page.locator(f"#cl-list tr[data-date='{day}']")).to_have_count(0)


@pytest.mark.R5
def test_a_calendar_year_read_with_its_source_and_entered(console: Watched) -> None:
    page = console.page
    page.get_by_role("button", name="节假日").click()
    page.locator("#cal-year").fill("2032")
    page.get_by_role("button", name="读取").first.click()
    expect(page.locator("#cal-state")).to_contain_text("2032", timeout=30_000)
    expect(page.locator("#cal-state [data-source]")).to_have_attribute("data-source", "provisional")
    expect(page.locator("#cal-state")).to_contain_text("补假")
    expect(page.locator("#cal-holidays")).not_to_have_value("")
    page.locator("#cal-workdays").fill("2032-02-07")
    page.get_by_role("button", name="保存该年安排").click()
    expect(page.locator("#cal-result")).to_contain_text("已保存", timeout=30_000)
    expect(page.locator("#cal-state [data-source]")).to_have_attribute("data-source", "admin")
    expect(page.locator("#cal-state [data-alarm]")).to_have_attribute("data-alarm", "off")


@pytest.mark.R23
def test_flags_audit_statistics_and_drawn_services(console: Watched) -> None:
    page = console.page
    page.get_by_role("button", name="异常预警").click()
    expect(page.locator("#flag-list li").first).to_be_visible()
    page.get_by_role("button", name="操作日志").click()
    expect(page.locator("#audit-list tr[data-action='office.put']").first).to_be_visible()
    page.get_by_role("button", name="统计").click()
    page.locator("#st-office").select_option(OFFICE)
    page.get_by_role("button", name="显示").click()
    expect(page.locator("svg.chart[data-chart='util']")).to_be_visible(
        timeout=60_000
    )  # every hall read, for the per-hall chart
    assert page.locator("svg.chart").count() >= 5
    screenshot(page, "admin-stats")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    assert axe_check(page, "admin stats zh") == []
    page.get_by_role("button", name="摇号事项").click()
    page.locator("#draw-service").select_option("ID_FIRST")
    page.get_by_role("button", name="设为摇号").click()
    expect(page.locator("#draw-result [data-drawn='yes']")).to_contain_text("已设为摇号", timeout=30_000)
    page.get_by_role("button", name="取消摇号").click()
    expect(page.locator("#draw-result [data-drawn='no']")).to_contain_text("已取消摇号", timeout=30_000)


def test_in_english_and_nothing_from_outside(console: Watched) -> None:
    page = console.page
    page.locator("#lang-switch").click()
    expect(page.get_by_role("button", name="Halls and timetables")).to_be_visible()
    page.get_by_role("button", name="Halls and timetables").click()
    expect(page.locator("#tt-body tr").first).to_be_visible()
    expect(page.locator("#tt-body input").first).to_have_attribute(
        "aria-label", re.compile(r"^Mon \d\d:\d\d–\d\d:\d\d places$")
    )
    assert axe_check(page, "admin offices en") == []
    page.get_by_role("button", name="Statistics").click()
    expect(page.locator("svg.chart").first).to_be_visible(timeout=60_000)
    assert axe_check(page, "admin stats en") == []
    assert reflows(page)
    assert console.errors == [] and console.outside == []
    page.locator("#lang-switch").click()  # back to Chinese for whoever follows
