"""Issue 21 item 8: the printable confirmation under a Content-Security-Policy keeps its style and its
print button - shown inside the citizen page (an iframe's srcdoc lives under the page's policy)
and opened as its own document (under its own policy) - with no policy violation in either."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from blackbox_support import Api, at, availability, booked, register

pytestmark = pytest.mark.R13
OFFICE, SERVICE = "gz-tianhe-centre", "ID_RENEW"


@pytest.fixture(scope="module")
def confirmation(server: Api) -> tuple[str, str]:
    citizen = register(server)
    now = server.now()
    for day, slots in availability(server, OFFICE, SERVICE).items():
        if slots.get("09:00", {}).get("remaining") and at(date.fromisoformat(day) - timedelta(days=1), "18:00") > now:
            booking = booked(server, citizen, OFFICE, SERVICE, day, "09:00")
            return f"/v1/bookings/{booking['booking_id']}/confirmation", citizen.token
    pytest.fail("no slot to book")


def _watched(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page, violations


STYLED_AND_PRINTS = """(doc) => {
  const win = doc.defaultView; let printed = 0; win.print = () => { printed += 1; };
  doc.getElementById("print").click();
  return {body: win.getComputedStyle(doc.body).fontSize, ref: win.getComputedStyle(doc.querySelector(".ref")).fontSize,
          printed: printed};
}"""


def test_inside_the_citizen_page_it_keeps_its_style_and_prints(browser, base_url: str, confirmation) -> None:
    path, token = confirmation
    context, page, violations = _watched(browser)
    try:
        page.goto(base_url + "/")
        page.evaluate(
            """async ([path, token]) => {
              const reply = await fetch(path, {headers: {Authorization: "Bearer " + token}});
              const html = await reply.text();
              const frame = document.createElement("iframe");
              document.body.appendChild(frame);
              await new Promise(done => { frame.onload = done; frame.srcdoc = html; });
            }""",
            [path, token],
        )
        # as the citizen page showed it (an iframe's srcdoc): under the page's policy
        frame = page.frames[-1]
        assert frame != page.main_frame and frame.url == "about:srcdoc"
        seen = frame.evaluate(f"({STYLED_AND_PRINTS})(document)")
    finally:
        context.close()
    assert seen == {"body": "18px", "ref": "39.6px", "printed": 1}, seen
    assert not violations, violations


def test_as_its_own_document_it_keeps_its_style_and_prints(browser, base_url: str, confirmation) -> None:
    path, token = confirmation
    context, page, violations = _watched(browser)
    context.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    try:
        reply = page.goto(base_url + path)
        assert reply is not None and "default-src 'none'" in reply.headers["content-security-policy"]
        seen = page.evaluate(f"({STYLED_AND_PRINTS})(document)")
    finally:
        context.close()
    assert seen == {"body": "18px", "ref": "39.6px", "printed": 1}, seen
    assert not violations, violations
