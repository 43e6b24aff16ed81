"""Residence-permit review on the counter console (R17): the station's clerk lists the submitted
applications, opens one (its materials through their presigned URLs), approves it, and completes it
once the citizen chose collection. The application is made over HTTP by a demo permit holder (the
citizen page's own flow is test_01_journeys')."""

from __future__ import annotations

import pytest
from blackbox_support import Api
from browser_support import Watched, axe_check
from playwright.sync_api import expect

pytestmark = pytest.mark.R17
STATION = "hk-longhua-jinmao-ps"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def application(server: Api, desktop: Watched) -> dict:
    """林小梅 (a demo permit holder) applies to replace her damaged permit: the form, each material
    uploaded to its presigned POST, submitted."""
    citizen = server.login("13707980003", "local-citizen-1")
    made = server.post(
        "/v1/applications", {"kind": "replacement", "permit_number": "HK2025000003", "reason": "damaged"}, token=citizen
    )
    assert made.status == 201, made
    body = made.json()
    assert body["uploads"], body  # the damaged permit's photo
    for form in body["uploads"]:
        posted = desktop.page.request.post(
            form["url"],
            multipart={
                **form["fields"],
                form["file_field"]: {"name": "m.png", "mimeType": form["content_type"], "buffer": PNG},
            },
        )
        assert posted.status < 300, (posted.status, posted.text())
    submitted = server.post(f"/v1/applications/{body['application_id']}/submit", token=citizen)
    assert submitted.status == 200, submitted
    return {"id": body["application_id"], "reference": body["reference"], "citizen": citizen}


def test_the_clerk_opens_approves_and_completes_an_application(
    desktop: Watched, base_url: str, server: Api, application: dict
) -> None:
    page = desktop.page
    page.goto(base_url + "/staff/?lang=zh")
    if page.locator("#logout").is_visible():
        page.locator("#logout").click()
    page.get_by_label("工号").fill(f"staff@{STATION}")
    page.locator("#password").fill("local-staff-pass")
    page.locator("#password").press("Enter")
    row = page.locator(f"#apps-list tr[data-application='{application['id']}']")
    expect(row).to_contain_text(application["reference"])
    page.wait_for_load_state("networkidle")
    row.get_by_role("button").click()
    detail = page.locator("#app-detail")
    expect(detail).to_contain_text("审核中")
    links = page.locator("#app-materials a")
    expect(links.first).to_be_visible()
    href = links.first.get_attribute("href")
    assert href and page.request.get(href).status == 200  # the presigned URL serves the material
    assert links.first.get_attribute("rel") == "noopener noreferrer"
    assert axe_check(page, "staff-applications") == []
    page.locator("#app-reject").click()  # a rejection needs its reason
    expect(page.locator("#msg")).to_contain_text("原因")
    page.locator("#app-approve").click()
    expect(page.locator("#msg")).to_contain_text(application["reference"])
    expect(detail).to_contain_text("已通过")
    collected = server.post(
        f"/v1/applications/{application['id']}/collection",
        {"method": "mail", "name": "林小梅", "address": "海口市龙华区滨海大道105号1101", "phone": "13707980003"},
        token=application["citizen"],
    )
    assert collected.status == 200, collected
    page.locator("#apps-state").select_option("collecting")
    page.locator(f"#apps-list tr[data-application='{application['id']}'] button").click()
    page.locator("#app-complete").click()
    expect(detail).to_contain_text("已办结")
    assert not desktop.errors and not desktop.outside
