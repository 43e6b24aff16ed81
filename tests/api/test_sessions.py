"""Tokens end when their session does. Logout, a password change, an old token
generation, an unknown signing key, and the rotation of the key (the previous one verifies until the
next rotation retires it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid

import jwt
import pytest

from hallbook.config import settings
from hallbook.services import tokens
from hallbook.store import accounts as account_store
from hallbook.store import sessions as session_store
from tests.support import auth, problem, registered

pytestmark = [pytest.mark.R1]


def me(api, token: str):
    return api.invoke("GET", "/v1/me", headers=auth(token))


def log_in(api, login: str, password: str) -> str:
    r = api.invoke("POST", "/v1/sessions", body={"login": login, "password": password})
    assert r.status == 200, r.text
    return r.json()["token"]


def hand_signed(header: dict, claims: dict, secret: str) -> str:
    """A JWT PyJWT would not encode (a kid that is not a string)."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def account_id_of(citizen) -> str:
    return account_store.find_account_id(f"ID#{citizen.id_number}")


@pytest.fixture
def rotation(system):
    """Rotates JwtSigningSecret as Secrets Manager does, through the template's rotation function;
    each process then re-reads the keys (what KEY_CACHE_SECONDS makes happen by itself)."""
    arn = system.environment["JWT_SECRET_ARN"]

    def rotate() -> None:
        token = str(uuid.uuid4())
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            system.functions.invoke("KeyRotationFunction", {"SecretId": arn, "ClientRequestToken": token, "Step": step})
        tokens.forget_keys()

    tokens.forget_keys()
    yield rotate
    tokens.forget_keys()  # the next test's reset puts the original key back


def test_logout_ends_that_session_only(system, api):
    citizen = registered(system)
    other = log_in(api, citizen.phone, citizen.password)
    r = api.invoke("DELETE", "/v1/sessions/current", headers=auth(citizen.token))
    assert r.status == 204 and not r.body
    problem(me(api, citizen.token), 401, "UNAUTHENTICATED")
    problem(api.invoke("DELETE", "/v1/sessions/current", headers=auth(citizen.token)), 401, "UNAUTHENTICATED")
    assert me(api, other).status == 200  # the account's other session stays
    problem(api.invoke("DELETE", "/v1/sessions/current"), 401, "UNAUTHENTICATED")


def test_a_password_change_revokes_every_older_token(system, api):
    citizen = registered(system)
    other = log_in(api, citizen.phone, citizen.password)
    body = {"current_password": citizen.password, "new_password": "new-secret-2"}
    r = api.invoke("POST", "/v1/me/password", headers=auth(citizen.token), body=body)
    assert r.status == 200, r.text
    new_token = r.json()["token"]
    for old in (citizen.token, other):
        problem(me(api, old), 401, "UNAUTHENTICATED")
    assert me(api, new_token).status == 200
    problem(
        api.invoke("POST", "/v1/sessions", body={"login": citizen.phone, "password": citizen.password}),
        401,
        "UNAUTHENTICATED",
    )
    assert me(api, log_in(api, citizen.phone, "new-secret-2")).status == 200


def test_a_password_change_needs_the_current_password_and_a_good_new_one(system, api):
    citizen = registered(system)
    for body, field in [  # the other refusals: tests/unit/test_account_services.py
        ({"current_password": "wrong-pass-9", "new_password": "new-secret-2"}, "current_password"),
    ]:
        detail = problem(
            api.invoke("POST", "/v1/me/password", headers=auth(citizen.token), body=body), 422, "VALIDATION_ERROR"
        )
        assert detail.get("field") == field
    assert me(api, citizen.token).status == 200  # nothing changed
    problem(
        api.invoke("POST", "/v1/me/password", body={"current_password": "a", "new_password": "b"}),
        401,
        "UNAUTHENTICATED",
    )


def test_a_token_of_an_older_generation_is_refused(system, api):
    citizen = registered(system)
    account_id = account_id_of(citizen)
    key = tokens.key_ring().current
    claims = jwt.decode(
        citizen.token,
        key.secret,
        algorithms=["HS256"],
        audience=tokens.AUDIENCE,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["gen"] == 0 and claims["sid"]

    def signed(**changes) -> str:
        return jwt.encode({**claims, **changes}, key.secret, algorithm="HS256", headers={"kid": key.kid})

    session_store.bump_token_gen(account_id)  # what disabling the account or a new password does
    problem(me(api, citizen.token), 401, "UNAUTHENTICATED")
    problem(me(api, signed(gen=0)), 401, "UNAUTHENTICATED")
    assert me(api, signed(gen=1)).status == 200  # the same claims at the account's generation
    problem(me(api, signed(gen=1, role="admin")), 401, "UNAUTHENTICATED")  # nor a role it does not have
    no_session = {k: v for k, v in claims.items() if k not in ("gen", "sid")}
    problem(
        me(api, jwt.encode(no_session, key.secret, algorithm="HS256", headers={"kid": key.kid})), 401, "UNAUTHENTICATED"
    )


def test_an_unknown_or_missing_key_id_is_refused(system, api):
    citizen = registered(system)
    key = tokens.key_ring().current
    claims = jwt.decode(
        citizen.token,
        key.secret,
        algorithms=["HS256"],
        audience=tokens.AUDIENCE,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert jwt.get_unverified_header(citizen.token)["kid"] == key.kid
    stranger = secrets.token_urlsafe(48)
    for header, secret in [
        ({"kid": "not-a-key"}, key.secret),
        ({}, key.secret),
        ({"kid": tokens.key_id(stranger)}, stranger),
    ]:
        token = jwt.encode(claims, secret, algorithm="HS256", headers=header)
        problem(me(api, token), 401, "UNAUTHENTICATED")
    problem(me(api, hand_signed({"alg": "HS256", "kid": [key.kid]}, claims, key.secret)), 401, "UNAUTHENTICATED")
    assert me(api, citizen.token).status == 200


def test_rotation_keeps_the_previous_key_until_the_next_one_retires_it(system, api, rotation):
    citizen = registered(system)
    before = citizen.token
    first_kid = jwt.get_unverified_header(before)["kid"]
    rotation()
    assert me(api, before).status == 200  # signed with the previous key: still good
    after = log_in(api, citizen.phone, citizen.password)
    second_kid = jwt.get_unverified_header(after)["kid"]
    assert second_kid != first_kid and tokens.key_ring().previous.kid == first_kid
    assert me(api, after).status == 200
    rotation()  # the first key is retired
    problem(me(api, before), 401, "UNAUTHENTICATED")
    assert me(api, after).status == 200
    assert me(api, log_in(api, citizen.phone, citizen.password)).status == 200


def test_a_process_that_missed_a_rotation_learns_it_from_a_new_kid(system, api, rotation):
    citizen = registered(system)
    stale = tokens.key_ring()  # this process's view before the rotation
    rotation()
    fresh = log_in(api, citizen.phone, citizen.password)
    source = (settings().jwt_secret_arn, settings().jwt_local_key)
    tokens._ring = (source, time.monotonic(), stale)  # as if it had read the keys just before the rotation
    assert me(api, fresh).status == 200  # the unknown kid made it read them again
    assert tokens.key_ring().current.kid == jwt.get_unverified_header(fresh)["kid"]
