"""The one message catalogue (SPEC "every text a person reads ... entirely in the request's language",
issue 25 item 3; docs/i18n.md): every error code and every raised detail exists in Chinese and
English, no text mixes the languages, the committed .mo files are the .po files compiled, and the
pages know every code the API answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hallbook import i18n
from hallbook.domain import errors
from hallbook.web import problems as web_problems
from local import i18n as tool

PAGES_I18N = Path(__file__).resolve().parents[2] / "pages" / "assets" / "i18n.js"


@pytest.fixture(scope="module")
def extraction() -> tool.Extraction:
    return tool.extract()  # the package's sources read once (about a second)


@pytest.fixture(scope="module")
def missing(extraction) -> dict[str, list[str]]:
    return tool.problems(extraction)


def _section(missing: dict[str, list[str]], start: str) -> list[str]:
    return [item for heading, items in missing.items() if heading.startswith(start) for item in items]


def test_no_raise_formats_its_detail_so_that_its_values_stay_english(missing):
    assert _section(missing, "raised details that cannot be translated") == []


def test_every_raised_detail_has_a_chinese_translation(missing):
    assert _section(missing, "raised details without a Chinese translation") == []


def test_every_error_code_has_a_title_and_a_sentence_in_both_languages(missing, extraction):
    codes = extraction.codes
    assert {"SLOT_FULL", "VALIDATION_ERROR", "UNSUPPORTED_MEDIA_TYPE", "INTERNAL"} <= codes
    assert {c.code for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)} <= codes
    assert _section(missing, "error codes without") == []
    assert _section(missing, "keyed messages missing") == []


def test_translations_keep_the_placeholders_and_no_text_mixes_the_languages(missing):
    assert _section(missing, "translations whose placeholders") == []
    assert _section(missing, "texts that mix") == []


def test_the_functions_read_the_po_files_as_babel_does(missing):
    assert _section(missing, "catalogues the functions read") == []  # every entry of both files, as Babel reads it
    po = r"""
# a comment
msgid ""
msgstr "Language: zh\n"

msgctxt "sms"
msgid "k"
msgstr ""
"第一行\n"
"带“引号”和 \"转义\" 的 {value}"

#, fuzzy
msgid "Unsure."
msgstr "不确定。"

#, python-brace-format
msgid "Done {x}."
msgstr "完成{x}。"

msgid "Untranslated."
msgstr ""
"""
    assert i18n.parse_po(po) == {"sms\x04k": '第一行\n带“引号”和 "转义" 的 {value}', "Done {x}.": "完成{x}。"}


def test_the_sms_templates_are_in_the_catalogue_in_both_languages(missing):
    # a messages.json (a branch older than the move) is moved in by `make i18n`, keys and placeholders as they were
    assert _section(missing, "SMS templates outside") == []
    zh, en = i18n.keyed("sms", "zh"), i18n.keyed("sms", "en")
    assert {"verification_code", "booked", "cancelled", "reminder", "proxy_copy"} <= set(zh) and set(zh) == set(en)
    from hallbook.services import messages

    text = messages.render(
        "cancelled",
        "en",
        reference="AB12CD34",
        date="2026-09-16",
        start="09:00",
        office_name="天河",
        office_name_en="Tianhe",
    )
    assert "AB12CD34" in text and not tool.CJK.search(text)


def test_the_mixing_check_sees_a_run_of_latin_words_but_allows_codes_fields_and_units():
    assert tool.mixed("请求内容不符合要求。（The code is wrong.）", "zh") == "The code"
    for fine in (
        "请用 application/json 发送。",
        "If-Match 不符",
        "最大10 MB。",
        "填写subject_id_number。",
        "{field}有误",
    ):
        assert tool.mixed(fine, "zh") is None, fine
    assert tool.mixed("No such hall 天河.", "en") == "天"
    assert tool.mixed("Booked at {office}.", "en") is None


def test_a_detail_with_values_reads_whole_in_each_language():
    detail = i18n.N_("No ticket {ticket} at this hall.", ticket="A012")
    assert detail == "No ticket A012 at this hall." and detail.msgid == "No ticket {ticket} at this hall."
    chinese = i18n.translate(detail, "zh")
    assert chinese is not None and "A012" in chinese and tool.mixed(chinese, "zh") is None
    assert i18n.translate(detail, "en") == "No ticket A012 at this hall."
    names = i18n.Bilingual("天河区政务服务中心", "Tianhe Centre")
    assert i18n.value(names, "zh") == "天河区政务服务中心" and i18n.value(names, "en") == "Tianhe Centre"
    assert i18n.value(["a", "b"], "zh") == "a、b" and i18n.value(["a", "b"], "en") == "a, b"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_problem_is_one_sentence_in_one_language(language):
    other = tool.CJK if language == "en" else re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}")
    with i18n.using(language):
        for error in (
            errors.SlotFull("This slot is fully booked; choose another."),
            errors.NotFound(i18n.N_("No ticket {ticket} at this hall.", ticket="A012")),
            errors.Suspended(suspended_until="2027-01-31T23:59:59+08:00"),
            errors.RateLimited("unlisted detail that no catalogue has", retry_after=7),
        ):
            body = json.loads(web_problems.from_domain(error).body)
            shown = body["title"] + body["detail"]
            assert not other.search(shown), (language, body)
            assert body["code"] == error.code
    with i18n.using("zh"):
        body = json.loads(web_problems.from_domain(errors.RateLimited("no such text", retry_after=7)).body)
        assert "7" in body["detail"] and "（" not in body["detail"]


def _page_error_keys(language: str) -> set[str]:
    source = PAGES_I18N.read_text(encoding="utf-8")
    start = source.index(f"  {language}: {{")
    end = source.index("\n  }", start)
    return set(re.findall(r'"err\.([A-Z_]+)"\s*:', source[start:end]))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_pages_have_an_err_text_for_every_code_the_api_answers(language, extraction):
    assert extraction.codes - _page_error_keys(language) == set()


def test_request_validation_names_each_field_in_the_request_s_language():
    errors_ = [
        {"type": "missing", "loc": ("body", "phone"), "msg": "Field required"},
        {"type": "string_too_long", "loc": ("body", "name"), "msg": "...", "ctx": {"max_length": 50}},
        {"type": "literal_error", "loc": ("body", "method"), "msg": "...", "ctx": {"expected": "'window' or 'mail'"}},
    ]
    with i18n.using("zh"):
        body = json.loads(web_problems.from_validation(errors_).body)
        zh = body["detail"]
        assert [e["msg"] for e in body["errors"]][:2] == ["必填", "最多50个字符"]
    with i18n.using("en"):
        en = json.loads(web_problems.from_validation(errors_).body)["detail"]
    assert zh == "手机号：必填；姓名：最多50个字符；领证方式：应为以下之一：'window'、'mail'"
    assert en == "phone: required; name: at most 50 characters; method: must be one of 'window' or 'mail'"
    assert tool.mixed(zh, "zh") is None and tool.mixed(en, "en") is None


def test_a_status_inside_a_sentence_reads_in_the_reader_s_language():
    detail = i18n.N_("The booking is {status}; only a booked one can be cancelled.", status="checked_in")
    assert i18n.translate(detail, "zh") == "该预约状态为已签到，只有“已预约”的预约可以取消。"
    assert i18n.translate(detail, "en") == "The booking is checked in; only a booked one can be cancelled."


def test_api_gateway_s_own_404_is_the_catalogue_s_not_found_in_the_default_language():
    from local.loader import read_sam_template

    template = read_sam_template(Path(__file__).resolve().parents[2] / "template.yaml")
    unknown = template["Resources"]["Api"]["Properties"]["GatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"]
    body = json.loads(unknown["ResponseTemplates"]["application/json"])
    assert unknown["StatusCode"] == "404" and body["code"] == "NOT_FOUND" and body["status"] == 404
    assert body["title"] == i18n.lookup("NOT_FOUND", i18n.DEFAULT_LANGUAGE, "title")
    assert body["detail"] == i18n.lookup("NOT_FOUND", i18n.DEFAULT_LANGUAGE, "code")


def test_a_messages_json_from_an_older_branch_moves_in_keeping_the_catalogue_s_newer_texts(tmp_path, monkeypatch):
    """docs/i18n.md "A branch older than the move": a new key is added, a text the branch changed wins,
    a text it carried unchanged (a stale copy) leaves the catalogue's newer one alone."""
    catalogs = {language: tool.read(language) for language in tool.LANGUAGES}
    booked_now = catalogs["zh"].get("booked", context="sms").string
    base = {
        "booked": {"zh": tool.text_hash("旧的预约短信{reference}")},
        "cancelled": {"zh": tool.text_hash("旧的取消{reference}")},
    }
    (tmp_path / "base.json").write_text(json.dumps(base), encoding="utf-8")
    (tmp_path / "messages.json").write_text(
        json.dumps(
            {
                "booked": {"zh": "旧的预约短信{reference}"},  # unchanged since the move: stale
                "cancelled": {"zh": "改过的取消{reference}"},  # changed on the branch: wins
                "brand_new": {"zh": "新{reference}", "en": "New {reference}"},
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(tool, "MESSAGES_JSON", tmp_path / "messages.json")
    monkeypatch.setattr(tool, "SMS_BASE", tmp_path / "base.json")
    notes = tool.absorb_messages_json(catalogs)
    assert catalogs["zh"].get("booked", context="sms").string == booked_now
    assert catalogs["zh"].get("cancelled", context="sms").string == "改过的取消{reference}"
    assert catalogs["en"].get("brand_new", context="sms").string == "New {reference}"
    assert len(notes) == 3 and not (tmp_path / "messages.json").exists()
