"""The pages in local mode (local/pages.py): the SPEC "Pages" paths, their weight and that nothing
comes from outside; the API's CORS (preflight as the template's Api Cors answers it, and the
functions' Access-Control-Allow-Origin for the configured origins only). Browser tests: tests/browser."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest

from local import pages
from local.gateway import Gateway
from local.template import read_sam_template

PAGE_PATHS = {"/": "citizen.js", "/board/gz-tianhe-centre": "board.js", "/staff/": "staff.js"}
BUDGET = 150 * 1024  # bytes per page, everything it loads, uncompressed (the limit is transferred bytes)


@pytest.mark.parametrize("path, script", PAGE_PATHS.items())
def test_each_page_at_its_path_with_its_script(api: Gateway, path: str, script: str) -> None:
    reply = api.invoke("GET", path)
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert f'src="/assets/{script}"' in reply.text
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    again = api.invoke("GET", path, headers={"If-None-Match": reply.headers["etag"]})
    assert again.status == 304 and again.body == b""


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_each_page_weighs_under_150_kb_and_loads_nothing_from_outside(api: Gateway, path: str) -> None:
    html = api.invoke("GET", path).text
    loaded = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert loaded and all(url.startswith("/assets/") for url in loaded), loaded
    total = len(html.encode())
    for url in loaded:
        asset = api.invoke("GET", url)
        assert asset.status == 200, url
        total += len(asset.body)
        if url.endswith((".js", ".css")):
            assert not re.search(r"https?://|url\(\s*['\"]?//", asset.text), url
    assert total <= BUDGET, total


def test_short_paths_redirect_and_others_are_the_apis(api: Gateway) -> None:
    assert api.invoke("GET", "/staff").headers["location"] == "/staff/"
    assert api.invoke("GET", "/board/").headers["location"] == "/"
    assert api.invoke("POST", "/").status == 405
    assert api.invoke("GET", "/assets/../local/pages.py").status == 404
    assert api.invoke("GET", "/assets/nothing.js").status == 404
    assert api.invoke("GET", "/board/a/b").status == 404
    assert api.invoke("GET", "/docs").status == 200  # unchanged
    assert api.invoke("GET", "/v1/services").status == 200


def test_local_config_points_the_pages_at_the_same_origin(api: Gateway) -> None:
    reply = api.invoke("GET", "/assets/config.js")
    assert reply.headers["content-type"].startswith("text/javascript")
    assert '"api": ""' in reply.text and '"clock": "/local/clock"' in reply.text


def test_preflight_answered_like_the_templates_api_cors(api: Gateway, environ: Callable[..., None]) -> None:
    environ(ALLOWED_ORIGINS="https://yuyue.example.gov.cn,https://h5.example.cn")
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    reply = api.invoke("OPTIONS", "/v1/bookings", headers={"Origin": "https://yuyue.example.gov.cn", **ask})
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == "https://yuyue.example.gov.cn"
    assert reply.headers["access-control-allow-headers"] == pages.PREFLIGHT_HEADERS
    assert reply.headers["vary"] == "Origin" and reply.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-credentials" not in reply.headers
    # the mock answers one origin (AllowedOrigins' first); any other gets no CORS header: the browser
    # sends nothing from there
    for origin in (
        "https://h5.example.cn",
        "https://evil.example",
        "null",
        "https://yuyue.example.gov.cn.evil.example",
    ):
        refused = api.invoke("OPTIONS", "/v1/bookings", headers={"Origin": origin, **ask})
        assert refused.status == 204 and not [h for h in refused.headers if h.startswith("access-control-")], origin
        assert refused.headers["vary"] == "Origin"
    cors = read_sam_template()["Resources"]["Api"]["Properties"]["Cors"]
    assert cors["AllowOrigin"] == {
        "Fn::If": [
            "HasAllowedOrigins",
            {
                "Fn::Sub": [
                    "'${First}'",
                    {"First": {"Fn::Select": [0, {"Fn::Split": [",", {"Ref": "AllowedOrigins"}]}]}},
                ]
            },
            "'https://no-origin.invalid'",
        ]
    }
    assert cors["AllowHeaders"] == f"'{pages.PREFLIGHT_HEADERS}'"
    assert cors["AllowMethods"] == f"'{pages.PREFLIGHT_METHODS}'"
    assert cors["MaxAge"] == f"'{pages.PREFLIGHT_MAX_AGE}'"
    assert api.invoke("OPTIONS", "/v1/nothing-here").status == 404


def test_the_api_answers_configured_origins_only(api: Gateway, environ: Callable[..., None]) -> None:
    environ(ALLOWED_ORIGINS="https://yuyue.example.gov.cn, https://h5.example.cn")
    allowed = api.invoke("GET", "/v1/services", headers={"Origin": "https://h5.example.cn"})
    assert allowed.headers["access-control-allow-origin"] == "https://h5.example.cn"
    assert "ETag" in allowed.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in allowed.headers
    foreign = api.invoke("GET", "/v1/services", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    # a refusal made before the resolver (web/guard.py) is readable by the page too
    refused = api.invoke("GET", "/v1/bookings", headers={"Origin": "https://yuyue.example.gov.cn"})
    assert refused.status == 401
    assert refused.headers["access-control-allow-origin"] == "https://yuyue.example.gov.cn"


def test_local_mode_allows_its_own_origin(
    api: Gateway, environ: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    environ(ALLOWED_ORIGINS="https://yuyue.example.gov.cn")
    monkeypatch.delenv("LOCAL_ORIGINS", raising=False)
    pages.allow_own_origin("127.0.0.1:3000")
    assert os.environ["ALLOWED_ORIGINS"] == "https://yuyue.example.gov.cn"  # the template's, untouched
    for origin in ("https://yuyue.example.gov.cn", "http://127.0.0.1:3000", "http://localhost:3000"):
        reply = api.invoke("GET", "/v1/services", headers={"Origin": origin})
        assert reply.headers["access-control-allow-origin"] == origin
