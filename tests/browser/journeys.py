"""The citizen page's journeys (issue 25), run twice: in Chinese on a phone (390x844) and in English on
a desktop (1366x900); each journey's screenshots are taken at both sizes (browser_support.screenshot).
One browser context per run, the one server of the suite."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from blackbox_support import Api
from browser_support import DESKTOP, PHONE, Watched
from playwright.sync_api import expect

RUNS = {"zh-phone": (PHONE, "zh"), "en-desktop": (DESKTOP, "en")}
PASSWORD = "abc12345"
OFFICE = "gz-tianhe-centre"
LATER: dict[str, Any] = {}  # what test_01_journeys leaves for test_03 (after the clock moves to the next day)
CSP_ERROR = re.compile(r"Content Security Policy|Refused to", re.I)
CJK = re.compile(r"[\u3400-\u9fff]")

# the words a test reads on the page, per language
WORDS = {
    "zh": {
        "check_id": "身份证号码填写有误，请检查。",
        "notice": "请先阅读并同意办理须知。",
        "code_sent": "验证码已发送",
        "cancelled": "预约已取消。",
        "cut_off": "可在",
        "one_cancel": "本月已取消 1 次",
        "suspended": "暂停",
        "linked": "已关联",
        "proxy_active": "已生效",
        "uploaded": "已上传",
        "approved": "已通过",
        "collecting": "待领证",
        "waiting": "候补中",
        "booked": "已预约",
        "closed": "账户已注销。",
    },
    "en": {
        "check_id": "Please check the ID number.",
        "notice": "Read and accept the notice first.",
        "code_sent": "A code was sent",
        "cancelled": "The booking was cancelled.",
        "cut_off": "Cancel before",
        "one_cancel": "Cancellations this month: 1",
        "suspended": "suspended",
        "linked": "Linked",
        "proxy_active": "Active",
        "uploaded": "Uploaded",
        "approved": "Approved",
        "collecting": "To collect",
        "waiting": "Waiting",
        "booked": "Booked",
        "closed": "The account was closed.",
    },
}


@dataclass
class Run:
    name: str
    lang: str
    watched: Watched
    base_url: str
    console: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def page(self):
        return self.watched.page

    def w(self, key: str) -> str:
        return WORDS[self.lang][key]

    def csp_errors(self) -> list[str]:
        return [m for m in self.console if CSP_ERROR.search(m)]

    def in_language(self, text: str) -> bool:
        """All the page's language: no Chinese in English mode, no English words in Chinese mode."""
        if self.lang == "en":
            return not CJK.search(text)
        return bool(CJK.search(text)) and not re.search(r"[A-Za-z]{4,}", text)


def open_run(browser, base_url: str, name: str) -> Iterator[Run]:
    viewport, lang = RUNS[name]
    phone = viewport is PHONE
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN" if lang == "zh" else "en-GB",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    run = Run(name, lang, Watched(page, base_url), base_url)
    page.on("console", lambda m: run.console.append(m.text) if m.type == "error" else None)
    page.goto(f"{base_url}/?lang={lang}")
    try:
        yield run
    finally:
        context.close()


_ROUTES: dict[str, set[tuple[str, str]]] = {}


def has_route(server: Api, method: str, path: str) -> bool:
    """Whether the API serves the route yet (its OpenAPI document): the identity and citizen-api
    helpers' routes are built to the contract and tested once they land."""
    if "routes" not in _ROUTES:
        paths = server.get("/v1/openapi.json").json().get("paths", {})
        _ROUTES["routes"] = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    return (method.upper(), path) in _ROUTES["routes"]


def services(server: Api) -> dict[str, dict]:
    return {s["code"]: s for s in server.get("/v1/services").json()["services"]}


def _slow_machine() -> None:
    """The suite shares two cores with other work: assertions wait up to 10 s, as actions do."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


_slow_machine()


def shot(page, name: str, selector: str) -> None:
    """build/screenshots/<name>-phone.png and -desktop.png, with `selector` (the journey's section)
    scrolled to the top of the view."""
    from browser_support import SCREENSHOTS, resize

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        resize(page, viewport)
        page.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"))
    page.set_viewport_size(size)


def new_code(server: Api, phone: str, before: int, timeout: float = 30) -> str:
    """The six-digit code of the first SMS to `phone` after the `before` it had."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = server.sms(phone)
        if len(messages) > before:
            found = re.search(r"(?<!\d)(\d{6})(?!\d)", messages[0])
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no new SMS with a code to {phone}: {server.sms(phone)[:3]}")


def choose(run: Run, service: str, office: str = OFFICE, day: int = 1) -> str:
    """Service, hall, the `day`-th released day and its first slot with a place; the slot's start."""
    page = run.page
    change = page.locator("#services button.change")
    if change.count():
        change.click()
    page.locator(f"[data-service-code='{service}'] button.choose").click()
    page.locator(f"[data-office-id='{office}'] button.choose").click()
    page.locator("#days button[data-date]").nth(day).click()
    slot = page.locator("#slots button:not(.full)").first
    start = slot.get_attribute("data-start")
    slot.click()
    expect(page.locator("#booking-summary")).to_contain_text(start)
    return start


def log_in(run: Run, login: str, password: str) -> None:
    page = run.page
    if page.locator("#logout").is_visible():
        page.locator("#logout").click()
    page.locator("#tab-login").click()
    page.locator("#login-login").fill(login)
    page.locator("#login-password").fill(password)
    page.locator("#login-submit").click()
    expect(page.locator("#logged-in")).to_be_visible()


def booked_now(run: Run) -> str:
    """Book the chosen slot; the new booking's reference (the confirmation shows it)."""
    page = run.page
    before = page.locator("#conf-reference").inner_text()
    page.locator("#book").click()
    expect(page.locator("#confirmation")).to_be_visible()
    expect(page.locator("#conf-reference")).not_to_have_text(before or "-")
    assert page.locator("#booking-msg").is_hidden(), page.locator("#booking-msg").inner_text()
    return page.locator("#conf-reference").inner_text()


def one_message(run: Run, box: str, text: str) -> None:
    """The refusal is shown once, as one sentence wholly in the page's language."""
    page = run.page
    expect(page.locator(box)).to_have_text(text)
    assert run.in_language(text), text
    assert page.locator("main").inner_text().count(text) == 1
