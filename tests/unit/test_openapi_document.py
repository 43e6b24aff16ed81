"""The OpenAPI document as a reference and a source of clients (issue 26), read without AWS: every
operation has a short unique operationId, a summary, a description and a problem+json `default`; every
model has an example, and each example is valid against its own schema (jsonschema, draft 2020-12)."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from hallbook.web.openapi import document


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(document())


def operations(doc: dict):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_every_operation_is_named_summarised_described_and_has_a_default_problem(doc) -> None:
    ids = []
    for method, path, operation in operations(doc):
        ids.append(operation["operationId"])
        assert re.fullmatch(r"[a-z][A-Za-z]{2,40}", operation["operationId"]), (method, path)
        assert operation["summary"] and operation["summary"] != f"{method} {path}", (method, path)
        assert operation.get("description"), (method, path)
        default = operation["responses"]["default"]["content"]["application/problem+json"]["schema"]
        assert default == {"$ref": "#/components/schemas/Problem"}, (method, path)
    assert len(ids) == len(set(ids)) >= 90
    assert {"createBooking", "cancelBooking", "rescheduleBooking", "registerAccount", "enterDraw"} <= set(ids)


def test_every_model_has_an_example_valid_against_its_schema(doc) -> None:
    schemas = doc["components"]["schemas"]
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents({**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"})
    )
    for name, schema in schemas.items():
        if "properties" not in schema and "oneOf" not in schema:
            continue
        assert schema.get("examples"), name
        validator = Draft202012Validator({"$ref": f"urn:doc#/components/schemas/{name}"}, registry=registry)
        for example in schema["examples"]:
            errors = [e.message for e in validator.iter_errors(example)]
            assert not errors, (name, example, errors[:3])


def test_headers_are_named_as_sent_and_request_defaults_are_words(doc) -> None:
    booking = doc["paths"]["/v1/bookings"]["post"]
    (header,) = [p for p in booking["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["description"]
    register = doc["components"]["schemas"]["RegisterIn"]["properties"]["lang"]
    assert "default" not in register and "default" in register["description"]
    assert doc["info"]["license"]["name"]
