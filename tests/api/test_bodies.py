"""The bodies browsers and clients really send (issue: every text/plain POST answered 500)."""

import json

import pytest

from tests.support import problem

ACCOUNT = {"name": "张三", "id_number": "11010519491231002X", "phone": "13912340000", "password": "abc12345"}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=UTF-8",
        "application/json;charset=utf-8",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/merge-patch+json",
    ],
)
def test_json_in_any_spelling_or_as_text_plain_is_read_as_json(api, content_type):
    r = api.invoke("POST", "/v1/accounts", headers={"Content-Type": content_type}, body=json.dumps(ACCOUNT))
    assert r.status == 201, r.text


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "image/png",
        "text/html",
    ],
)
def test_other_media_types_are_415(api, content_type):
    r = api.invoke("POST", "/v1/accounts", headers={"Content-Type": content_type}, body=json.dumps(ACCOUNT))
    problem(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_body_without_a_content_type_is_read_as_json(api):
    r = api.invoke("POST", "/v1/sessions", body=json.dumps({"login": "13900000000", "password": "x"}))
    assert r.status == 401, r.text


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_400_not_500(api, depth):
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    r = api.invoke("POST", "/v1/accounts", headers={"Content-Type": "application/json"}, body=body)
    problem(r, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("body", ["[" + json.dumps(ACCOUNT) + "]", '"text"', "42", "null", "{", '{"a":1}x'])
def test_a_body_that_is_not_one_json_object_is_refused(api, body):
    r = api.invoke("POST", "/v1/accounts", headers={"Content-Type": "application/json"}, body=body)
    problem(r, 400, "VALIDATION_ERROR")


def test_an_unsupported_media_type_on_a_put_is_415_too(api):
    r = api.invoke("PUT", "/v1/services/ID_RENEW", headers={"Content-Type": "text/csv"}, body="a,b")
    assert r.status in (401, 415), r.text  # unauthenticated or unsupported: never a 500
