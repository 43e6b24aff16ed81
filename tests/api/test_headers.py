"""Issue 21 item 8: `X-Content-Type-Options: nosniff` on every answer (JSON, problem+json, the
confirmation, the .ics, the pages, the gateway's own); the confirmation under a Content-Security-Policy
that allows its own inline style and print script by hash - in its own document and inside the citizen
page's iframe (the pages' policy names the same hashes); `Vary: Origin` wherever the answer's
Access-Control-Allow-Origin depends on the Origin, and the stage cache keyed on it."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from hallbook.services import confirmation
from local.edge_cache import rules_from_template
from local.template import TEMPLATE_PATH, read_sam_template
from tests.support import OFFICE, SERVICE, next_working_day, open_office, registered

pytestmark = pytest.mark.R13
GOOD, OTHER = "https://yuyue.example.gov.cn", "https://h5.example.cn"


@pytest.fixture
def office(system, environ):
    environ(ALLOWED_ORIGINS=f"{GOOD},{OTHER}")
    return open_office(system)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_every_kind_of_answer_says_nosniff_and_vary_origin(office, api):
    citizen = registered(office)
    booking = citizen.book(next_working_day()).json()
    answers = {
        "json": api.invoke("GET", "/v1/services"),
        "problem (route)": api.invoke("GET", "/v1/services/NOPE"),
        "problem (guard)": api.invoke("GET", "/v1/bookings"),
        "problem (body)": api.invoke("POST", "/v1/sessions", body="<x/>", headers={"Content-Type": "text/xml"}),
        "confirmation": citizen.get(f"/v1/bookings/{booking['booking_id']}/confirmation"),
        "ics": citizen.get(f"/v1/bookings/{booking['booking_id']}/calendar.ics"),
        "304": api.invoke(
            "GET",
            f"/v1/offices/{OFFICE}/availability",
            query={"service": SERVICE},
            headers={"If-None-Match": "*"},
        ),
    }
    for what, reply in answers.items():
        assert reply.headers.get("x-content-type-options") == "nosniff", what
        assert "Origin" in [v.strip() for v in reply.headers.get("vary", "").split(",")], what
    assert answers["304"].status == 304 and answers["problem (guard)"].status == 401
    # the route's own Vary stays beside it
    assert "Accept-Language" in answers["problem (route)"].headers["vary"]
    for path in ("/", "/assets/citizen.js", "/local/clock", "/docs", "/v1/nothing-here", "/local/sms"):
        assert api.invoke("GET", path).headers.get("x-content-type-options") == "nosniff", path


def test_the_confirmation_allows_only_its_own_style_and_script_by_hash(office, api):
    citizen = registered(office)
    booking = citizen.book(next_working_day()).json()
    reply = citizen.get(f"/v1/bookings/{booking['booking_id']}/confirmation")
    csp = reply.headers["content-security-policy"]
    [style] = re.findall(r"<style>(.*?)</style>", reply.text, re.S)
    [script] = re.findall(r"<script>(.*?)</script>", reply.text, re.S)
    assert f"style-src {_sha256(style)};" in csp and f"script-src {_sha256(script)};" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "onclick" not in reply.text and " style=" not in reply.text  # no inline handler or attribute
    # shown in an iframe's srcdoc on a page, it is under the page's own policy: that names them too
    page_csp = api.invoke("GET", "/").headers["content-security-policy"]
    assert f"style-src 'self' {_sha256(style)}" in page_csp and f"script-src 'self' {_sha256(script)}" in page_csp
    template_csp = read_sam_template(TEMPLATE_PATH)["Resources"]["PagesHeaders"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    template_csp = template_csp["Fn::Sub"] if isinstance(template_csp, dict) else template_csp
    assert confirmation.STYLE_HASH in template_csp and confirmation.SCRIPT_HASH in template_csp


def test_the_stage_cache_keeps_one_answer_per_origin(office, api):
    edge = api.edge_cache
    edge.enabled = True
    try:
        path, query = f"/v1/offices/{OFFICE}/availability", {"service": SERVICE}
        first = api.invoke("GET", path, query=query, headers={"Origin": GOOD})
        assert first.headers["access-control-allow-origin"] == GOOD
        for origin in (OTHER, "https://evil.example", None):
            reply = api.invoke("GET", path, query=query, headers={"Origin": origin} if origin else {})
            assert reply.headers.get("access-control-allow-origin") == (origin if origin == OTHER else None), origin
        assert (
            api.invoke("GET", path, query=query, headers={"Origin": GOOD}).headers["access-control-allow-origin"]
            == GOOD
        )
        assert edge.hits == 1
    finally:
        edge.enabled = False
        edge.clear()


def test_the_template_keys_both_cached_routes_on_the_origin():
    rules = rules_from_template(read_sam_template(TEMPLATE_PATH))
    assert rules[("GET", "/v1/offices/{office_id}/availability")].header_keys == ("origin",)
    assert rules[("GET", "/v1/offices/{office_id}/queue")].header_keys == ("origin",)
    responses = read_sam_template(TEMPLATE_PATH)["Resources"]["Api"]["Properties"]["GatewayResponses"]
    for response in responses.values():
        assert response["ResponseParameters"]["Headers"]["X-Content-Type-Options"] == "'nosniff'"
