"""Fresh interpreters that import one function's handler and report which of WATCHED it had loaded when
the import finished (tests/startup/test_cold_start.py).

Each probe costs most of a second of CPU in a process of its own, for nothing the other tests need.
So pytest starts every probe as soon as the tests are collected (tests/startup/conftest.py):
they run side by side on the other core while this process runs the rest, and each test awaits its
own (`loaded`). Under pytest-xdist a worker starts a probe when a test first asks for it (both workers
collect every test: starting all of them in each would run each probe twice)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # not local.template's: importing it loads samtranslator

# the libraries only some routes need (issue 13), and the calendars only the noon job's calendar step loads
HEAVY = ("aws_xray_sdk", "jwt", "argon2", "phonenumbers", "stdnum", "segno", "icalendar")
CALENDARS = ("holidays", "lunar_python")
# what every API request needs, loaded at the cold start (test_cold_start), and the stores (and the
# bundled State Council calendar) only some routes need, loaded on a route's first use
PLATFORM = ("pynamodb.models", "aws_lambda_powertools.event_handler", "pydantic", "pydantic_settings")
ROUTE_STORES = ("hallbook.store.bookings", "hallbook.store.catalog", "hallbook.store.applications", "chinese_calendar")
WATCHED = HEAVY + CALENDARS + PLATFORM + ROUTE_STORES

PROVISIONED = {"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}
# name: (function, what its environment adds)
PROBES: dict[str, tuple[str, dict[str, str]]] = {
    "citizen_api": ("citizen_api", {}),
    "staff_api": ("staff_api", {}),
    "admin_api": ("admin_api", {}),
    "jobs": ("jobs", {}),
    "citizen_api provisioned": ("citizen_api", PROVISIONED),
    "citizen_api provisioned with the X-Ray SDK": ("citizen_api", {**PROVISIONED, "HALLBOOK_XRAY_SDK": "1"}),
}

_running: dict[str, subprocess.Popen[str]] = {}
_results: dict[str, dict[str, bool]] = {}


def stand_in_environment() -> dict[str, str]:
    """What the settings require, with stand-in names for what the template would create (a probe
    imports, it never reaches a table)."""
    from hallbook.config import Settings

    names = {
        name.upper(): f"unit-test-{name.replace('_', '-')}"
        for name, field in Settings.model_fields.items()
        if field.is_required() and name != "aws_region"
    }
    return {**names, "JWT_LOCAL_KEY": "unit-test-key-that-is-long-enough-for-hs256"}


def start(name: str) -> None:
    """The probe started (not awaited), unless it already was."""
    if name in _running or name in _results:
        return
    function, extra = PROBES[name]
    code = (
        f"import importlib.util, json, sys; sys.path[:0] = ['layers/core', 'functions/{function}']; "
        f"spec = importlib.util.spec_from_file_location('app', 'functions/{function}/app.py'); "
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
        f"print(json.dumps({{name: name in sys.modules for name in {list(WATCHED)!r}}}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    environment.update(stand_in_environment())
    environment.update({"AWS_DEFAULT_REGION": "cn-north-1", "POWERTOOLS_TRACE_DISABLED": "false", **extra})
    _running[name] = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_all() -> None:
    for name in PROBES:
        start(name)


def loaded(name: str) -> dict[str, bool]:
    """Which of WATCHED the probe's import had loaded when it finished (started here if need be)."""
    if name not in _results:
        start(name)
        process = _running.pop(name)
        try:
            out, err = process.communicate(timeout=120)
        finally:
            process.kill()
        assert process.returncode == 0, f"the import failed ({process.returncode}):\n{err[-3000:]}"
        _results[name] = json.loads(out.strip().splitlines()[-1])
    return _results[name]


def stop_all() -> None:
    """The probes no test awaited (a deselected or failed test's)."""
    for process in _running.values():
        process.kill()
        process.wait()
    _running.clear()
