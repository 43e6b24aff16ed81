"""`python -m bench` writes bench/results.json with the keys issue 13 names, each a number. A short
run (`--quick`, seconds of work) in its own process: the keys and their types are checked here, never
their values - figures are measured by `make bench`, not asserted by tests."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from local.template import REPO_ROOT

KEYS = (
    "availability_reads_per_request",
    "refused_attempt_requests",
    "writes_per_booking",
    "overbooked",
    "attempts_floor_ratio",
    "import_ms_max",
    "sms_requests_per_message",
    "paper_availability_reads_per_s_per_hall_service",
    "paper_attempts_per_s_per_hall_service",
    "sms_segments_per_booking",
    "office_put_seconds",
    # issue 24: the draw (R23), the cold start against the platform, R19's spread
    "draw_requests_per_entry",
    "draw_wcu_per_winner",
    "import_ratio_to_platform",
    "r19_distinct_return_minutes_per_100",
)


@pytest.mark.slow
def test_a_short_bench_run_writes_every_key_as_a_number(tmp_path) -> None:
    results = tmp_path / "results.json"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_")) and not name.endswith(("_TABLE", "_URL", "_ARN"))
    }
    environment["PYTHONPATH"] = f"{REPO_ROOT / 'layers' / 'core'}{os.pathsep}{REPO_ROOT}"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results", str(results)],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(results.read_text(encoding="utf-8"))
    for key in KEYS:
        assert key in figures, key
        value = figures[key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value), (key, value)
