"""Issue 22's hidden couplings, each checked in a fresh interpreter: the jobs and the notifier do not
import the web layer (which builds the API's resolver and CORS), and the audit log renders a booking
without hallbook.web.models having been imported first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hallbook.config import Settings

REPO = Path(__file__).resolve().parents[2]


def _python(code: str) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'layers' / 'core'}{os.pathsep}{REPO}",
        "AWS_DEFAULT_REGION": "cn-north-1",
    }
    for name, field in Settings.model_fields.items():
        if field.is_required() and name != "aws_region":
            env.setdefault(name.upper(), f"unit-test-{name.replace('_', '-')}")
    env["JWT_LOCAL_KEY"] = "unit-test-key-that-is-long-enough-for-hs256"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.mark.parametrize("function", ["jobs", "notifier"])
def test_the_jobs_and_the_notifier_do_not_import_the_web_layer(function: str) -> None:
    out = _python(
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', 'functions/{function}/app.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(m for m in sys.modules if m.startswith('hallbook.web')))\n"
    )
    assert out.strip() == "[]"


def test_the_audit_log_renders_a_booking_without_the_web_models() -> None:
    out = _python(
        "import sys\n"
        "from datetime import date, datetime, timezone\n"
        "from hallbook.services import audit\n"
        "from hallbook.services.tokens import Caller\n"
        "from hallbook.store.bookings import Booking\n"
        "b = Booking('b1', 'K7M2QX', 'a1', '44010420180601777X', 'gz', 'ID_RENEW', date(2030, 10, 9),"
        " '09:00', '09:30', 'booked', '2030-09-30T09:00:00+08:00')\n"
        "e = audit.entry(Caller('op', 'operator'), 'operator.cancel', 'BOOKING#b1', datetime.now(timezone.utc),"
        " before=b)\n"
        "print(e.before['subject_id_number'], e.before['cancel_until'][:10], 'hallbook.web.models' in sys.modules)\n"
    )
    assert out.split() == ["440***********777X", "2030-10-08", "False"]
