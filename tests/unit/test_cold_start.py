"""Issue 13, cold start: a handler's import loads neither the X-Ray SDK nor the libraries only some
routes need (PyJWT and cryptography, argon2, phonenumbers, python-stdnum, segno, icalendar); an environment initialised ahead of its
first request (provisioned concurrency: the noon warmth) loads them during init. What the import
costs is measured by `make bench` (import_ms_*), never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # not local.template's: importing it loads samtranslator

HEAVY = ("aws_xray_sdk", "jwt", "argon2", "phonenumbers", "stdnum", "segno", "icalendar")


def start_import(function: str, **env: str) -> subprocess.Popen:
    """A fresh interpreter importing the function's handler, started (not awaited: see loaded)."""
    code = (
        f"import importlib.util, json, sys; sys.path[:0] = ['layers/core', 'functions/{function}']; "
        f"spec = importlib.util.spec_from_file_location('app', 'functions/{function}/app.py'); "
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
        f"print(json.dumps({{name: name in sys.modules for name in {list(HEAVY)!r}}}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    environment.update({"AWS_DEFAULT_REGION": "cn-north-1", "POWERTOOLS_TRACE_DISABLED": "false", **env})
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def loaded(process: subprocess.Popen) -> dict[str, bool]:
    """Which heavy libraries the import started by start_import had loaded when it finished."""
    try:
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, f"the import failed ({process.returncode}):\n{err}"
    return json.loads(out.strip().splitlines()[-1])


def loaded_after_import(function: str, **env: str) -> dict[str, bool]:
    return loaded(start_import(function, **env))


@pytest.mark.parametrize("function", ["citizen_api", "staff_api"])
def test_an_on_demand_import_loads_none_of_the_heavy_libraries(function):
    assert loaded_after_import(function) == {name: False for name in HEAVY}


def test_a_provisioned_environment_loads_them_during_init():
    # two interpreters at once: neither depends on the other, and each takes a second or so
    without_sdk = start_import("citizen_api", AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency")
    with_sdk = start_import(
        "citizen_api", AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency", HALLBOOK_XRAY_SDK="1"
    )
    loaded_without = loaded(without_sdk)
    assert loaded_without == {
        "aws_xray_sdk": False,
        "jwt": True,
        "argon2": True,
        "phonenumbers": True,
        "stdnum": True,
        "segno": True,
        "icalendar": True,
    }
    loaded_with = loaded(with_sdk)
    assert all(loaded_with.values()), loaded_with
