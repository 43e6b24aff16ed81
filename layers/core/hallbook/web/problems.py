"""One place that turns errors into RFC 9457 application/problem+json with the contract's code."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from ..domain.errors import DomainError

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    """A refusal made before the resolver runs (the body's media type or shape)."""

    status: int
    code: str
    detail: str

    def to_proxy(self) -> dict:
        """The Lambda proxy result API Gateway turns into the HTTP answer."""
        response = problem(self.status, self.code, self.detail)
        return {"statusCode": response.status_code, "headers": {**response.headers, "Content-Type": PROBLEM_JSON},
                "body": response.body, "isBase64Encoded": False}


def problem(status: int, code: str, detail: str, title: str | None = None, **extra) -> Response:
    body = {
        "type": f"https://hallbook.gov.cn/problems/{code.lower().replace('_', '-')}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **{k: v for k, v in extra.items() if v is not None},
    }
    headers = {"Cache-Control": "no-store"}
    if status in (429, 503):
        # the error's real wait (`retry_after` seconds in its extra), or a second for a busy retry
        retry_after = extra.get("retry_after")
        headers["Retry-After"] = str(max(1, math.ceil(retry_after))) if isinstance(retry_after, (int, float)) else "1"
    return Response(status_code=status, content_type=PROBLEM_JSON,
                    body=json.dumps(body, ensure_ascii=False), headers=headers)


def from_domain(error: DomainError) -> Response:
    return problem(error.status, error.code, error.detail, error.title, **error.extra)


def from_validation(errors: list[dict]) -> Response:
    """Powertools' request validation errors, shortened to what a client developer needs."""
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
        parts.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
    return problem(422, "VALIDATION_ERROR", "; ".join(parts) or "invalid request", "Invalid request",
                   errors=[{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg")} for e in errors[:10]])
