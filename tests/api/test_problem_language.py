"""Issue 14 item 5: problems in the caller's language - `title` and `detail` in Chinese (the default)
or English by Accept-Language, `code` unchanged; the message catalogue (docs/i18n.md) covers every code
(tests/unit/test_i18n.py checks it whole)."""

from __future__ import annotations

import re

import pytest

from hallbook import i18n
from hallbook.domain import errors
from hallbook.web.problems import language_of
from tests.support import next_working_day, problem, put_test_office, registered, release_days

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "header, language",
    [
        (None, "zh"),
        ("", "zh"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-Hant-TW", "zh"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5", "en"),
        ("fr, de", "zh"),
        ("*", "zh"),
        ("en;q=0.3, zh;q=0.8", "zh"),
        ("en;q=0", "zh"),
        ("EN-gb", "en"),
        ("en;q=abc, zh", "zh"),
    ],
)
def test_the_language_is_the_first_we_speak_by_quality_else_chinese(header, language):
    assert language_of(header) == language


def test_every_code_has_both_titles_and_a_chinese_detail():
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError) and cls is not errors.DomainError
    }
    codes |= {"UNSUPPORTED_MEDIA_TYPE", "INTERNAL"}
    for code in codes:
        zh_title, en_title = i18n.lookup(code, "zh", "title"), i18n.lookup(code, "en", "title")
        zh_detail, en_detail = i18n.lookup(code, "zh", "code"), i18n.lookup(code, "en", "code")
        assert zh_title and zh_detail and en_title and en_detail, code
        assert CHINESE.search(zh_title) and CHINESE.search(zh_detail), code
        assert not CHINESE.search(en_title + en_detail), code


def test_a_refusal_in_chinese_by_default_in_english_when_asked_and_chinese_for_unknown_languages(api, system):
    for headers, language in (
        ({}, "zh"),
        ({"Accept-Language": "en-US,en;q=0.9"}, "en"),
        ({"Accept-Language": "fr-FR"}, "zh"),
    ):
        body = problem(api.invoke("GET", "/v1/services/NO_SUCH", headers=headers), 404, "NOT_FOUND")
        r = api.invoke("GET", "/v1/me", headers=headers)  # refused by the guard, before the resolver
        guarded = problem(r, 401, "UNAUTHENTICATED")
        shape = problem(api.invoke("POST", "/v1/accounts", headers=headers, body={"name": 1}), 422, "VALIDATION_ERROR")
        media = problem(
            api.invoke("POST", "/v1/accounts", headers={**headers, "Content-Type": "text/csv"}, body="a,b"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        )
        assert r.headers["content-language"] == ("zh-CN" if language == "zh" else "en")
        for refusal in (body, guarded, shape, media):
            assert bool(CHINESE.search(refusal["title"] + refusal["detail"])) is (language == "zh"), refusal
        if language == "en":
            assert body["title"] == "Not found" and "NO_SUCH" in body["detail"]
        else:
            assert body["title"] == "未找到" and "NO_SUCH" in body["detail"]  # the particulars, inside the Chinese


def test_a_rule_s_refusal_carries_its_particulars_in_both_languages(api, system):
    put_test_office(capacity=1)
    release_days()
    day = next_working_day()
    first, second = registered(system), registered(system)
    assert first.book(day).status == 201
    zh = problem(second.book(day), 409, "SLOT_FULL")
    assert zh["title"] == "该时段已约满" and zh["detail"] == "该时段已约满，请选择其他时段。"
    # the same refusal in English
    r = second.api.invoke(
        "POST",
        "/v1/bookings",
        headers={"Authorization": f"Bearer {second.token}", "Idempotency-Key": "en-1", "Accept-Language": "en"},
        body={
            "office_id": "test-hall",
            "service_code": "ID_RENEW",
            "date": str(day),
            "start": "09:00",
            "notice_acknowledged": True,
        },
    )
    en = problem(r, 409, "SLOT_FULL")
    assert en["title"] == "Slot full" and "fully booked" in en["detail"]
    late = problem(second.book("2026-09-14"), 409, "OUTSIDE_WINDOW")  # today: the particulars inside the Chinese
    assert late["detail"] == "每天12:00放出第14天的号源；当天及以前的日期不可预约。"
