"""Conditional GET (RFC 9110): an ETag on a public JSON answer, and 304 Not Modified without a body
when the client's If-None-Match names it (or is `*`). Weak and strong tags compare alike (weak
comparison, what GET uses)."""

from __future__ import annotations

import hashlib
import json

from aws_lambda_powertools.event_handler import Response


def etag_of(text: str) -> str:
    return '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def conditional_json(event, body, cache_control: str) -> Response:
    """200 with `body` as JSON (UTF-8, the API's serialisation) and its ETag, or 304 with the same
    headers and no body."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    etag = etag_of(text)
    headers = {"Cache-Control": cache_control, "ETag": etag}
    if matches((event.headers or {}).get("If-None-Match"), etag):
        return Response(304, None, "", headers)
    return Response(200, "application/json", text, headers)
