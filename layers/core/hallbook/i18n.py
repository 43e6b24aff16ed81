"""One message catalogue for every text a person reads (SPEC: "entirely in the request's language ...
from one message catalogue"): gettext catalogues in hallbook/locale/<language>/LC_MESSAGES/hallbook.po
(translators edit them; `python -m local.i18n` keeps them with Babel; docs/i18n.md says how to add a
text), read here as they are - no compiled .mo, so parallel branches merge them as text.

Two kinds of message id:
- an English sentence (no msgctxt): the detail a DomainError is raised with. English readers get it as
  written; only the Chinese catalogue translates it. A detail with values is raised as
  `N_("No ticket {ticket} at this hall.", ticket=ticket_id)`: a `Text`, a str that reads as the English
  sentence and keeps its message id and values, so the values land inside the translated sentence.
- a key in a context (msgctxt `title`, `code`, `value`, `validation`, `sms`, `page`), translated in both
  catalogues: `text("booked", "sms", "en", reference=...)`.

The request's language is a context variable (`using`, set by web/app.py from Accept-Language);
an SMS is in its account's language, passed explicitly. Only the standard library at run time: a
language's .po is read at its first translation (~1 ms), not at import."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "hallbook"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
# how a list of values reads inside a sentence
SEPARATORS = {"zh": "、", "en": ", "}

_language: ContextVar[str] = ContextVar("hallbook_language", default=DEFAULT_LANGUAGE)


def current() -> str:
    """The language of the request being answered (Chinese outside a request)."""
    return _language.get()


@contextmanager
def using(language: str) -> Iterator[str]:
    """Texts made inside are in `language` (one of LANGUAGES; anything else: Chinese)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield _language.get()
    finally:
        _language.reset(token)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(text: str) -> str:
    """A .po string literal's text ("a\\n" -> a and a newline)."""
    text = text.strip()
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(text: str) -> dict[str, str]:
    """A .po file's translations: msgid (or "context\\x04msgid") -> msgstr, without the header, empty
    and fuzzy entries (what msgfmt would compile; tests/unit/test_i18n.py holds it to Babel's reading)."""
    catalog: dict[str, str] = {}
    entry: dict[str, str] = {}
    field = ""
    fuzzy = False

    def flush() -> None:
        nonlocal entry, fuzzy
        if entry.get("msgid") and entry.get("msgstr") and not fuzzy:
            key = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
            catalog[key] = entry["msgstr"]
        entry, fuzzy = {}, False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if "msgstr" in entry:
                flush()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        if line.startswith('"'):
            if field:
                entry[field] += _unquote(line)
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid") and "msgstr" in entry:
            flush()
        field = word if word in ("msgctxt", "msgid", "msgstr") else ""
        if field:
            entry[field] = _unquote(rest)
    flush()
    return catalog


@cache
def messages(language: str) -> dict[str, str]:
    """The catalogue of `language`: msgid (or "context\x04msgid") -> translation, read from its .po at
    the first translation (no compiled .mo: nothing binary to conflict when branches merge)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        return parse_po(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def lookup(msgid: str, language: str, context: str | None = None) -> str | None:
    """The catalogue's translation of `msgid` in `language`, or None where it has none."""
    return messages(language).get(f"{context}\x04{msgid}" if context else msgid)


class Bilingual:
    """A value that has a name in each language (an office's or a service's name)."""

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bilingual) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        return f"Bilingual({self.zh!r}, {self.en!r})"

    def __str__(self) -> str:
        return self.en or self.zh

    def in_(self, language: str) -> str:
        return (self.zh or self.en) if language == "zh" else (self.en or self.zh)


def value(v: Any, language: str) -> str:
    """One value as it reads inside a sentence in `language`: a Bilingual's name, a list joined, a word
    the catalogue knows (msgctxt `value`: statuses, roles, kinds) translated, anything else as str()."""
    if isinstance(v, Bilingual):
        return v.in_(language)
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(v) if isinstance(v, (set, frozenset)) else v
        return SEPARATORS.get(language, ", ").join(value(item, language) for item in items)
    if isinstance(v, Text):
        return translate(v, language) or str(v)
    if hasattr(v, "value") and isinstance(v.value, str):  # an Enum of words
        v = v.value
    if isinstance(v, str):
        return lookup(v, language, "value") or v
    return str(v)


def fill(template: str, params: Mapping[str, Any], language: str) -> str:
    return template.format(**{name: value(v, language) for name, v in params.items()}) if params else template


class Text(str):
    """A text with values that reads as its English sentence and knows its message id (see N_)."""

    msgid: str
    context: str | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, context: str | None = None, /, **params: Any) -> Text:
        english = (lookup(msgid, "en", context) or msgid) if context else msgid
        self = super().__new__(cls, fill(english, params, "en"))
        self.msgid, self.context, self.params = msgid, context, params
        return self


class Localized(str):
    """A text already made in each language (reads as its English): a request validation's list."""

    texts: dict[str, str]

    def __new__(cls, texts: dict[str, str]) -> Localized:
        self = super().__new__(cls, texts.get("en", ""))
        self.texts = texts
        return self


def N_(msgid: str, /, **params: Any) -> Text:  # noqa: N802 - gettext's name for "translated later"
    """Mark an English sentence for translation when it is shown: `raise NotFound(N_("No ticket {ticket}
    at this hall.", ticket=ticket_id))`. Values are named placeholders; a Bilingual, a list or a word of
    msgctxt `value` reads in the reader's language."""
    return Text(msgid, None, **params)


def translate(message: str, language: str | None = None) -> str | None:
    """`message` (a Text or an English sentence from the catalogue) in `language` (default: the
    request's), or None where the catalogue has no translation of it."""
    language = language or current()
    if isinstance(message, Localized):
        return message.texts.get(language)
    msgid = message.msgid if isinstance(message, Text) else message
    context = message.context if isinstance(message, Text) else None
    params = message.params if isinstance(message, Text) else {}
    template = lookup(msgid, language, context)
    if template is None and language == "en" and context is None:
        template = msgid  # an English message id is its own English text
    if template is None:
        return None
    try:
        return fill(template, params, language)
    except (KeyError, IndexError, ValueError):  # a translation naming a value the message lacks
        return None


def text(key: str, context: str, language: str | None = None, /, **params: Any) -> str:
    """The text of a keyed message (`sms`, `page`, `code`, `title`...) in `language` (default: the
    request's; Chinese where the language lacks it). KeyError for a key neither catalogue has."""
    language = language or current()
    template = lookup(key, language, context) or lookup(key, DEFAULT_LANGUAGE, context)
    if template is None:
        raise KeyError(f"{context}:{key}")
    return fill(template, params, language)


def pair(key: str, context: str = "value", /, **params: Any) -> tuple[str, str]:
    """(Chinese, English) of a keyed text, for an SMS value the account's language picks later."""
    return text(key, context, "zh", **params), text(key, context, "en", **params)


def keyed(context: str, language: str) -> dict[str, str]:
    """Every keyed message of `context` in `language`: key -> text (e.g. the SMS templates)."""
    prefix = f"{context}\x04"
    return {k[len(prefix) :]: v for k, v in messages(language).items() if k.startswith(prefix)}


def has(key: str, context: str, language: str) -> bool:
    return lookup(key, language, context) is not None
