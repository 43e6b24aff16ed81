"""Presigned S3 POST policies, checked the way S3 checks them.

moto 5.2.5 does not look at a POST upload's policy at all: it stores whatever is posted to the bucket
under whatever `key` the form names - any Content-Type, any size, after the policy expired, with a
forged or missing signature (tests/api/test_applications.py shows it). S3 refuses each of those.
Local mode installs `check_post_policy` in front of moto's bucket POST (local.aws.install_moto_patches)
so a person trying an application upload with curl meets S3's answers:

- the policy must be valid base64 JSON and unexpired (403 AccessDenied "Policy expired");
- its SigV4 signature must match (403 SignatureDoesNotMatch), signed with the local credentials;
- every condition must hold: exact matches (`{"key": ...}`, `["eq", "$Content-Type", ...]`),
  `starts-with`, and `content-length-range` (400 EntityTooLarge / EntityTooSmall);
- every form field but x-amz-signature, file, policy and x-ignore-* must be named by a condition
  (403 "Extra input fields").

Not checked: the credential's scope against the bucket's region, session-token validity, and
S3's limit of 20 KB on the policy document. Posts without a `policy` field are moto's business."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

Refusal = tuple[int, dict[str, str], str]
_NOT_CONDITIONED = {"x-amz-signature", "file", "policy"}


def _error(status: int, code: str, message: str) -> Refusal:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
    )
    return status, {"Content-Type": "application/xml"}, body


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def policy_refusal(
    form: Mapping[str, str], bucket: str, size: int, now: datetime, secret: str | None
) -> Refusal | None:
    """S3's answer to a POST upload with this form (field names lower-cased) and a file of `size`
    bytes, or None when S3 would store it."""
    encoded = form.get("policy", "")
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        conditions = policy["conditions"]
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        return _error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if expiration <= now:
        return _error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")

    if secret is not None:
        credential = form.get("x-amz-credential", "").split("/")
        if len(credential) != 5:
            return _error(403, "AccessDenied", "Invalid according to Policy: missing x-amz-credential")
        _, day, region, service, _ = credential
        expected = hmac.new(_signing_key(secret, day, region, service), encoded.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, form.get("x-amz-signature", "")):
            return _error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )

    def value(name: str) -> str:
        name = name.lstrip("$").lower()
        return bucket if name == "bucket" else form.get(name, "")

    checks: dict[str, Callable[[Any], bool]] = {
        "eq": lambda c: value(c[1]) == c[2],
        "starts-with": lambda c: value(c[1]).startswith(c[2]),
    }
    named: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            condition = ["eq", f"${name}", wanted]
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                return _error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if size < low:
                return _error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
            continue
        named.add(str(condition[1]).lstrip("$").lower())
        if operator not in checks or not checks[operator](condition):
            return _error(
                403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
            )
    extra = sorted(f for f in form if f not in _NOT_CONDITIONED and not f.startswith("x-ignore-") and f not in named)
    if extra:
        return _error(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    return None


def install() -> None:
    """Check the policy of every POST upload before moto stores it. Idempotent."""
    from moto.s3.responses import S3Response

    original = getattr(S3Response._bucket_response_post, "__wrapped_moto__", S3Response._bucket_response_post)

    def checked_post(self: Any, request: Any, bucket_name: str) -> Any:
        form = {str(k).lower(): v for k, v in (getattr(self, "form_data", None) or {}).items()}
        if "policy" in form:
            body = self.raw_body if isinstance(self.raw_body, (bytes, str)) else b""
            size = len(body.encode() if isinstance(body, str) else body)
            refusal = policy_refusal(
                form, bucket_name, size, datetime.now(UTC), os.environ.get("AWS_SECRET_ACCESS_KEY")
            )
            if refusal is not None:
                return refusal
        return original(self, request, bucket_name)

    checked_post.__wrapped_moto__ = original  # type: ignore[attr-defined]
    S3Response._bucket_response_post = checked_post  # type: ignore[method-assign]
