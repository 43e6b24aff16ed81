"""template.yaml as written and as CloudFormation would see it. The SAM template is read with
samtranslator's own YAML loader (CloudFormation's short tags in their long form: `!Ref x` ->
{"Ref": x}) and translated offline with aws-sam-translator (Globals merged, events expanded)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import intrinsics_multi_constructor

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


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
    """The CloudFormation that `sam deploy` would create, computed offline."""
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
