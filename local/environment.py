"""What every process of local mode (and every test process) sets before any handler or hallbook
module is imported: the region, dummy credentials, and no proxy between clients and the embedded AWS.
Imports nothing heavy, so tests that need no AWS can call it too."""

from __future__ import annotations

import os

ACCOUNT_ID = "123456789012"  # moto's account for any dummy credentials
REGION = "cn-north-1"
PARTITION = "aws-cn"

BASE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon on this machine
}


def set_base_environment() -> None:
    """Dummy credentials and the region, nothing that could point clients at a real account, and
    no HTTP proxy between clients and the embedded AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        os.environ.pop(name, None)
    os.environ.update(BASE_ENVIRONMENT)
    no_proxy = {h for h in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if h}
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(sorted(no_proxy | {"127.0.0.1", "localhost"}))
