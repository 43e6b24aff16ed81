"""The README's citizen example runs verbatim (but for the port) against local mode years ahead of the
machine's clock: register, read the SMS code, verify, log in, book the first free slot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.R1, pytest.mark.R8]

README = Path(__file__).resolve().parents[2] / "README.md"


def citizen_example() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if "/v1/accounts" in b and "/v1/bookings" in b)


def last_json(text: str):
    """curl prints the bodies back to back: the last JSON value of them."""
    decoder, position, value = json.JSONDecoder(), 0, None
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(text, position)
    return value


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the README uses curl and jq")
def test_the_readme_citizen_example_books_a_slot(api):
    script = citizen_example().replace("localhost:3000", f"{api.host}:{api.port}")
    script = script.replace("13812345678", "13812340909")  # a phone no other test of this server uses
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    booking = last_json(result.stdout)
    assert booking["status"] == "booked" and booking["office_id"] == "gz-tianhe-centre", booking
    assert re.fullmatch(r"[0-9A-Z]{4}-?[0-9A-Z]{4}", booking["reference"]), booking
