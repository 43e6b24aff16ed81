"""The README's second example runs verbatim (but for the port, and fresh ID numbers and phones so it
meets no other test's citizens), after the citizen example whose shell it continues: the confirmation
(R13) with its QR code and calendar entry, a family proxy (R20) confirmed with the code sent to the
citizen's own phone, its revocation, and the administrator's abuse flags (R22)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from blackbox_support import new_adult_id, new_phone

pytestmark = [pytest.mark.R20, pytest.mark.R22]

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> tuple[str, str]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    citizen = next(b for b in blocks if "/v1/accounts" in b and "/v1/bookings" in b)
    family = next(b for b in blocks if "/v1/proxies" in b)
    return citizen, family


def json_values(text: str) -> list:
    """curl prints the bodies back to back: every JSON value of them, in order."""
    decoder, position, values = json.JSONDecoder(), 0, []
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(text, position)
        values.append(value)
    return values


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the README uses curl and jq")
def test_the_readme_family_example_confirms_a_proxy_and_revokes_it(api, tmp_path):
    citizen, family = examples()
    script = f"{citizen}\n{family}".replace("localhost:3000", f"{api.host}:{api.port}")
    for old in ("11010519491231002X", "110105198001010227"):
        script = script.replace(old, new_adult_id())
    for old in ("13812345678", "13912345678"):
        script = script.replace(old, new_phone())
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=90, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    values = json_values(result.stdout)
    booking = next(v for v in values if isinstance(v, dict) and v.get("status") == "booked")
    page = (tmp_path / "confirmation.html").read_text(encoding="utf-8")
    assert (
        booking["reference"] in page and "<svg" in page and "已预约" in page
    )  # curl sends no Accept-Language: Chinese
    ics = (tmp_path / "booking.ics").read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and "BEGIN:VALARM" in ics and "TRIGGER:-P1D" in ics
    statuses = [v.get("status") for v in values if isinstance(v, dict) and "proxy_id" in v]
    assert statuses == ["active", "revoked"], values
    listed = next(v for v in values if isinstance(v, dict) and "bookings" in v)
    assert [b["booking_id"] for b in listed["bookings"]] == [booking["booking_id"]]
    assert isinstance(values[-1].get("flags"), list)
