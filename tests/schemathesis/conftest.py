"""Schemathesis against a live `python -m local` (its own process, port and embedded AWS), with the
schema it serves at /v1/openapi.json and a bearer token for each role:

- citizen: registered here through POST /v1/accounts, its SMS code read from GET /local/sms,
  verified (POST /v1/accounts/verify) and logged in (POST /v1/sessions);
- applicant: the demo citizen 王海 (README), who holds a residence permit open for renewal;
- staff: `staff@gz-zengcheng-licheng-ps` (the hall routes) and `staff@hk-longhua-jinmao-ps` (the office of
  王海's permit: the application routes);
- admin and operator: the seeded logins.

They run in a pytest of their own, after the others (`make test`):
    HALLBOOK_SCHEMATHESIS=1 .venv/bin/python -m pytest -q -s --confcutdir tests/schemathesis tests/schemathesis
and are skipped without HALLBOOK_SCHEMATHESIS=1. `--confcutdir` leaves out tests/conftest.py and its
in-process system, which these tests do not need."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.polling import eventually

REPO = Path(__file__).resolve().parents[2]
NOW = "2030-09-30T09:00+08:00"  # a Monday morning, before the noon release
CITIZEN = {"name": "测试员", "id_number": "440106199203040018", "phone": "13912340001", "password": "schema123"}
# a second citizen for the routes that end an account or all its sessions (DELETE /v1/me, a password
# change): the first one's token must live through the whole run
LEAVER = {"name": "测试离", "id_number": "11010519491231002X", "phone": "13912340002", "password": "schema123"}
APPLICANT = {"login": "13707980001", "password": "local-citizen-1"}
OFFICE = "gz-zengcheng-licheng-ps"  # a `priority` hall: walk-in tickets too
PERMIT_OFFICE = "hk-longhua-jinmao-ps"
# a hall of the test's own, for the administrators' routes that rewrite a hall (its timetable, its
# closures): they would otherwise close the demo halls' slots the other operations book
OWN_OFFICE = "schemathesis-hall"
OWN_OFFICE_BODY = {
    "name": "测试大厅",
    "name_en": "Schemathesis hall",
    "region": "guangzhou",
    "district": "天河区",
    "address": "广州市天河区测试路1号",
    "mode": "priority",
    "services": ["ID_RENEW", "HR_BOOKLET"],
    "timetable": {"ID_RENEW": [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "10:00", "capacity": 2}]},
}
START_TIMEOUT = 240  # seconds: the embedded AWS, the template's resources, the demo data and its release


def _call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


RUN = os.environ.get("HALLBOOK_SCHEMATHESIS") == "1"


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m local --port 0 --now NOW` (a free port) in its own process; its base URL. Its output goes to
    a file (named in any failure), read for the line that says where it serves."""
    if not RUN:
        pytest.skip("schemathesis runs in a pytest of its own: HALLBOOK_SCHEMATHESIS=1 (make test does)")
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "layers" / "core"), str(REPO)]),
        "HALLBOOK_FAST_HASH": "1",
    }
    environment.pop("AWS_ENDPOINT_URL", None)  # the child starts its own embedded AWS
    log = tmp_path_factory.mktemp("local") / "python-m-local.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", "0", "--now", NOW],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base = None
        deadline = time.monotonic() + START_TIMEOUT
        while base is None and time.monotonic() < deadline:
            assert process.poll() is None, f"python -m local exited before serving: {log}"
            if match := re.search(r"API docs\s+(http://\S+)/docs", log.read_text(errors="replace")):
                base = match.group(1)
            else:
                time.sleep(0.5)
        assert base is not None, f"python -m local did not serve within {START_TIMEOUT}s: {log}"
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _login(base: str, login: str, password: str) -> str:
    status, body = _call(base, "POST", "/v1/sessions", {"login": login, "password": password})
    assert status == 200, (login, status, body)
    return body["token"]  # type: ignore[index]


@dataclass(frozen=True)
class Tokens:
    citizen_account_id: str
    citizen: str
    citizen_spare: str  # another session of the citizen's, for the routes that end a session
    leaver: str  # another citizen, for the routes that end an account or all its sessions
    applicant: str
    office_staff: str
    permit_office_staff: str
    admin: str
    operator: str


@pytest.fixture(scope="session")
def tokens(live_api: str) -> Tokens:
    return obtain_tokens(live_api)


def _register(live_api: str, person: dict) -> str:
    """A verified citizen: POST /v1/accounts, the code from /local/sms, POST /v1/accounts/verify."""
    status, body = _call(live_api, "POST", "/v1/accounts", person)
    assert status == 201, body
    # the SMS goes out through the outbox, its stream, the queue and SNS
    messages: list = eventually(
        lambda: _call(live_api, "GET", f"/local/sms?phone={person['phone']}")[1],
        timeout=10,
        interval=0.1,
        what="the citizen's verification SMS",
    )
    code = re.search(r"\d{6}", messages[0]["message"]).group(0)  # type: ignore[union-attr]
    status, verified = _call(live_api, "POST", "/v1/accounts/verify", {"id_number": person["id_number"], "code": code})
    assert status == 200 and verified == {"phone_verified": True}, verified
    return body["account_id"]  # type: ignore[index]


def obtain_tokens(live_api: str) -> Tokens:
    account_id = _register(live_api, CITIZEN)
    _register(live_api, LEAVER)
    tokens = Tokens(
        citizen_account_id=account_id,
        citizen=_login(live_api, CITIZEN["phone"], CITIZEN["password"]),
        citizen_spare=_login(live_api, CITIZEN["id_number"], CITIZEN["password"]),
        leaver=_login(live_api, LEAVER["phone"], LEAVER["password"]),
        applicant=_login(live_api, APPLICANT["login"], APPLICANT["password"]),
        office_staff=_login(live_api, f"staff@{OFFICE}", "local-staff-pass"),
        permit_office_staff=_login(live_api, f"staff@{PERMIT_OFFICE}", "local-staff-pass"),
        admin=_login(live_api, "admin", "local-admin-pass"),
        operator=_login(live_api, "operator", "local-operator-pass"),
    )
    status, body = _call(live_api, "PUT", f"/v1/offices/{OWN_OFFICE}", OWN_OFFICE_BODY, tokens.admin)
    assert status in (200, 201), body
    return tokens
