"""Issue 22's hidden couplings, checked in one fresh interpreter: the jobs and the notifier do not
import the web layer (which builds the API's resolver and CORS), and the audit log renders a booking
without hallbook.web.models having been imported first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hallbook.config import Settings

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import importlib.util, json, sys
from datetime import date, datetime, timezone
web = {}
for function in ("jobs", "notifier"):
    spec = importlib.util.spec_from_file_location(function + "_app", f"functions/{function}/app.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    web[function] = sorted(m for m in sys.modules if m.startswith("hallbook.web"))
from hallbook.services import audit
from hallbook.services.tokens import Caller
from hallbook.store.bookings import Booking
b = Booking("b1", "K7M2QX", "a1", "44010420180601777X", "gz", "ID_RENEW", date(2030, 10, 9), "09:00", "09:30",
            "booked", "2030-09-30T09:00:00+08:00")
e = audit.entry(Caller("op", "operator"), "operator.cancel", "BOOKING#b1", datetime.now(timezone.utc), before=b)
print(json.dumps({"web": web, "before": e.before, "models": "hallbook.web.models" in sys.modules}))
"""


def test_jobs_and_notifier_skip_the_web_layer_and_the_audit_log_renders_without_its_models() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'layers' / 'core'}{os.pathsep}{REPO}",
        "AWS_DEFAULT_REGION": "cn-north-1",
    }
    for name, field in Settings.model_fields.items():
        if field.is_required() and name != "aws_region":
            env.setdefault(name.upper(), f"unit-test-{name.replace('_', '-')}")
    env["JWT_LOCAL_KEY"] = "unit-test-key-that-is-long-enough-for-hs256"
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["web"] == {"jobs": [], "notifier": []}
    assert (
        seen["before"]["subject_id_number"] == "440***********777X"
        and seen["before"]["cancel_until"][:10] == "2030-10-08"
    )
    assert seen["models"] is False
