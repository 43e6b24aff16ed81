"""Issue 25 item 3, over HTTP: a refusal is one sentence in one language - the request's
(Accept-Language; Chinese by default) - with its particulars inside it, never a Chinese sentence
followed by the English detail in brackets; the sms-code 202 and an unknown route too."""

from __future__ import annotations

import re
import uuid

import pytest
from blackbox_support import (
    PASSWORD,
    Api,
    Citizen,
    Reply,
    assert_problem,
    new_adult_id,
    new_name,
    new_phone,
    office_today,
    register,
)

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# two Latin words in a row: a Chinese text may hold a code, a field name or a reference, not English
LATIN_RUN = re.compile(r"(?<![\w/{-])[A-Za-z][\w\-./:]*[ \t]+[A-Za-z][\w\-./:]*")
SENTENCE_END_ZH = re.compile(r"[。！？]")
SENTENCE_END_EN = re.compile(r"[.!?](?:\s|$)")
LANGUAGES = {"zh": {}, "en": {"Accept-Language": "en-GB,en;q=0.9"}}


def one_sentence_in(language: str, text: str) -> None:
    if language == "zh":
        assert CJK.search(text), text
        assert not LATIN_RUN.search(text), text
        assert len(SENTENCE_END_ZH.findall(text)) <= 1, text
    else:
        assert not CJK.search(text), text
        assert len(SENTENCE_END_EN.findall(text)) <= 1, text


def refused_in(language: str, reply: Reply, status: int, code: str) -> dict:
    problem = assert_problem(reply, status, code)
    assert reply.headers.get("content-language") == ("zh-CN" if language == "zh" else "en"), reply
    one_sentence_in(language, problem["title"])
    one_sentence_in(language, problem["detail"])
    return problem


@pytest.fixture(scope="module")
def citizen(server: Api) -> Citizen:
    return register(server)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_refusals_before_and_after_the_resolver_are_one_sentence_in_the_request_s_language(
    api: Api, language: str
) -> None:
    headers = LANGUAGES[language]
    unknown = refused_in(language, api.get("/v1/services/NO_SUCH", headers=headers), 404, "NOT_FOUND")
    assert "NO_SUCH" in unknown["detail"]  # the particulars inside the sentence
    route = refused_in(language, api.get("/v1/no-such-route", headers=headers), 404, "NOT_FOUND")
    assert "/v1/no-such-route" in route["detail"]
    refused_in(language, api.get("/v1/me", headers=headers), 401, "UNAUTHENTICATED")
    shape = api.post("/v1/accounts", {"name": 1, "password": "x"}, headers=headers)
    assert ("姓名" if language == "zh" else "name") in refused_in(language, shape, 422, "VALIDATION_ERROR")["detail"]
    account = {"name": new_name(), "id_number": new_adult_id(), "phone": "12345", "password": "abc12345"}
    phone = refused_in(language, api.post("/v1/accounts", account, headers=headers), 422, "VALIDATION_ERROR")
    assert ("手机号" if language == "zh" else "phone") in phone["detail"] and phone["field"] == "phone"
    media = api.post("/v1/accounts", raw="<a/>", content_type="application/xml", headers=headers)
    refused_in(language, media, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_booking_s_refusals_name_the_service_and_the_window_in_the_request_s_language(
    api: Api, citizen: Citizen, language: str
) -> None:
    headers = {**LANGUAGES[language], "Idempotency-Key": uuid.uuid4().hex}
    body = {
        "office_id": "gz-tianhe-centre",
        "service_code": "WALK_POP_ENQUIRY",
        "date": str(office_today(api)),
        "start": "09:00",
        "notice_acknowledged": True,
    }
    walk_in = refused_in(
        language, api.post("/v1/bookings", body, token=citizen.token, headers=headers), 409, "WALK_IN_ONLY"
    )
    service = api.get("/v1/services/WALK_POP_ENQUIRY").json()
    assert service["name_zh" if language == "zh" else "name_en"] in walk_in["detail"]
    today = {**body, "service_code": "ID_RENEW"}
    headers["Idempotency-Key"] = uuid.uuid4().hex
    late = refused_in(
        language, api.post("/v1/bookings", today, token=citizen.token, headers=headers), 409, "OUTSIDE_WINDOW"
    )
    assert "12:00" in late["detail"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_sms_code_reply_is_in_the_request_s_language(api: Api, language: str) -> None:
    reply = api.post("/v1/sessions/sms-code", {"login": "13800000000"}, headers=LANGUAGES[language])
    assert reply.status == 202, reply
    one_sentence_in(language, reply.json()["detail"])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_sms_is_in_its_account_s_language(api: Api, language: str) -> None:
    phone = new_phone()
    account = {"name": new_name(), "id_number": new_adult_id(), "phone": phone, "password": PASSWORD, "lang": language}
    assert api.post("/v1/accounts", account).status == 201
    text = api.wait_sms(phone, lambda m: bool(re.search(r"\d{6}", m)), "with a verification code")
    if language == "zh":
        assert CJK.search(text) and not LATIN_RUN.search(text), text
    else:
        assert not CJK.search(text) and "code" in text, text
