"""One place that turns errors into RFC 9457 application/problem+json with the contract's code, in the
caller's language: `title` and `detail` in Chinese (the default) or English by the request's
Accept-Language, the `code` never translated. Every text comes from the message catalogue
(hallbook/i18n.py, docs/i18n.md): a code's title (msgctxt `title`), the raised detail translated (an
English message id, or a `Text` from N_ with its values), or, where a detail says nothing more than
the title or has no translation, the code's own sentence (msgctxt `code`)."""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from .. import i18n
from ..domain.booking import CANCEL_CUTOFF_TEXT, CHECK_IN_OPENS_BEFORE
from ..domain.errors import DomainError

PROBLEM_JSON = "application/problem+json"

# ---------------------------------------------------------------- the caller's language

LANGUAGES = {"zh": "zh-CN", "en": "en"}  # primary tag -> Content-Language
DEFAULT_LANGUAGE = i18n.DEFAULT_LANGUAGE


def language_of(accept_language: str | None) -> str:
    """The language answers are in: the first of Accept-Language's languages (by q, then order) that
    we speak - `zh` (any zh-*) or `en` (any en-*); anything else, `*` or nothing: Chinese."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if quality > 0 and primary in LANGUAGES:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@contextmanager
def answering_in(accept_language: str | None):
    """Texts made while handling one request are in its caller's language."""
    with i18n.using(language_of(accept_language)):
        yield


def code_sentence(code: str, language: str, extra: dict) -> str | None:
    """The code's own sentence (msgctxt `code`), with the error's extra fields it names."""
    values = {
        "until": str(extra.get("suspended_until") or "")[:10] or "-",
        "retry_after": extra.get("retry_after") or 1,
        "field": extra.get("field") or "",
        "etag": extra.get("etag") or "-",
        "cutoff": CANCEL_CUTOFF_TEXT,  # R10's hour (CANCEL_CLOSED names it)
        "opens_before": int(CHECK_IN_OPENS_BEFORE.total_seconds() // 60),  # R14 (CHECK_IN_CLOSED)
    }
    template = i18n.lookup(code, language, "code")
    return None if template is None else template.format(**values)


def _texts(code: str, status: int, title: str | None, detail: str, extra: dict) -> tuple[str, str, str]:
    """(title, detail, Content-Language) in the current language."""
    language = i18n.current()
    english_title = title or HTTPStatus(status).phrase
    shown_title = i18n.lookup(code, language, "title") or english_title
    said = None
    if detail and detail != title:
        said = i18n.translate(detail, language)
    if said is None:
        said = code_sentence(code, language, extra) or (detail if language == "en" else None)
    if said is None:  # neither the detail nor the code in the catalogue: tests/unit/test_i18n.py prevents it
        said = i18n.text("VALIDATION_ERROR" if status < 500 else "INTERNAL", "code", language)
    return shown_title, said, LANGUAGES[language]


@dataclass(frozen=True)
class Problem:
    """A refusal made before the resolver runs (the body's media type or shape)."""

    status: int
    code: str
    detail: str

    def to_proxy(self) -> dict:
        """The Lambda proxy result API Gateway turns into the HTTP answer."""
        response = problem(self.status, self.code, self.detail)
        return {
            "statusCode": response.status_code,
            "headers": {**response.headers, "Content-Type": PROBLEM_JSON},
            "body": response.body,
            "isBase64Encoded": False,
        }


def problem(status: int, code: str, detail: str, title: str | None = None, **extra) -> Response:
    title, detail, language = _texts(code, status, title, detail, extra)
    body = {
        "type": f"https://hallbook.gov.cn/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **{k: v for k, v in extra.items() if v is not None},
    }
    headers = {"Cache-Control": "no-store", "Content-Language": language, "Vary": "Accept-Language"}
    if status in (429, 503):
        # the error's real wait (`retry_after` seconds in its extra), or a second for a busy retry
        retry_after = extra.get("retry_after")
        headers["Retry-After"] = str(max(1, math.ceil(retry_after))) if isinstance(retry_after, (int, float)) else "1"
    return Response(
        status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body, ensure_ascii=False), headers=headers
    )


def from_domain(error: DomainError) -> Response:
    return problem(error.status, error.code, error.detail, error.title, **error.extra)


def _validation_text(error: dict, language: str) -> str:
    """One pydantic error in `language`: the catalogue's sentence for its type (msgctxt `validation`,
    with its ctx values), our own validator's message translated, or the type's generic sentence."""
    kind = str(error.get("type") or "")
    ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, (str, int, float))}
    if kind == "value_error" and "error" in (error.get("ctx") or {}):
        own = str(error["ctx"]["error"])
        said = i18n.translate(own, language)
        if said is not None:
            return said
    if "expected" in ctx and language == "zh":  # "'window' or 'mail'" -> 'window'、'mail'
        ctx["expected"] = str(ctx["expected"]).replace(" or ", "、").replace(", ", "、")
    template = i18n.lookup(kind, language, "validation") or i18n.lookup("invalid", language, "validation")
    try:
        return template.format(**ctx) if template else str(error.get("msg") or "invalid")
    except (KeyError, IndexError, ValueError):
        return i18n.text("invalid", "validation", language)


def from_validation(errors: list[dict]) -> Response:
    """Powertools' request validation errors, shortened to what a client developer needs, each in
    the caller's language: `field: what is wrong` (the field name as the API spells it)."""
    texts = {}
    for language, (colon, separator) in {"zh": ("：", "；"), "en": (": ", "; ")}.items():
        parts = []
        for e in errors[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
            field = i18n.value(where or "body", language)  # the field as the reader calls it (msgctxt value)
            parts.append(f"{field}{colon}{_validation_text(e, language)}")
        texts[language] = separator.join(parts) or i18n.text("invalid", "validation", language)
    return problem(
        422,
        "VALIDATION_ERROR",
        i18n.Localized(texts),
        "Invalid request",
        # each error's loc for a program, its msg in the caller's language like the detail
        errors=[
            {"loc": [str(p) for p in e.get("loc", ())], "msg": _validation_text(e, i18n.current())} for e in errors[:10]
        ],
    )
