"""The message catalogue's tool (docs/i18n.md): `python -m local.i18n` (`make i18n`).

    python -m local.i18n          update: add every new raised detail to the .po files (empty, for a
                                  translator), drop details no longer raised, write them in their
                                  canonical form (sorted, no locations), then print what is still missing
    python -m local.i18n check    print what is missing or wrong, exit 1 if anything is (the tests do
                                  the same: tests/unit/test_i18n.py)

The raised details are found in the source, not by convention: every call of a DomainError class
(hallbook.domain.errors and classes derived from them) and of web.problems' `problem`/`Problem`,
whose detail is a string literal (its message id) or `N_("... {name} ...", name=...)`. An f-string or
a concatenation there is reported: its values would be English inside the Chinese sentence.
Babel reads and writes the .po files; at run time hallbook/i18n.py reads them with the standard
library alone (no compiled .mo: a binary file would conflict at every merge of two branches' texts)."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "layers" / "core" / "hallbook"
LOCALE = PACKAGE / "locale"
DOMAIN = "hallbook"
LANGUAGES = ("zh", "en")
# contexts whose message id is a key, not an English sentence: both catalogues translate them
KEYED = ("title", "code", "value", "validation", "sms", "page")
LOCAL_MODULES = ("gateway.py", "pages.py")
# SMS templates written the old way (a branch older than the move): `update` moves them into the .po
MESSAGES_JSON = PACKAGE / "messages.json"
# the texts of messages.json when its templates moved into the catalogue, as hashes (so that git does
# not take this file for messages.json renamed): a text that differs was changed since (on some
# branch) and wins; one that equals it is a stale copy and is ignored
SMS_BASE = ROOT / "local" / "i18n_sms_base.json"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# functions that pass a detail on to a DomainError: name -> the detail's position
DETAIL_HELPERS = {"second_factor_required": 1}
# codes answered without a DomainError class (web/app.py, web/guard.py)
EXTRA_CODES = {"UNSUPPORTED_MEDIA_TYPE", "INTERNAL"}

# a zh text may hold a code, a field name, a reference or a unit, never a run of Latin words
LATIN_RUN = re.compile(r"(?<![\w/{-])[A-Za-z][\w\-./:]*[ \t]+[A-Za-z][\w\-./:]*")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


@dataclass
class Extraction:
    details: dict[str, list[str]]  # English message id -> where it is raised
    unusable: list[Site]  # f-strings and concatenations: their values cannot be translated
    dynamic: list[Site]  # a detail the source cannot show (a variable): checked where it is made
    codes: set[str]


def _nodes() -> Iterator[tuple[str, list[ast.AST]]]:
    """Each module of the package and the nodes of it that matter here (one walk per module)."""
    wanted = (ast.Assign, ast.ClassDef, ast.Call)
    # the package, and local mode's gateway and pages (their refusals are the API's: no route, no page)
    for path in [*sorted(PACKAGE.rglob("*.py")), *(ROOT / "local" / name for name in LOCAL_MODULES)]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        yield str(path.relative_to(ROOT)), [n for n in ast.walk(tree) if isinstance(n, wanted)]


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def error_classes(modules: list[tuple[str, list[ast.AST]]]) -> dict[str, str]:
    """DomainError classes by name -> their code (hallbook.domain.errors and classes derived from them)."""
    classes = {"DomainError": "INTERNAL"}
    defined: list[ast.ClassDef] = []
    for _, nodes in modules:
        for node in nodes:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and _name(node.value.func) == "_error"
                and len(node.value.args) >= 2
                and isinstance(node.value.args[0], ast.Constant)
                and isinstance(node.value.args[1], ast.Constant)
            ):
                classes[str(node.value.args[0].value)] = str(node.value.args[1].value)
            elif isinstance(node, ast.ClassDef):
                defined.append(node)
    changed = True
    while changed:  # classes derived from those, transitively
        changed = False
        for node in defined:
            parent = next((n for n in (_name(b) for b in node.bases) if n in classes), None)
            if node.name in classes or parent is None:
                continue
            code = next(
                (
                    str(s.value.value)
                    for s in node.body
                    if isinstance(s, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in s.targets)
                    and isinstance(s.value, ast.Constant)
                ),
                classes[parent],
            )
            classes[node.name] = code
            changed = True
    return classes


def extract() -> Extraction:
    modules = list(_nodes())
    classes = error_classes(modules)
    found = Extraction({}, [], [], set(classes.values()) | EXTRA_CODES)

    def detail(path: str, line: int, expr: ast.expr | None) -> None:
        if expr is None:
            return
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str) and expr.value:
                found.details.setdefault(expr.value, []).append(f"{path}:{line}")
        elif isinstance(expr, ast.JoinedStr):
            found.unusable.append(Site(path, line, "an f-string: raise it as N_('... {name} ...', name=...)"))
        elif isinstance(expr, ast.BinOp):
            found.unusable.append(Site(path, line, "a concatenation: raise one sentence, N_('...', name=...)"))
        elif isinstance(expr, ast.IfExp):
            detail(path, line, expr.body)
            detail(path, line, expr.orelse)
        elif isinstance(expr, ast.BoolOp):
            for v in expr.values:
                detail(path, line, v)
        elif isinstance(expr, ast.Call) and _name(expr.func) == "N_":
            pass  # found as a call of its own
        else:
            found.dynamic.append(Site(path, line, ast.unparse(expr)))

    for path, nodes in modules:
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            keywords = {k.arg: k.value for k in node.keywords}
            if name == "N_":
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    msgid = node.args[0].value
                    found.details.setdefault(msgid, []).append(f"{path}:{node.lineno}")
                    given = set(keywords)
                    if None not in given and not placeholders(msgid) <= given:  # a KeyError at run time
                        lacking = ", ".join(sorted(placeholders(msgid) - given))
                        found.unusable.append(Site(path, node.lineno, f"N_ names {{{lacking}}} without a value"))
                else:
                    found.unusable.append(Site(path, node.lineno, "N_ needs a literal message id"))
            elif name in DETAIL_HELPERS and len(node.args) > DETAIL_HELPERS[name]:
                detail(path, node.lineno, node.args[DETAIL_HELPERS[name]])
            elif name in classes and name != "DomainError":
                detail(path, node.lineno, node.args[0] if node.args else keywords.get("detail"))
            elif name in ("problem", "Problem") and path.endswith(("web/app.py", "web/problems.py", "web/guard.py")):
                if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                    found.codes.add(str(node.args[1].value))
                detail(path, node.lineno, node.args[2] if len(node.args) >= 3 else keywords.get("detail"))
    return found


# ---------------------------------------------------------------- the catalogues


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def read(language: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = po_path(language)
    if not path.exists():
        return Catalog(locale="zh_Hans_CN" if language == "zh" else "en", domain=DOMAIN, project="hallbook")
    with path.open("rb") as po:
        return read_po(po, locale="zh_Hans_CN" if language == "zh" else "en", domain=DOMAIN)


def po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    # no locations (they would change with every edit of a raising module) and sorted: merges stay clean
    write_po(out, catalog, width=0, no_location=True, sort_output=True, ignore_obsolete=True)
    return out.getvalue()


def entries(catalog) -> dict[tuple[str, str | None], str]:
    """(msgid, msgctxt) -> msgstr of every message but the header."""
    return {(str(m.id), m.context): str(m.string or "") for m in catalog if m.id}


def absorb_messages_json(catalogs: dict) -> list[str]:
    """Move messages.json's SMS templates into the catalogues (msgctxt `sms`) and delete the file: a
    key the catalogue lacks is added; a text changed since the move (SMS_BASE) replaces the catalogue's."""
    if not MESSAGES_JSON.exists():
        return []
    moved: dict[str, dict[str, str]] = json.loads(MESSAGES_JSON.read_text(encoding="utf-8"))
    if not SMS_BASE.exists():
        hashes = {key: {lang: text_hash(text) for lang, text in texts.items()} for key, texts in moved.items()}
        SMS_BASE.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    base: dict[str, dict[str, str]] = json.loads(SMS_BASE.read_text(encoding="utf-8"))
    notes = []
    for key, texts in moved.items():
        for language in LANGUAGES:
            text = texts.get(language)
            if not text:
                continue
            current = catalogs[language].get(key, context="sms")
            if current is None or not current.string:
                catalogs[language].add(key, text, context="sms")
                notes.append(f"sms:{key} ({language}) added from messages.json")
            elif text != current.string and text_hash(text) != base.get(key, {}).get(language):
                current.string = text
                notes.append(f"sms:{key} ({language}) changed from messages.json")
    MESSAGES_JSON.unlink()
    return notes


def update() -> None:
    found = extract()
    catalogs = {language: read(language) for language in LANGUAGES}
    for note in absorb_messages_json(catalogs):
        print(note)
    keyed = {(m.id, m.context) for catalog in catalogs.values() for m in catalog if m.id and m.context in KEYED}
    for language, catalog in catalogs.items():
        for message in list(catalog):
            if message.id and message.context is None and message.id not in found.details:
                catalog.delete(message.id)  # no longer raised
        if language == "zh":
            for msgid in found.details:
                if catalog.get(msgid) is None:
                    catalog.add(msgid, "")
        for msgid, context in keyed:
            if catalog.get(msgid, context=context) is None:
                catalog.add(msgid, "", context=context)
        po_path(language).parent.mkdir(parents=True, exist_ok=True)
        po_path(language).write_bytes(po_bytes(catalog))
        if mo_path(language).exists():
            mo_path(language).unlink()  # an older branch's compiled catalogue: the .po is read as it is


# ---------------------------------------------------------------- what is missing or wrong


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def names(text: str, context: str | None) -> set[str]:
    """The values a text names; an SMS's English may name a value's English (`office_name_en`)."""
    found = placeholders(text)
    return {n.removesuffix("_en") for n in found} if context == "sms" else found


def same_values(zh: str, other: str, context: str | None) -> bool:
    """A translation names the original's values. An SMS is rendered with all of its values and is
    kept within one billed segment in each language, so either may leave a value out (the English
    the office, to fit): there only the form is checked."""
    if context == "sms":
        try:
            list(string.Formatter().parse(zh)) + list(string.Formatter().parse(other))
        except ValueError:
            return False
        return True
    return names(zh, context) == names(other, context)


def mixed(text: str, language: str) -> str | None:
    """The part of `text` that is in the other language, if any (placeholders do not count)."""
    plain = PLACEHOLDER.sub("0", text)
    hit = LATIN_RUN.search(plain) if language == "zh" else CJK.search(plain)
    return hit.group(0) if hit else None


def problems(found: Extraction | None = None) -> dict[str, list[str]]:
    found = found or extract()
    catalogs = {language: read(language) for language in LANGUAGES}
    texts = {language: entries(catalog) for language, catalog in catalogs.items()}
    zh, en = texts["zh"], texts["en"]
    out: dict[str, list[str]] = {
        "raised details that cannot be translated (an f-string, a concatenation, a placeholder without a value)": [
            str(s) for s in found.unusable
        ],
        "raised details without a Chinese translation": [
            f"{msgid!r} ({', '.join(where[:2])})"
            for msgid, where in sorted(found.details.items())
            if not zh.get((msgid, None))
        ],
        "error codes without a title or a sentence in both languages": [
            f"{code} ({context}, {language})"
            for code in sorted(found.codes)
            for context in ("title", "code")
            for language in LANGUAGES
            if not texts[language].get((code, context))
        ],
        "keyed messages missing in a language": [
            f"{context}:{msgid} ({language})"
            for (msgid, context) in sorted({k for t in texts.values() for k in t if k[1] in KEYED}, key=str)
            for language in LANGUAGES
            if not texts[language].get((msgid, context))
        ],
        "translations whose placeholders differ from the original's": [],
        "texts that mix the languages": [],
        "catalogues the functions read otherwise than Babel (run python -m local.i18n)": [],
        "SMS templates outside the catalogue (run make i18n: it moves them into the .po files)": [
            str(MESSAGES_JSON.relative_to(ROOT))
        ]
        if MESSAGES_JSON.exists()
        else [],
    }
    for (msgid, context), translated in zh.items():
        if not translated:
            continue
        original = msgid if context not in KEYED else en.get((msgid, context), "")
        if original and not same_values(translated, original, context):
            out["translations whose placeholders differ from the original's"].append(f"{context or ''}:{msgid!r}")
        if (bit := mixed(translated, "zh")) is not None:
            out["texts that mix the languages"].append(f"zh {context or ''}:{msgid!r}: {bit!r}")
    for msgid in found.details:
        if (bit := mixed(msgid, "en")) is not None:
            out["texts that mix the languages"].append(f"en {msgid!r}: {bit!r}")
    for (msgid, context), translated in en.items():
        if translated and (bit := mixed(translated, "en")) is not None:
            out["texts that mix the languages"].append(f"en {context or ''}:{msgid!r}: {bit!r}")
    if str(PACKAGE.parent) not in sys.path:
        sys.path.insert(0, str(PACKAGE.parent))  # `python -m local.i18n` without make's PYTHONPATH
    from hallbook.i18n import parse_po

    for language, catalog in catalogs.items():
        babel = {
            f"{m.context}\x04{m.id}" if m.context else str(m.id): str(m.string)
            for m in catalog
            if m.id and m.string and not m.fuzzy
        }
        if parse_po(po_path(language).read_text(encoding="utf-8")) != babel or mo_path(language).exists():
            out["catalogues the functions read otherwise than Babel (run python -m local.i18n)"].append(
                str(po_path(language).relative_to(ROOT))
            )
    return {k: v for k, v in out.items() if v}


def report() -> int:
    missing = problems()
    for heading, items in missing.items():
        print(f"{heading} ({len(items)}):")
        for item in items:
            print(f"  {item}")
    return 1 if missing else 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["check"]:
        update()
    sys.exit(report())
