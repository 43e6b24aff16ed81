"""R1 and issue 21 item 7: whatever code forgets to mask, a log line holds no whole ID number or phone
(hallbook/observability.py NumberScrubber on the handlers of the functions' logger and local mode's)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aws_lambda_powertools import Logger

from hallbook.logscrub import NumberScrubber, scrub

ID, MINOR, PHONE = "110105194912310025", "44010420180601777X", "13812345678"
pytestmark = pytest.mark.R1
FULL_WIDTH_ID = ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def test_scrub_masks_whole_numbers_only() -> None:
    assert scrub(f"guardian#{MINOR}#a1#linked") == "guardian#440***********777X#a1#linked"
    assert scrub(f"phone {PHONE}, +86 138 1234 5678, 008613812345678") == (
        "phone 138****5678, +86**********5678, 008********5678"
    )
    assert scrub(FULL_WIDTH_ID) == FULL_WIDTH_ID[:3] + "*" * 11 + FULL_WIDTH_ID[-4:] and scrub(MINOR.lower()).endswith(
        "777x"
    )
    for kept in ("1796676907622", "fd844fc59561450d9e93052f6d72f634", "2030-09-30T09:00:00+08:00", "12345678901234"):
        assert scrub(kept) == kept


def _captured(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(NumberScrubber())
    target = logging.getLogger(name)
    target.handlers[:] = [handler]
    target.propagate = False
    target.setLevel(logging.INFO)
    return target, stream


def test_a_record_is_scrubbed_in_its_message_arguments_extras_and_exception() -> None:
    log, stream = _captured("scrub-test")
    log.info("linked %s to %s", MINOR, ID)
    log.info("sent", extra={"message_id": f"guardian#{MINOR}#x", "phone": PHONE})
    try:
        raise KeyError(f"ID#{ID}")
    except KeyError:
        log.exception("lookup failed")
    log.info("bad format %s %s", "one")  # never raises from the filter
    text = stream.getvalue()
    assert MINOR not in text and ID not in text and "linked 440" in text and "lookup failed" in text


def test_powertools_json_lines_are_scrubbed_too() -> None:
    stream = io.StringIO()
    logger = Logger(service="scrub-json-test", logger_handler=logging.StreamHandler(stream))
    logging.getLogger(logger.name).handlers[0].addFilter(NumberScrubber())
    logger.info("sms sent", extra={"message_id": f"guardian#{MINOR}#a#linked", "phone": PHONE})
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message_id"] == "guardian#440***********777X#a#linked" and line["phone"] == "138****5678"
