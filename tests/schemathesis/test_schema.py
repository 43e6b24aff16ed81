"""The server answers what its OpenAPI document says (clients are generated from it): schemathesis (`st run`, the
whole engine: explicit examples, boundary coverage, fuzzing, then stateful sequences along the links
it infers) sends schema-valid requests to every operation of /v1/openapi.json of a live
`python -m local` and checks each answer - no server error, a documented status, the documented
media type and a body valid against the documented schema.

Each operation is called with the bearer token of the role its declaration (hallbook.web.routing) names for it
(conftest.py logs each role in). Bounded: MAX_EXAMPLES per operation and phase and MAX_TIME for the
run, so it takes about two minutes on two cores (plus the server's start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from hallbook.web.openapi import UNLISTED
from hallbook.web.routes import every_route
from hallbook.web.routing import ADMIN, ANY_ROLE, CITIZEN, OPERATOR, STAFF

ROUTES = every_route()

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PHASES = "examples,coverage,fuzzing,stateful"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
MAX_TIME = int(os.environ.get("SCHEMATHESIS_MAX_TIME", "60"))  # seconds: fuzzing and stateful testing go on until then
SEED = 20300930  # the same cases every run: a failure reproduces


# routes that end the session they are called with (logout, a password change, closing the account):
# another session's token
SESSION_ENDERS = {("DELETE", "/v1/sessions/current")}  # another session of the citizen's
ACCOUNT_ENDERS = {("POST", "/v1/me/password"), ("DELETE", "/v1/me")}  # another citizen's (every session ends)


def role_token(tokens, roles: tuple[str, ...], tags: list[str], operation: tuple[str, str] = ("", "")) -> str | None:
    """The bearer token of the role a route wants, or None (public)."""
    if not roles:
        return None
    if operation in SESSION_ENDERS:
        return tokens.citizen_spare
    if operation in ACCOUNT_ENDERS:
        return tokens.leaver
    if roles in (CITIZEN, ANY_ROLE):
        return tokens.applicant if "applications" in tags else tokens.citizen
    if roles == STAFF:
        return tokens.permit_office_staff if "applications" in tags else tokens.office_staff
    return {ADMIN: tokens.admin, OPERATOR: tokens.operator}[roles]


# Path parameters fixed per operation: a staff token meets its own office (the hall routes at
# gz-zengcheng-licheng-ps, the office's at 王海's police station); the operator acts for the citizen
# registered here; and the administrators' routes that rewrite the catalog act on the test's own
# hall, service, year and permit, so that the demo halls keep the slots the other operations book
# (a demo hall's new timetable also costs tens of seconds in the embedded AWS).
def fixed_parameters(method: str, path: str, roles: tuple[str, ...], tags: list[str], tokens) -> dict[str, str]:
    from .conftest import OFFICE, OWN_OFFICE, PERMIT_OFFICE

    own = {
        ("PUT", "/v1/offices/{office_id}"): {"path.office_id": OWN_OFFICE},
        ("POST", "/v1/offices/{office_id}/closures"): {"path.office_id": OWN_OFFICE},
        ("PUT", "/v1/services/{code}"): {"path.code": "SCHEMATHESIS"},
        ("PUT", "/v1/calendar/{year}"): {"path.year": "2031"},
        ("PUT", "/v1/permits/{number}"): {"path.number": "ST2030000001"},
    }
    if (method, path) in own:
        return own[(method, path)]
    if roles == STAFF and "{office_id}" in path:
        return {"path.office_id": PERMIT_OFFICE if "applications" in tags else OFFICE}
    if roles == OPERATOR and "{account_id}" in path:
        return {"path.account_id": tokens.citizen_account_id}
    return {}


def _inline_table(values: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items()) + " }"


def config_toml(document: dict, tokens) -> str:
    """schemathesis.toml: the checks, the bounds and, per operation, its role's Authorization header
    and any fixed path parameter."""
    lines = [
        f"seed = {SEED}",
        "request-timeout = 60",
        "[generation]",
        'mode = "positive"',
        f"max-examples = {MAX_EXAMPLES}",
        "[checks]",
        "enabled = false",
        *(f"{check}.enabled = true" for check in CHECKS.split(",")),
    ]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            roles = ROUTES.get((method.upper(), path), UNLISTED).roles
            tags = operation.get("tags") or []
            token = role_token(tokens, roles, tags, (method.upper(), path))
            parameters = fixed_parameters(method.upper(), path, roles, tags, tokens)
            if not token and not parameters:
                continue
            lines += ["[[operations]]", f"include-operation-id = {json.dumps(operation['operationId'])}"]
            if token:
                lines.append(f"headers = {_inline_table({'Authorization': f'Bearer {token}'})}")
            if parameters:
                lines.append(f"parameters = {_inline_table(parameters)}")
    return "\n".join(lines) + "\n"


def test_every_operation_answers_as_documented(live_api: str, tokens, tmp_path: Path) -> None:
    with urllib.request.urlopen(f"{live_api}/v1/openapi.json") as response:
        document = json.loads(response.read())
    (tmp_path / "schemathesis.toml").write_text(config_toml(document, tokens), encoding="utf-8")
    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(tmp_path / "schemathesis.toml"),
            "--no-color",
            "run",
            f"{live_api}/v1/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            PHASES,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--max-time",
            str(MAX_TIME),
            "--workers",
            "1",
            "--suppress-health-check",
            "all",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=MAX_TIME + 120,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    elapsed = time.monotonic() - started
    output = run.stdout
    start = next(
        (output.rfind(f"=== {part} ===") for part in ("WARNINGS", "SUMMARY") if f"=== {part} ===" in output),
        len(output) - 3000,
    )
    summary = output[max(0, start) :]
    print(f"\nschemathesis, {elapsed:.0f}s:\n{summary}")
    found = output[output.find("=== FAILURES ===") :] if "=== FAILURES ===" in output else output
    assert run.returncode == 0, f"schemathesis ({elapsed:.0f}s):\n{found[-20000:]}\n{run.stderr[-3000:]}"
