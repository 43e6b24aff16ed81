"""Each API function imports the route modules and models of its own routes only (their pydantic
classes are built at its cold start): a module named for one audience (`*_citizen`, `*_staff`,
`*_admin`) is never imported by another audience's function. Read from the source with ast. And the
route models restate a few of the rules' numbers so that a cold start does not import the rules for
them (web/models_draws.py): they must agree. The models modules keep their annotations as objects
(web/models.py's Model says why)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hallbook.domain import draw
from hallbook.web import models_draws

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "layers" / "core" / "hallbook" / "web"
AUDIENCES = {"citizen_api": "citizen", "staff_api": "staff", "admin_api": "admin", "operator_api": "operator"}


def _imported_at_import(path: Path, package: str) -> set[str]:
    """hallbook.web modules the module imports at its top level (not under TYPE_CHECKING, not in a function)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                for name in (f"{base}.{alias.name}", base):
                    if name.startswith("hallbook.web.") and _path(name).exists():
                        found.add(name)
                        break
    return found


def _path(module: str) -> Path:
    relative = module.removeprefix("hallbook.web.").replace(".", "/")
    return WEB / f"{relative}.py"


def _closure(function: str) -> set[str]:
    todo = _imported_at_import(REPO / "functions" / function / "app.py", "app")
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo |= _imported_at_import(_path(module), module.rsplit(".", 1)[0])
    return seen


@pytest.mark.parametrize("function", sorted(AUDIENCES))
def test_an_api_function_imports_no_other_audiences_routes_or_models(function: str) -> None:
    modules = _closure(function)
    assert any(m.startswith("hallbook.web.routes.") for m in modules)
    others = {a for f, a in AUDIENCES.items() if f != function}
    assert sorted(m for m in modules if m.rsplit("_", 1)[-1] in others) == []


def test_the_models_modules_keep_their_field_annotations_as_objects() -> None:
    """Not as text (`from __future__ import annotations`): pydantic would evaluate each one at the cold start."""
    assert [
        p.name
        for p in sorted(WEB.glob("models*.py"))
        if "from __future__ import annotations" in p.read_text().splitlines()
    ] == []


def test_the_draw_entry_model_allows_as_many_starts_as_the_draw_rules() -> None:
    assert models_draws.MAX_STARTS == draw.MAX_STARTS
