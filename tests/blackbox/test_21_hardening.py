"""Issue 21 items 6-9, played from outside against `python -m local`: forged list cursors, ID numbers
and phones in the server's log, the headers every answer carries (nosniff, the confirmation's CSP,
CORS only for the configured origin, the stage cache keyed on Origin), and bodies whose framing is
broken or chunked on the raw socket. (Every number the suite sends is looked for in the log once more
when the session ends: conftest.py.)"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from blackbox_support import (
    PROBLEM_JSON,
    Api,
    assert_problem,
    at,
    availability,
    booked,
    new_minor_id,
    office_today,
    register,
)

pytestmark = [pytest.mark.R1]

OFFICE, SERVICE = "gz-tianhe-centre", "ID_RENEW"
PERMIT_OFFICE = "hk-longhua-jinmao-ps"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


HOSTILE_CURSORS = [
    "x",
    "e30",
    _b64(b'{"pk": {"S": "BOOKING#x"}, "account_id": {"S": "a"}, "created_at": {"S": "2030"}}'),
    _b64(b'{"pk": {"N": "1"}}') + "." + _b64(b"\0" * 16),
    "%E0%A5%A7%E0%A5%A8",
    "%EF%BD%85%EF%BC%93%EF%BC%90",
    "a.b.c",
    "A" * 2000,
]


def _day(api: Api, office: str, service: str, start: str = "09:00") -> str:
    now = api.now()
    for day, slots in availability(api, office, service).items():
        if (
            start in slots
            and slots[start]["remaining"] > 0
            and at(date.fromisoformat(day) - timedelta(days=1), "18:00") > now + timedelta(hours=1)
        ):
            return day
    raise AssertionError(f"no {service} day at {office}")


def test_a_cursor_the_server_did_not_give_out_is_400_on_every_listing(api: Api) -> None:
    mother, stranger = register(api), register(api)
    booked(api, mother, OFFICE, SERVICE, _day(api, OFFICE, SERVICE), "09:00")
    admin = api.login("admin", "local-admin-pass")
    operator = api.login("operator", "local-operator-pass")
    staff = api.login(f"staff@{PERMIT_OFFICE}", "local-staff-pass")
    found = api.post(
        "/v1/operator/citizen-lookups", {"id_number": mother.id_number, "phone": mother.phone}, token=operator
    )
    assert found.status == 200, found
    listings = [
        ("/v1/bookings", mother.token),
        ("/v1/applications", mother.token),
        ("/v1/audit", admin),
        ("/v1/admin/flags", admin),
        (f"/v1/operator/citizens/{found.json()['account_id']}/bookings", operator),
        (f"/v1/offices/{PERMIT_OFFICE}/applications", staff),
    ]
    for path, token in listings:
        assert api.get(path, token=token).status == 200, path
        for cursor in HOSTILE_CURSORS:
            assert_problem(api.get(f"{path}?cursor={cursor}", token=token), 400, "VALIDATION_ERROR")
    # the mother's own next_cursor is hers: in a stranger's hands, or tampered, it is refused
    page = api.get("/v1/bookings?limit=1", token=mother.token).json()
    if page["next_cursor"]:
        assert api.get(f"/v1/bookings?limit=1&cursor={page['next_cursor']}", token=mother.token).status == 200
        assert_problem(
            api.get(f"/v1/bookings?cursor={page['next_cursor']}", token=stranger.token), 400, "VALIDATION_ERROR"
        )
        payload, _, seal = page["next_cursor"].partition(".")
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        key["account_id"] = {"S": stranger.account_id}
        forged = _b64(json.dumps(key).encode()) + "." + seal
        assert_problem(api.get(f"/v1/bookings?cursor={forged}", token=mother.token), 400, "VALIDATION_ERROR")


def test_a_minors_id_number_is_not_in_the_log_when_a_guardian_is_linked(api: Api) -> None:
    guardian = register(api)
    minor = new_minor_id(office_today(api) - timedelta(days=400))
    staff = api.login(f"staff@{OFFICE}", "local-staff-pass")
    reply = api.post(
        f"/v1/offices/{OFFICE}/guardian-links",
        {"guardian_id_number": guardian.id_number, "minor_id_number": minor},
        token=staff,
    )
    assert reply.status == 202, reply  # issue 21: a second member of staff approves
    admin = api.login("admin", "local-admin-pass")
    reply = api.post(f"/v1/offices/{OFFICE}/identity-changes/{reply.json()['change_id']}/approve", token=admin)
    assert reply.status == 201, reply
    api.wait_sms(guardian.phone, lambda m: "监护" in m or "guardian" in m.lower(), "the link's notice")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the notifier's log line follows the SMS
        log = Path(Api.log_path).read_text(encoding="utf-8", errors="replace")
        if '"template":"guardian_linked"' in log:
            break
        time.sleep(0.2)
    assert '"template":"guardian_linked"' in log
    assert minor not in log and guardian.id_number not in log and guardian.phone not in log
    assert re.search(r'"message_id":"guardian#p[A-Za-z0-9_-]{16}#', log)  # the pseudonym stands for it


@pytest.mark.R13
def test_every_answer_says_nosniff_and_the_confirmation_prints_under_its_own_csp(api: Api) -> None:
    citizen = register(api)
    booking = booked(api, citizen, OFFICE, SERVICE, _day(api, OFFICE, SERVICE), "09:00")
    replies = {
        "json": api.get("/v1/services"),
        "problem": api.get("/v1/bookings"),
        "confirmation": api.get(f"/v1/bookings/{booking['booking_id']}/confirmation", token=citizen.token),
        "ics": api.get(f"/v1/bookings/{booking['booking_id']}/calendar.ics", token=citizen.token),
        "page": api.get("/"),
        "gateway 404": api.get("/v1/no-such-route"),
        "local route": api.get("/local/clock"),
    }
    for what, reply in replies.items():
        assert reply.headers.get("x-content-type-options") == "nosniff", what
    assert replies["problem"].content_type == PROBLEM_JSON
    confirmation = replies["confirmation"]
    csp = confirmation.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    style_hash = re.search(r"style-src ('sha256-[^']+')", csp).group(1)
    script_hash = re.search(r"script-src ('sha256-[^']+')", csp).group(1)
    # the citizen page shows it in an iframe's srcdoc, under the page's policy: that allows both too
    page_csp = replies["page"].headers["content-security-policy"]
    assert style_hash in page_csp and script_hash in page_csp
    assert "onclick" not in confirmation.text


def test_cors_answers_the_configured_origin_only_and_the_stage_cache_keeps_one_answer_per_origin(api: Api) -> None:
    own = f"http://127.0.0.1:{api.port}"  # local mode's configured origin (its pages)
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = api.request("OPTIONS", "/v1/bookings", headers={"Origin": own, **ask})
    assert allowed.status == 204 and allowed.headers["access-control-allow-origin"] == own
    for origin in ("https://evil.example", "null", own + ".evil.example"):
        refused = api.request("OPTIONS", "/v1/bookings", headers={"Origin": origin, **ask})
        assert "access-control-allow-origin" not in refused.headers, origin
    path = f"/v1/offices/{OFFICE}/availability?service={SERVICE}"
    first = api.get(path, headers={"Origin": own})
    assert first.headers["access-control-allow-origin"] == own and "Origin" in first.headers["vary"]
    evil = api.get(path, headers={"Origin": "https://evil.example"})  # within the stage cache's second
    assert "access-control-allow-origin" not in evil.headers and "Origin" in evil.headers["vary"]
    assert api.get(path, headers={"Origin": own}).headers["access-control-allow-origin"] == own


def _raw(api: Api, data: bytes, wait: float = 10) -> tuple[list[bytes], float]:
    started = time.monotonic()
    with socket.create_connection((api.host, api.port), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            return [b"<hang>"], time.monotonic() - started
    return re.findall(rb"HTTP/1\.1 (\d{3})", received), time.monotonic() - started


def test_broken_framing_is_a_400_never_a_hang_or_a_second_request_and_chunked_is_read(api: Api) -> None:
    second = b"GET /v1/services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for framing in (
        b"Content-Length: -1",
        b"Content-Length: 99999999999",
        b"Content-Length: abc",
        b"Content-Length: 5\r\nContent-Length: 6",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked",
    ):
        request = b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing
        statuses, took = _raw(api, request + b"\r\n\r\n{}" + second)
        assert statuses == [b"400"] and took < 5, (framing, statuses, took)
    citizen = register(api, login=False)
    body = json.dumps({"login": citizen.phone, "password": citizen.password}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:5], body[5:])) + b"0\r\n\r\n"
    request = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    statuses, _ = _raw(api, request + chunks + second)
    assert statuses == [b"200", b"200"], statuses  # the login, then the next request as sent
