"""R1's "masked in every log line", as the last line of defence: a logging filter that masks any whole
ID number or phone in a record. Code masks or pseudonymises what it logs (hallbook/keyed.py); this
catches what it did not think of - an exception's text, a library's message. hallbook/observability.py
puts it on the functions' logger, local/__main__.py on local mode's own."""

from __future__ import annotations

import logging
import re

# an ID number (17 digits and a check character) or a mainland mobile number (+86 / 0086, spaces or
# dashes allowed), in any digits Python's \d knows, as a whole token
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[\dXxＸｘ]|(?:(?:\+|00)?86[ -]?)?1\d{2}[ -]?\d{4}[ -]?\d{4})(?![0-9A-Za-z])"
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """`text` with every whole ID number or phone in it masked (its first 3 and last 4 kept)."""
    if not any(c.isdigit() for c in text):
        return text
    return _NUMBER.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 7) + m.group(0)[-4:], text)


class NumberScrubber(logging.Filter):
    """Masks ID numbers and phones in a record's message, its extra fields and its exception's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._scrub(record)
        except Exception:  # noqa: BLE001 - a log line is never lost to its scrubbing (a bad format string)
            record.msg, record.args = scrub(str(record.msg)), None
        return True

    @staticmethod
    def _scrub(record: logging.LogRecord) -> None:
        if isinstance(record.msg, str):
            message = record.getMessage()
            record.msg, record.args = scrub(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, scrub(value))
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and scrub(str(error)) != str(error):
            error.args = (scrub(str(error)),)


def scrub_handlers(target: logging.Logger) -> None:
    """Every handler of `target` scrubs what it writes (records its child loggers propagate too)."""
    for handler in target.handlers:
        if not any(isinstance(f, NumberScrubber) for f in handler.filters):
            handler.addFilter(NumberScrubber())
