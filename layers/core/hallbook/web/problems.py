"""One place that turns errors into RFC 9457 application/problem+json with the contract's code, in the
caller's language (issue 14): `title` and `detail` in Chinese (the default) or English by the request's
Accept-Language, the `code` never translated. TEXTS below is the one dictionary."""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from ..domain.errors import DomainError

PROBLEM_JSON = "application/problem+json"

# ---------------------------------------------------------------- the caller's language

LANGUAGES = {"zh": "zh-CN", "en": "en"}  # primary tag -> Content-Language
DEFAULT_LANGUAGE = "zh"
_language: ContextVar[str] = ContextVar("problem_language", default=DEFAULT_LANGUAGE)

# code -> (title in Chinese, title in English, detail in Chinese). A Chinese detail may name the error's
# extra fields ({until}: suspended_until's date, {retry_after}, {field}, {etag}). Codes in EXACT have a
# detail that says all there is; for the others, whose English detail names the particulars (a time,
# a limit, a field), the Chinese sentence is followed by the English detail in brackets.
TEXTS: dict[str, tuple[str, str, str]] = {
    "VALIDATION_ERROR": ("请求有误", "Invalid request", "请求内容不符合要求，请检查后重试。"),
    "UNAUTHENTICATED": ("需要登录", "Authentication required", "请先登录，或登录已失效，请重新登录。"),
    "FORBIDDEN": ("无权操作", "Forbidden", "当前账号无权进行此操作。"),
    "NOT_FOUND": ("未找到", "Not found", "未找到所请求的内容。"),
    "ID_TAKEN": ("身份证号已注册", "ID number already has an account", "该身份证号已注册账号。"),
    "PHONE_TAKEN": ("手机号已被使用", "Phone belongs to another ID number", "该手机号已绑定其他身份证号。"),
    "PHONE_NOT_VERIFIED": ("手机号未验证", "Phone not verified", "请先用短信验证码验证手机号，再进行预约。"),
    "WALK_IN_ONLY": ("无需预约", "Walk-in only", "该事项无需预约，请直接到大厅办理。"),
    "NOTICE_NOT_ACKNOWLEDGED": ("未确认须知", "Notice not acknowledged", "请先阅读并确认办事须知，再进行预约。"),
    "SERVICE_NOT_OFFERED": ("大厅不办理该事项", "Service not offered here", "该大厅不办理此事项。"),
    "OUTSIDE_WINDOW": (
        "不在预约期内",
        "Outside the booking window",
        "该日期不在可预约范围内：每天12:00放出第14天（广州第15天）的号源，当天及以前不可预约。",
    ),
    "NO_SUCH_SLOT": ("没有该时段", "No such slot", "该日期或时间没有可预约的时段（休息日、节假日或时间有误）。"),
    "SLOT_FULL": ("该时段已约满", "Slot full", "该时段已约满，请选择其他时段。"),
    "ALREADY_BOOKED": ("已有预约", "Already booked", "该事项已有一个有效预约，请先取消后再预约。"),
    "SUSPENDED": ("预约资格暂停", "Booking suspended", "因多次取消或爽约，预约资格暂停至 {until}。"),
    "CANCEL_CLOSED": ("已过取消时间", "Cancellation closed", "预约日前一天18:00后不能再取消。"),
    "NOT_CANCELLABLE": ("不能取消", "Not cancellable", "只有“已预约”状态的预约可以取消。"),
    "CHECK_IN_CLOSED": ("不在签到时间", "Check-in closed", "签到时间为时段开始前30分钟至时段结束。"),
    "RATE_LIMITED": ("请求过于频繁", "Too many requests", "请求过于频繁，请 {retry_after} 秒后再试。"),
    "SMS_CODE_REQUIRED": ("需要短信验证码", "SMS code required", "登录失败次数过多，请获取短信验证码后连同密码登录。"),
    "TOTP_CODE_REQUIRED": (
        "需要动态验证码",
        "Authenticator code required",
        "登录失败次数过多，请输入身份验证器中的动态码。",
    ),
    "BOOKING_REQUIRED": ("需要预约", "Booking required", "本大厅只接待已预约的群众，请先预约。"),
    "QUEUE_EMPTY": ("无人等候", "Queue empty", "当前没有等候的号。"),
    "DRAW_OPEN": (
        "摇号中",
        "Places drawn by lot",
        "该日号源以摇号方式分配，请在报名时间内报名；摇号结束后剩余号源再开放预约。",
    ),
    "DRAW_CLOSED": ("不在报名时间", "No draw open", "该日号源当前不在摇号报名时间内。"),
    "INVALID_STATE": ("当前状态不允许", "Invalid state", "当前状态不允许此操作（可能已被他人修改），请刷新后重试。"),
    "NOT_ELIGIBLE": ("不符合办理条件", "Not eligible", "不符合网上办理的条件。"),
    "PRECONDITION_FAILED": (
        "内容已被修改",
        "Precondition failed",
        "内容在您读取后已被修改（If-Match 与当前版本 {etag} 不符），请重新读取后再提交。",
    ),
    "UNSUPPORTED_MEDIA_TYPE": ("不支持的格式", "Unsupported Media Type", "请以 application/json 格式发送请求内容。"),
    "BUSY": ("系统繁忙", "Service busy", "系统繁忙，请稍后重试。"),
    "INTERNAL": ("系统错误", "Internal Server Error", "系统出现问题，请稍后重试；您的操作不会被重复执行。"),
}
EXACT = {
    "SLOT_FULL",
    "ALREADY_BOOKED",
    "PHONE_NOT_VERIFIED",
    "NOTICE_NOT_ACKNOWLEDGED",
    "QUEUE_EMPTY",
    "BUSY",
    "INTERNAL",
    "SUSPENDED",
    "PRECONDITION_FAILED",
    "UNSUPPORTED_MEDIA_TYPE",
}


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
    """Problems made while handling one request are in its caller's language."""
    token = _language.set(language_of(accept_language))
    try:
        yield
    finally:
        _language.reset(token)


def _texts(code: str, status: int, title: str | None, detail: str, extra: dict) -> tuple[str, str, str]:
    """(title, detail, Content-Language) in the current language."""
    language = _language.get()
    zh_title, en_title, zh_detail = TEXTS.get(code, (None, None, None))
    if language == "en" or zh_detail is None:
        return title or en_title or HTTPStatus(status).phrase, detail, LANGUAGES["en"]
    until = str(extra.get("suspended_until") or "")[:10]
    values = {
        "until": until or "-",
        "retry_after": extra.get("retry_after") or 1,
        "field": extra.get("field") or "",
        "etag": extra.get("etag") or "-",
    }
    text = zh_detail.format(**values)
    if code not in EXACT and detail:
        text = f"{text}（{detail}）"
    return zh_title or title or HTTPStatus(status).phrase, text, LANGUAGES["zh"]


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


def from_validation(errors: list[dict]) -> Response:
    """Powertools' request validation errors, shortened to what a client developer needs."""
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
        parts.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
    return problem(
        422,
        "VALIDATION_ERROR",
        "; ".join(parts) or "invalid request",
        "Invalid request",
        errors=[{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg")} for e in errors[:10]],
    )
