"""R23 on the citizen page: a citizen enters the draw of a drawn day in the #draws section, sees the
entry, then (after the close and the draw) the outcome with its rank and the draw's public record
with the seed; in Chinese and in English; axe finds nothing serious."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from blackbox_support import Api, register
from browser_support import Watched, axe_check, reflows
from playwright.sync_api import expect

REGION, OFFICE, SERVICE = "shenzhen", "sz-nanshan-yuehai-ps", "HR_CANCEL"  # one hall, 7 places a day

pytestmark = pytest.mark.R23


def a_draw_with_places(server: Api) -> dict:
    admin = server.login("admin", "local-admin-pass")
    reply = server.request("PUT", f"/v1/regions/{REGION}/draws/{SERVICE}", {"entry_minutes": 10}, token=admin)
    assert reply.status == 200, reply
    draw = server.get(f"/v1/draws/{reply.json()['next_draw_id']}").json()
    for _ in range(8):
        if draw["places"] > 0:
            return draw
        server.move_clock(datetime.fromisoformat(draw["closes_at"]) + timedelta(minutes=2))
        following = f"{REGION}.{SERVICE}.{date.fromisoformat(draw['date']) + timedelta(days=1)}"
        if server.get(f"/v1/draws/{following}").status == 404:
            server.move_clock(datetime.fromisoformat(draw["opens_at"]) + timedelta(days=1))
        draw = server.get(f"/v1/draws/{following}").json()
    pytest.fail("no drawn day with places within a week")


@pytest.fixture
def page(browser, base_url: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


def test_a_citizen_enters_a_draw_and_reads_its_outcome_and_record(page: Watched, base_url: str, server: Api) -> None:
    draw = a_draw_with_places(server)
    opens, closes = datetime.fromisoformat(draw["opens_at"]), datetime.fromisoformat(draw["closes_at"])
    server.move_clock(opens + timedelta(seconds=5))
    citizen = register(server)
    p = page.page
    p.goto(base_url + "/")
    p.evaluate("token => sessionStorage.setItem('hallbook.token', token)", citizen.token)
    p.reload()
    section = p.locator("#draws")
    expect(section.get_by_role("heading", name="摇号报名")).to_be_visible()
    section.get_by_label("办理大厅").select_option(OFFICE)
    section.get_by_label("办理事项").select_option(SERVICE)
    section.get_by_label("预约日期").fill(draw["date"])
    section.get_by_label("未中签时登记候补").check()
    p.locator("#draw-submit").click()
    expect(p.locator("#draw-msg")).to_contain_text("报名成功")
    entry = p.locator("#draw-entries li[data-status='entered']")
    expect(entry).to_contain_text("已报名")
    p.locator("#draw-submit").click()  # again: the same entry (one Idempotency-Key per attempt), no second
    expect(p.locator("#draw-entries li")).to_have_count(1)
    assert axe_check(p, "draws-zh") == []
    assert reflows(p)

    server.move_clock(closes + timedelta(seconds=90))  # the draw runs a minute after the close
    p.locator("#draw-refresh").click()
    outcome = p.locator("#draw-entries li").first
    expect(outcome).to_contain_text("抽签顺序第 1 位")  # the only entrant: drawn first, and so drawn
    expect(outcome).to_have_attribute("data-status", "won")
    outcome.get_by_role("button", name="查看公示").click()
    seed = server.get(f"/v1/draws/{draw['draw_id']}").json()["seed"]
    expect(p.locator(".draw-seed")).to_have_text(seed)

    p.locator("#lang-switch").click()
    expect(section.get_by_role("heading", name="Enter a draw")).to_be_visible()
    expect(p.locator("#draw-entries li").first).to_contain_text("drawn in place 1")
    assert axe_check(p, "draws-en") == []
    assert not page.errors and not page.outside
    ended = server.request(
        "DELETE", f"/v1/regions/{REGION}/draws/{SERVICE}", token=server.login("admin", "local-admin-pass")
    )
    assert ended.status == 200, ended
