"""Issue 21 item 6: no input anywhere gives a 5xx. Every route of the template (its declaration, web/routing.py),
called by the role it is for, with hostile path parameters (3,000 characters, NUL, an emoji,
`../`), hostile paging and date parameters and an empty JSON body: each answer is a 4xx or a 2xx,
never a 5xx (a DynamoDB key over its 2,048 bytes, a cursor that is not ours, a date that is no date)."""

from __future__ import annotations

import re

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from hallbook.web.routes import every_route
from tests.support import OFFICE, auth, login, open_office, registered

HOSTILE_SEGMENTS = ["x" * 3000, "%00", "%F0%9F%99%82..%2F1e9999"]
HOSTILE_QUERY = {
    "limit": "-1",
    "cursor": "x",
    "from": "9999-99-99",
    "to": "0",
    "date": "２０３０-１０-０１",
    "status": "%00",
}


@pytest.fixture
def tokens(system, api):
    open_office(system)
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    accounts.create_staff_account("operator", "operator-pass-1", "operator", "话务员", None, now())
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    return {
        "citizen": registered(system).token,
        "admin": login(api, "admin", "admin-pass-1"),
        "operator": login(api, "operator", "operator-pass-1"),
        "staff": login(api, f"staff@{OFFICE}", "staff-pass-1"),
    }


def test_no_route_answers_a_5xx_to_hostile_parameters(tokens, api):
    seen = []
    for (method, path), rule in list(every_route().items()):
        token = tokens.get(rule.roles[0]) if rule.roles else tokens["citizen"]
        headers = {**auth(token), "Idempotency-Key": "k" * 300}
        for segment in HOSTILE_SEGMENTS if "{" in path else [""]:
            concrete = re.sub(r"\{[^}]+\}", segment, path.replace("{office_id}", OFFICE))
            if "{office_id}" in path and segment:  # the office itself hostile too, once
                concrete_other = re.sub(r"\{[^}]+\}", segment, path)
                seen.append((method, concrete_other, _status(api, method, concrete_other, headers)))
            seen.append((method, concrete, _status(api, method, concrete, headers)))
    failures = [s for s in seen if s[2] >= 500]
    assert not failures, failures[:10]
    assert len(seen) > 150


def _status(api, method: str, path: str, headers: dict) -> int:
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return api.invoke(method, path, headers=headers, body=body, query=HOSTILE_QUERY).status
