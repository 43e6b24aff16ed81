"""Issue 21 item 6: every list's `cursor` is sealed for its list (hallbook/store/base.py). A cursor the
server did not give out - garbage, a forged or tampered one, another account's or another list's - is
400 VALIDATION_ERROR on every listing, never a 5xx and never another account's page."""

from __future__ import annotations

import base64
import json

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from tests.support import OFFICE, auth, login, next_working_day, open_office, problem, registered

HOSTILE = [
    "x",
    "e30",
    base64.urlsafe_b64encode(b'{"pk": {"S": "x"}}').decode(),
    base64.urlsafe_b64encode(b'{"account_id": {"N": "1"}, "pk": {"S": ""}}').decode() + ".AAAA",
    "a.b.c",
    "%00",
    "١٢٣",
    "ｅ３０",
    "null",
    "[]",
    "A" * 2048,
]


@pytest.fixture
def office(system):
    return open_office(system)


@pytest.fixture
def tokens(office, api):
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    accounts.create_staff_account("operator", "operator-pass-1", "operator", "话务员", None, now())
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    return {
        "admin": login(api, "admin", "admin-pass-1"),
        "operator": login(api, "operator", "operator-pass-1"),
        "staff": login(api, f"staff@{OFFICE}", "staff-pass-1"),
    }


def test_every_listing_answers_400_for_any_cursor_it_did_not_give_out(office, tokens, api):
    citizen = registered(office)
    listings = [
        ("/v1/bookings", citizen.token),
        ("/v1/applications", citizen.token),
        ("/v1/audit", tokens["admin"]),
        ("/v1/admin/flags", tokens["admin"]),
        (f"/v1/operator/citizens/{_account_id(api, tokens['operator'], citizen)}/bookings", tokens["operator"]),
        (f"/v1/offices/{OFFICE}/applications", tokens["staff"]),
    ]
    for path, token in listings:
        first = api.invoke("GET", path, headers=auth(token))
        assert first.status in (200, 403), (path, first.text)  # a hall without permits: 403 before the cursor
        for cursor in HOSTILE:
            r = api.invoke("GET", path, headers=auth(token), query={"cursor": cursor})
            assert r.status < 500, (path, cursor, r.text)
            if first.status == 200:
                problem(r, 400, "VALIDATION_ERROR")


def test_a_cursor_is_good_for_its_own_list_only(office, api):
    day = next_working_day()
    mother, stranger = registered(office), registered(office)
    assert mother.book(day).status == 201
    page = mother.get("/v1/bookings", limit="1").json()
    cursor = page["next_cursor"] or _sealed_elsewhere(mother)  # a full page of 1 may end without a cursor
    # the mother's cursor in the stranger's hands: not her page, not his next page - refused
    problem(stranger.get("/v1/bookings", cursor=cursor), 400, "VALIDATION_ERROR")
    problem(stranger.get("/v1/applications", cursor=cursor), 400, "VALIDATION_ERROR")
    # tampered: the payload names the stranger's account under the mother's seal
    payload, _, seal = cursor.partition(".")
    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    key["account_id"] = {"S": "someone-else"}
    forged = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=") + "." + seal
    problem(mother.get("/v1/bookings", cursor=forged), 400, "VALIDATION_ERROR")


def _sealed_elsewhere(citizen) -> str:
    from hallbook.store.base import seal_cursor

    return seal_cursor({"account_id": {"S": "x"}, "pk": {"S": "y"}}, "bookings:someone-else")


def _account_id(api, operator_token: str, citizen) -> str:
    r = api.invoke(
        "POST",
        "/v1/operator/citizen-lookups",
        headers=auth(operator_token),
        body={"id_number": citizen.id_number, "phone": citizen.phone},
    )
    assert r.status == 200, r.text
    return r.json()["account_id"]


def test_the_document_says_a_listing_answers_400_for_a_cursor(api):
    paths = api.invoke("GET", "/v1/openapi.json").json()["paths"]
    listings = [
        p
        for p, ops in paths.items()
        if any(x.get("name") == "cursor" for x in ops.get("get", {}).get("parameters", []))
    ]
    assert len(listings) >= 6
    for path in listings:
        assert "400" in paths[path]["get"]["responses"], path
