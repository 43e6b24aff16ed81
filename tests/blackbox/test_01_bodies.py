"""Scenario 9: the bodies and methods browsers and odd clients send."""

from __future__ import annotations

import json

from blackbox_support import PASSWORD, Api, assert_problem, new_adult_id, new_name, new_phone, with_check_character


def _account() -> dict:
    return {"name": new_name(), "id_number": new_adult_id(), "phone": new_phone(), "password": PASSWORD}


def test_check_character_formula() -> None:
    """The suite's own GB 11643 formula, on the standard's example (a check character X)."""
    assert with_check_character("11010519491231002") == "11010519491231002X"
    assert with_check_character("44010619900101123") == "440106199001011235"


def test_text_plain_holding_json_is_read_as_json(api: Api) -> None:
    """fetch() with a string body sends text/plain;charset=UTF-8 (no CORS preflight)."""
    reply = api.post(
        "/v1/accounts", raw=json.dumps(_account(), ensure_ascii=False), content_type="text/plain;charset=UTF-8"
    )
    assert reply.status == 201, reply
    assert reply.json()["phone_verified"] is False
    assert reply.content_type.startswith("application/json")


def test_media_type_in_upper_case_is_json(api: Api) -> None:
    reply = api.post("/v1/accounts", raw=json.dumps(_account()), content_type="APPLICATION/JSON")
    assert reply.status == 201, reply


def test_xml_is_unsupported_media_type(api: Api) -> None:
    reply = api.post("/v1/accounts", raw="<account><name>张三</name></account>", content_type="application/xml")
    assert_problem(reply, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_deeply_nested_json_is_refused(api: Api) -> None:
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    body = json.dumps(_account())[:-1] + ', "extra": ' + deep + "}"
    assert_problem(api.post("/v1/accounts", raw=body), 400, "VALIDATION_ERROR")
    assert_problem(api.post("/v1/accounts", raw="[" * 1000 + "]" * 1000), 400, "VALIDATION_ERROR")


def test_a_list_body_is_refused(api: Api) -> None:
    assert_problem(api.post("/v1/accounts", raw=json.dumps([_account()])), 400, "VALIDATION_ERROR")


def test_malformed_json_is_refused(api: Api) -> None:
    reply = api.post("/v1/accounts", raw='{"name": "张三", ')
    assert reply.status in (400, 422), reply
    assert_problem(reply, reply.status, "VALIDATION_ERROR")


def test_trace_and_propfind_are_405_problems(api: Api) -> None:
    for method, path in (("TRACE", "/v1/services"), ("PROPFIND", "/v1/accounts"), ("PROPFIND", "/v1/bookings")):
        reply = api.request(method, path)
        # the contract has no code of its own for 405; local mode answers VALIDATION_ERROR
        assert_problem(reply, 405, "VALIDATION_ERROR")
        assert reply.headers.get("allow"), reply.headers


def test_unknown_route_is_404_problem(api: Api) -> None:
    assert_problem(api.get("/v1/no-such-thing"), 404, "NOT_FOUND")


def test_registration_validation(api: Api) -> None:
    """R1: a bad check character, a phone outside the mainland mobile ranges, a weak password."""
    bad_check = _account()
    last = bad_check["id_number"][-1]
    bad_check["id_number"] = bad_check["id_number"][:-1] + ("1" if last != "1" else "2")
    reply = api.post("/v1/accounts", bad_check)
    assert_problem(reply, reply.status, "VALIDATION_ERROR")
    assert reply.status in (400, 422)

    bad_phone = {**_account(), "phone": "12012345678"}
    reply = api.post("/v1/accounts", bad_phone)
    assert reply.status in (400, 422)
    assert_problem(reply, reply.status, "VALIDATION_ERROR")

    weak = {**_account(), "password": "12345678"}
    reply = api.post("/v1/accounts", weak)
    assert reply.status in (400, 422)
    assert_problem(reply, reply.status, "VALIDATION_ERROR")
