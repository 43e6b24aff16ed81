"""The pages (SPEC "Pages") in local mode, from `pages/` at the paths CloudFront serves them:
`/` the citizen page, `/board/{office_id}` the hall's call display, `/staff/` the counter console,
`/operator/` the phone line's console, `/admin/` the administrators' console, and
their shared files under `/assets/`. Also the CORS preflight that API Gateway answers for the
deployed API (the template's `Api` `Cors`), since the template's routes have no OPTIONS method.

`serve(request)` answers a page's request, or None for the API and the local routes."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from pathlib import Path
from typing import TYPE_CHECKING

from hallbook.config import reset_settings, settings
from hallbook.services.confirmation import SCRIPT_HASH, STYLE_HASH

if TYPE_CHECKING:  # local.gateway imports this module
    from local.gateway import Request, Response

PAGES = Path(__file__).resolve().parents[1] / "pages"
# the same as template.yaml's Api Cors (tests/local/test_pages.py keeps them equal)
PREFLIGHT_HEADERS = "Authorization,Content-Type,Idempotency-Key,If-Match,If-None-Match"
PREFLIGHT_METHODS = "DELETE,GET,OPTIONS,POST,PUT"
PREFLIGHT_MAX_AGE = "600"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}
# nothing loaded from outside: the browser refuses it too. The booking confirmation's inline style and
# script, by their hashes: a page that shows it in an iframe's srcdoc puts it under this
# policy (hallbook/services/confirmation.py; the template's PagesHeaders say the same)
CSP = (
    f"default-src 'self'; script-src 'self' {SCRIPT_HASH}; style-src 'self' {STYLE_HASH}; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def csp() -> str:
    """The pages' policy; the citizen page also posts application materials straight to the uploads
    bucket's presigned forms, which local mode serves from the embedded AWS (as the deployed policy
    names the bucket's domain)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint.startswith("http://127.0.0.1:"):
        return CSP
    return CSP.replace("connect-src 'self'", f"connect-src 'self' {endpoint}")


def page_file(path: str) -> Path | None:
    """The file under pages/ that `path` shows, or None when `path` is not a page's."""
    if path in ("/", "/index.html"):
        return PAGES / "index.html"
    if path in ("/staff/", "/staff/index.html"):
        return PAGES / "staff" / "index.html"
    if path in ("/operator/", "/operator/index.html"):
        return PAGES / "operator" / "index.html"
    if path in ("/admin/", "/admin/index.html"):
        return PAGES / "admin" / "index.html"
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "board" and parts[2] and "." not in parts[2]:
        return PAGES / "board" / "index.html"
    if path.startswith("/assets/") and ".." not in path and "//" not in path:
        file = PAGES / path.lstrip("/")
        return file if file.suffix in TYPES else None
    return None


def serve(request: Request) -> Response | None:
    from hallbook.i18n import N_
    from local.gateway import _response, api_problem

    if request.path in ("/staff", "/operator", "/admin", "/board", "/board/"):
        if request.method not in ("GET", "HEAD"):
            return None
        target = request.path + "/" if request.path in ("/staff", "/operator", "/admin") else "/"
        return _response(308, b"", [("Location", target)])
    file = page_file(request.path)
    if file is None:
        return None
    if request.method not in ("GET", "HEAD"):
        return _response(405, b"", [("Allow", "GET, HEAD")])
    if not file.is_file():
        return api_problem(request, 404, "NOT_FOUND", N_("No page {path}.", path=request.path))
    body = config_js() if request.path == "/assets/config.js" else file.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = [
        ("Content-Type", TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"),
        ("Cache-Control", "no-cache"),
        ("ETag", etag),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if file.suffix == ".html":
        headers += [("Content-Security-Policy", csp()), ("Referrer-Policy", "no-referrer")]
    if dict((n.lower(), v) for n, v in request.headers).get("if-none-match") == etag:
        return _response(304, b"", headers)
    return _response(200, body, headers)


def preflight(request: Request) -> Response:
    """What the deployed API's OPTIONS mock answers (template.yaml `Api` `Cors`): the browser may send
    the request from the first of ALLOWED_ORIGINS (and, in local mode, the pages' own origin); any
    other origin gets no Access-Control-Allow-Origin, so the browser sends nothing. Whether the page
    may read the answer is the function's Access-Control-Allow-Origin (hallbook.web.app CORS)."""
    from local.gateway import _response

    origin = next((v for n, v in request.headers if n.lower() == "origin"), None)
    headers = [("Vary", "Origin")]
    if origin and origin in preflight_origins():
        headers = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", PREFLIGHT_METHODS),
            ("Access-Control-Allow-Headers", PREFLIGHT_HEADERS),
            ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
            *headers,
        ]
    return _response(204, b"", headers)


def preflight_origins() -> list[str]:
    """The template's mock answers one origin, AllowedOrigins' first; local mode adds its own."""
    return settings().cors_origins(first_allowed_only=True)


def allow_own_origin(host: str) -> None:
    """Local mode's pages are on the API's own origin: it is allowed whatever ALLOWED_ORIGINS says
    (LOCAL_ORIGINS, which the handlers read too; the template's environment stays as resolved)."""
    port = host.rpartition(":")[2]
    os.environ["LOCAL_ORIGINS"] = f"http://{host},http://localhost:{port}"
    reset_settings()


def config_js() -> bytes:
    """pages/assets/config.js as deployed names the API's base URL; local mode's is the same origin."""
    return ("window.HALLBOOK_CONFIG = " + json.dumps({"api": "", "clock": "/local/clock"}) + ";\n").encode()
