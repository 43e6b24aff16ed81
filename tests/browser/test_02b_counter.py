"""R15a at the counter console, keyboard only, and the board that follows it: call (F4), recall (F6),
skip (F7), transfer (F9), pause and resume (F10) at a priority hall; the board drops a skipped or
transferred ticket within a poll, shows the paused counter, and - the hall's sound turned on - says
each call aloud in Chinese then English (speechSynthesis stubbed: the test reads what was spoken), or
chimes where no Chinese voice is installed; an unknown hall says so. Chinese and English, axe clean.
Runs after test_02_office (same session, the console logged in at gz-tianhe-yuangang-ps)."""

from __future__ import annotations

import pytest
from blackbox_support import Api
from browser_support import Watched, axe_check
from playwright.sync_api import expect

pytestmark = pytest.mark.R15a
OFFICE = "gz-tianhe-yuangang-ps"
SPEECH_STUB = """
window.__spoken = [];
window.__voices = %s;
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  getVoices: function () { return window.__voices; },
  speak: function (u) { if ((u.text || "").trim()) window.__spoken.push(u.lang + " " + u.text); },
  cancel: function () {}
}});
"""
VOICES = '[{"lang": "zh-CN", "name": "stub zh"}, {"lang": "en-US", "name": "stub en"}]'


@pytest.fixture(scope="module")
def hall(server: Api) -> Api:
    """The hall's sound on (Chinese then English), by its administrator; three more walk-ins."""
    admin = server.login("admin", "local-admin-pass")
    office = server.get(f"/v1/offices/{OFFICE}", token=admin).json()
    body = {k: v for k, v in office.items() if k not in ("office_id", "closures")}
    reply = server.request("PUT", f"/v1/offices/{OFFICE}", {**body, "board_sound": "zh_en"}, token=admin)
    assert reply.status == 200, reply
    staff = server.login(f"staff@{OFFICE}", "local-staff-pass")
    for _ in range(3):
        assert server.post(f"/v1/offices/{OFFICE}/tickets", {"service_code": "WALK_CONSULT"}, token=staff).status == 201
    return server


def spoken(page) -> list[str]:
    return page.evaluate("window.__spoken")


def test_call_recall_skip_transfer_and_pause_with_the_keyboard_and_the_board_follows(
    desktop: Watched, board: Watched, base_url: str, hall: Api
) -> None:
    screen = board.page
    screen.add_init_script(SPEECH_STUB % VOICES)
    screen.goto(f"{base_url}/board/{OFFICE}")
    expect(screen.locator("#waiting li[data-ticket-number='B004']")).to_be_visible()
    expect(screen.locator("#sound")).to_be_visible()
    page = desktop.page
    page.reload()
    expect(page.locator("#office-title")).to_contain_text("元岗")  # the console has loaded its hall
    page.locator("#counter").fill("3")
    page.locator("#checkin").focus()
    page.keyboard.press("F4")
    expect(page.locator("#current")).to_have_attribute("data-ticket-number", "B001")
    expect(screen.locator("#calls li[data-ticket-number='B001'][data-counter='3']")).to_be_visible(timeout=3000)
    screen.wait_for_function("() => window.__spoken.length >= 2", timeout=3000)
    assert spoken(screen)[:2] == ["zh-CN 请B001号到3号窗口", "en-US Number B001, please go to counter 3"]
    # 重呼: said again
    page.keyboard.press("F6")
    expect(page.locator("#msg")).to_contain_text("已重呼 B001")
    screen.wait_for_function("() => window.__spoken.length >= 4", timeout=3000)
    assert spoken(screen)[2] == "zh-CN 请B001号到3号窗口"
    # 过号: off the screen within a poll, back in the queue after the next three
    page.keyboard.press("F7")
    expect(page.locator("#msg")).to_contain_text("过号")
    expect(page.locator("#current")).to_have_attribute("data-ticket-number", "")
    expect(screen.locator("#calls li[data-ticket-number='B001']")).to_have_count(0, timeout=1500)
    expect(screen.locator("#waiting li").last).to_have_attribute("data-ticket-number", "B001")
    # transfer B002 to counter 5 (F9 opens the form, Enter sends it)
    page.keyboard.press("F4")
    expect(page.locator("#current")).to_have_attribute("data-ticket-number", "B002")
    page.keyboard.press("F9")
    expect(page.locator("#transfer-counter")).to_be_focused()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(page.locator("#msg")).to_contain_text("B002")
    expect(page.locator("#day tr[data-ticket-number='B002']")).to_contain_text("→ 5")
    expect(screen.locator("#calls li[data-ticket-number='B002']")).to_have_count(0, timeout=1500)
    # pause: the console says so, 'next' is off, the board shows counter 3 paused
    page.keyboard.press("F10")
    expect(page.locator("#paused-badge")).to_be_visible()
    expect(page.locator("#call-next")).to_be_disabled()
    expect(screen.locator("#calls li[data-counter='3'][data-paused='true']")).to_be_visible(timeout=3000)
    expect(screen.locator("#calls li[data-counter='3']")).to_contain_text("暂停服务")
    assert axe_check(page, "staff-r15a") == []
    page.keyboard.press("F10")
    expect(page.locator("#paused-badge")).to_be_hidden()
    expect(screen.locator("#calls li[data-counter='3']")).to_have_count(0, timeout=3000)
    assert not desktop.errors and not board.errors and not board.outside


def test_the_console_in_english_says_every_word_in_english(desktop: Watched) -> None:
    page = desktop.page
    page.locator("#lang-switch").click()
    expect(page.locator("#queue-summary")).to_contain_text("waiting")
    expect(page.locator("#recall")).to_contain_text("Recall")
    expect(page.locator("#apps-h")).to_have_text("Residence-permit applications")
    page.locator("#checkin").focus()
    # B001 was skipped after one call: it comes after the next three calls (B003, B004), B002 waits for counter 5
    for number in ("B003", "B004", "B001"):
        page.keyboard.press("F4")
        expect(page.locator("#current")).to_have_attribute("data-ticket-number", number)
        page.keyboard.press("F8")
        expect(page.locator("#msg")).to_have_text(f"{number} completed")
    expect(page.locator("#queue-summary")).to_contain_text("1 waiting")
    for text in (page.locator("#queue-summary").inner_text(), page.locator("#console .panel").nth(1).inner_text()):
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    assert axe_check(page, "staff-en") == []
    page.locator("#lang-switch").click()
    expect(page.locator("#recall")).to_contain_text("重呼")


def test_nobody_waiting_is_said_once(desktop: Watched) -> None:
    page = desktop.page
    page.locator("#counter").fill("5")
    page.keyboard.press("F4")
    expect(page.locator("#current")).to_have_attribute("data-ticket-number", "B002")
    page.keyboard.press("F8")
    # the completion's own words: "B002" alone is also the call's message, and a next call sent before
    # the completion's answer arrives would have its message overwritten by it
    expect(page.locator("#msg")).to_have_text("B002 已办结")
    page.locator("#counter").fill("3")
    page.keyboard.press("F4")
    expect(page.locator("#msg")).to_have_text("当前没有等候的号码。")


def test_a_board_without_a_chinese_voice_chimes(board: Watched, base_url: str, hall: Api) -> None:
    screen = board.page.context.new_page()
    screen.add_init_script(SPEECH_STUB % "[]")
    screen.goto(f"{base_url}/board/{OFFICE}")
    expect(screen.locator("#sound")).to_be_visible()
    staff = hall.login(f"staff@{OFFICE}", "local-staff-pass")
    assert hall.post(f"/v1/offices/{OFFICE}/tickets", {"service_code": "WALK_CONSULT"}, token=staff).status == 201
    screen.wait_for_timeout(700)  # the board has seen the state before the call
    called = hall.post(f"/v1/offices/{OFFICE}/queue/next", {"counter": "8"}, token=staff).json()
    expect(screen.locator(f"#calls li[data-ticket-number='{called['number']}']")).to_be_visible(timeout=3000)
    screen.wait_for_function("() => (window.HB_BOARD_CHIMES || 0) >= 1", timeout=3000)
    assert spoken(screen) == []
    hall.post(f"/v1/offices/{OFFICE}/tickets/{called['ticket_id']}/complete", token=staff)
    screen.close()


def test_an_unknown_hall_says_so_not_connection_lost(board: Watched, base_url: str) -> None:
    screen = board.page.context.new_page()
    screen.goto(f"{base_url}/board/no-such-hall")
    expect(screen.locator("#calls li[data-state='unknown-office']")).to_contain_text("未找到该大厅")
    expect(screen.locator("#calls li[data-state='unknown-office']")).to_contain_text("Unknown hall")
    screen.wait_for_timeout(3500)  # longer than the board waits before saying the connection was lost
    expect(screen.locator("#stale")).to_be_hidden()
    assert axe_check(screen, "board-unknown") == []
    screen.close()
