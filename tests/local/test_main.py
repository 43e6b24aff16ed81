"""`python -m local` starts, serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from local.template import REPO_ROOT


@pytest.mark.slow
def test_python_m_local_serves_and_stops_on_sigterm() -> None:
    environment = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'layers' / 'core'}{os.pathsep}{REPO_ROOT}"}
    environment.pop("AWS_ENDPOINT_URL", None)  # the child starts its own embedded AWS
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", "0", "--now", "2026-09-14T09:00+08:00"],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base = None
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while base is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, "python -m local exited before serving"
            if match := re.search(r"API docs\s+(http://\S+)/docs", line):
                base = match.group(1)
        assert base is not None
        with urllib.request.urlopen(f"{base}/local/clock") as response:
            now = json.loads(response.read())["now"]
        assert now.startswith("2026-09-14T09:0")  # running from the --now instant
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
