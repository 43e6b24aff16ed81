"""Authorisation before validation (a refusal lists no fields). Every route of the template is in web/guard.py's
table, and an anonymous or wrong-role call answers 401/403 - never 422 with the list of fields - on
admin, staff, operator and citizen routes alike, whatever body it sends."""

from __future__ import annotations

import re

import pytest

from hallbook.services.seed import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    OPERATOR_LOGIN,
    OPERATOR_PASSWORD,
    STAFF_PASSWORD,
    seed_local_accounts,
)
from hallbook.web.routes import every_route
from local.template import api_routes, read_sam_template
from tests.support import OFFICE, auth, login, problem, put_test_office, registered

OTHER_OFFICE = "other-hall"
INVALID_BODY = {"unexpected": ["field"], "office_id": 7}
SAMPLE = {"office_id": OFFICE, "code": "ID_RENEW", "year": "2027", "number": "HK2025000001"}


def template_routes() -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in api_routes(read_sam_template())}


def path_of(template_path: str, office_id: str = OFFICE) -> str:
    return re.sub(
        r"\{(\w+)\}", lambda m: office_id if m.group(1) == "office_id" else SAMPLE.get(m.group(1), "x1"), template_path
    )


def call(api, method: str, template_path: str, token: str | None = None, office_id: str = OFFICE):
    headers = auth(token) if token else {}
    body = INVALID_BODY if method in ("POST", "PUT") else None
    return api.invoke(
        method,
        path_of(template_path, office_id),
        headers=headers,
        body=body,
        query={"limit": "-1", "service": "", "from": "tomorrow"} if method == "GET" else None,
    )


def test_every_template_route_is_in_the_table_and_nothing_else():
    assert set(every_route()) == template_routes()


@pytest.fixture
def tokens(system, api):
    put_test_office()
    put_test_office(office_id=OTHER_OFFICE)
    seed_local_accounts([OFFICE, OTHER_OFFICE])
    return {
        "citizen": registered(system).token,
        "staff": login(api, f"staff@{OFFICE}", STAFF_PASSWORD),
        "admin": login(api, ADMIN_LOGIN, ADMIN_PASSWORD),
        "operator": login(api, OPERATOR_LOGIN, OPERATOR_PASSWORD),
    }


GUARDED = sorted((method, path, rule) for (method, path), rule in every_route().items() if rule.roles)


def answers(api, calls) -> list[str]:
    """`calls`: (what, expected status and code, request thunk); the ones answered otherwise."""
    wrong = []
    for what, (status, code), request in calls:
        r = request()
        body = r.json()
        if (r.status, body.get("code")) != (status, code) or "errors" in body:
            wrong.append(f"{what}: {r.status} {body.get('code')} {body.get('detail')}")
    return wrong


def test_no_token_or_a_bad_one_is_401_before_the_body_is_read(system, api):
    bad = [None, "not-a-token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"]
    assert (
        answers(
            api,
            [
                (
                    f"{method} {path} token={token}",
                    (401, "UNAUTHENTICATED"),
                    lambda m=method, p=path, t=token: call(api, m, p, t),
                )
                for method, path, _ in GUARDED
                for token in bad
            ],
        )
        == []
    )


def test_a_wrong_role_is_403_before_the_body_is_read(tokens, api):
    assert (
        answers(
            api,
            [
                (f"{method} {path} as {role}", (403, "FORBIDDEN"), lambda m=method, p=path, t=token: call(api, m, p, t))
                for method, path, rule in GUARDED
                for role, token in tokens.items()
                if role not in rule.roles
            ],
        )
        == []
    )


def test_staff_of_another_office_is_403_before_the_body_is_read(tokens, api):
    own_office = [(m, p) for m, p, rule in GUARDED if rule.own_office]
    assert len(own_office) >= 9
    assert (
        answers(
            api,
            [
                (
                    f"{method} {path}",
                    (403, "FORBIDDEN"),
                    lambda m=method, p=path: call(api, m, p, tokens["staff"], office_id=OTHER_OFFICE),
                )
                for method, path in own_office
            ],
        )
        == []
    )


def test_the_right_role_still_meets_validation(tokens, api):
    """Past the guard, a bad body is the 422 it always was."""
    for method, path, role in [
        ("PUT", "/v1/services/{code}", "admin"),
        ("POST", "/v1/bookings", "citizen"),
        ("POST", "/v1/offices/{office_id}/check-ins", "staff"),
        ("POST", "/v1/operator/citizen-lookups", "operator"),
        ("PUT", "/v1/offices/{office_id}", "admin"),
    ]:
        problem(call(api, method, path, tokens[role]), 422, "VALIDATION_ERROR")


def test_public_routes_are_not_asked_for_a_token(system, api):
    put_test_office()
    assert api.invoke("GET", "/v1/services").status == 200
    assert api.invoke("GET", f"/v1/offices/{OFFICE}/queue").status == 200
    problem(api.invoke("POST", "/v1/accounts", body=INVALID_BODY), 422, "VALIDATION_ERROR")
