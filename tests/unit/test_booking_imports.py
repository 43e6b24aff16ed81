"""The booking aggregate's modules import one way: the waitlist and the draws use the shared eligibility
checks (services/eligibility.py), never the booking service, and the store (its seam and its fake
included) never imports a service. Read from the source (every import, also those inside functions
and under TYPE_CHECKING), nothing imported; test_import_graph.py checks for circles and private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "core" / "hallbook"


def _source(module: str) -> Path:
    path = PACKAGE.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _files(module: str) -> list[Path]:
    path = PACKAGE.joinpath(*module.split("."))
    return sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def imported(module: str) -> set[str]:
    """Every hallbook module `module` (or, for a package, any of its modules) imports, anywhere in it."""
    found: set[str] = set()
    for file in _files(module):
        package = ".".join(file.relative_to(PACKAGE).with_suffix("").parts[:-1])
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    "module, never",
    [
        ("services.waitlist", "services.bookings"),
        ("services.draws", "services.bookings"),
        ("services.eligibility", "services.bookings"),
        ("services.eligibility", "services.waitlist"),
        ("store.bookings", "store.waitlist"),
        ("store.bookings", "services"),
        ("store.stores", "services"),
        ("store.memory", "services"),
    ],
)
def test_imports_go_one_way(module, never):
    assert _source(module).exists()
    assert not {m for m in imported(module) if m == never or m.startswith(never + ".")}
