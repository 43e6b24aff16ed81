"""template.yaml as written and as CloudFormation would see it. The SAM template is read with
samtranslator's own YAML loader (CloudFormation's short tags in their long form: `!Ref x` ->
{"Ref": x}) and translated offline with aws-sam-translator (Globals merged, events expanded)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import samtranslator
import yaml
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import intrinsics_multi_constructor

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
# translations kept between processes (translate): build/ is each checkout's own and ignored by git
TRANSLATIONS = REPO_ROOT / "build" / "cfn"


class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """samtranslator's yaml_parse (a safe load, its constructor for the short tags) on libyaml's parser
    when PyYAML has it: a tenth of the pure-Python parser's 0.2 s, paid at every local system's start
    and by every test that reads the template."""


_TemplateLoader.add_multi_constructor("!", intrinsics_multi_constructor)


def read_sam_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The SAM template as written (short tags in long form), before translation."""
    template: dict[str, Any] = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506
    return template


class _NoManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which would ask IAM for the policy list."""

    def load(self) -> dict[str, str]:
        return {}


def translate(raw: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation that `sam deploy` would create, computed offline.

    The translation costs ~1.5 s of CPU and every local system's start pays it (each pytest worker,
    each suite's server, `make run`), always on the same template: it is kept in TRANSLATIONS, under
    a key drawn from everything it depends on (the template as read, samtranslator's version, this
    file), and read back as JSON - what the translation gives is JSON's own types."""
    key = hashlib.sha256(
        json.dumps([raw, samtranslator.__version__], sort_keys=True, default=repr).encode()
        + Path(__file__).read_bytes()
    ).hexdigest()[:40]
    kept = TRANSLATIONS / f"{key}.json"
    try:
        cached: dict[str, Any] = json.loads(kept.read_text(encoding="utf-8"))
        return cached
    except (OSError, ValueError):
        pass
    cfn = _translate(raw)
    try:  # written whole, then renamed: processes starting at once read it complete or not at all
        TRANSLATIONS.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=TRANSLATIONS, suffix=".tmp", delete=False, encoding="utf-8") as out:
            json.dump(cfn, out)
        os.replace(out.name, kept)
    except OSError:
        pass  # a read-only checkout translates every time
    return cfn


def _translate(raw: dict[str, Any]) -> dict[str, Any]:
    sam = copy.deepcopy(raw)
    # `sam package` replaces local code folders by S3 locations; the translator insists on those.
    for resource in [*sam.get("Resources", {}).values(), {"Properties": sam.get("Globals", {}).get("Function", {})}]:
        properties = resource.get("Properties") or {}
        for uri in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(uri), str):
                properties[uri] = f"s3://local-mode/{properties[uri]}"
    return transform(sam, {}, _NoManagedPolicies())  # type: ignore[arg-type]


def load_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml translated to CloudFormation (no AWS call)."""
    return translate(read_sam_template(path))
