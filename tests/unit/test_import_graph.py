"""The layer's modules depend on each other in one direction: no circle among the store's modules or
among the services' (a lazy import inside a function counts: it is the same dependency, paid later),
and no module reaches into another's private (underscore) names. Read from the source with ast, so
nothing is imported."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "layers" / "core" / "hallbook"

# Circles that are known and waiting for their fix; a new one fails. Each entry is a set of modules
# that may form one circle (or part of one).
ALLOWED_CIRCLES: list[frozenset[str]] = []
# (module, the module whose private name it reads, the name)
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _target(module: str, node: ast.ImportFrom, package: bool) -> str | None:
    """The imported module's name relative to hallbook, or None for another package."""
    if node.level == 0:
        name = node.module or ""
        return name.removeprefix("hallbook.") if name.startswith("hallbook.") else None
    base = module.split(".") if module else []
    if not package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


@functools.cache  # read once for the three tests (the sources do not change during a run); never mutated
def _graph() -> tuple[dict[str, set[str]], set[tuple[str, str, str]]]:
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: set[tuple[str, str, str]] = set()
    for module, path in modules.items():
        nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))  # walked once
        aliases: dict[str, str] = {}
        # an import under `if TYPE_CHECKING:` names a type for mypy and runs never: no circle at run time
        typing_only = {
            id(inner)
            for node in nodes
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            for inner in ast.walk(node)
        }
        for node in nodes:
            if not isinstance(node, ast.ImportFrom) or id(node) in typing_only:
                continue
            target = _target(module, node, path.name == "__init__.py")
            if target is None:
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}" if target else alias.name
                if submodule in modules:
                    edges[module].add(submodule)
                    aliases[alias.asname or alias.name] = submodule
                elif target in modules:
                    edges[module].add(target)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.add((module, target, alias.name))
        for node in nodes:
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                private.add((module, aliases[node.value.id], node.attr))
    return edges, private


def _circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[set[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(component)
    return circles


def test_no_import_circle_among_hallbooks_modules():
    edges, _ = _graph()
    layered = edges  # every hallbook module: the layers, the web, and the shared ones (config, aws, i18n, ...)
    circles = _circles(layered)
    new = [sorted(c) for c in circles if not any(c <= allowed for allowed in ALLOWED_CIRCLES)]
    assert new == [], f"import circles: {new}"
    # an allowance whose circle is gone goes too, so that the list only shrinks
    assert [sorted(a) for a in ALLOWED_CIRCLES if not any(c <= a for c in circles)] == []


def test_no_module_reads_another_modules_private_names():
    _, private = _graph()
    assert sorted(private - ALLOWED_PRIVATE) == []
    assert sorted(ALLOWED_PRIVATE - private) == []  # fixed ones leave the list


def test_the_check_sees_a_circle_and_a_private_name():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    edges, _ = _graph()
    assert "store.accounts" in edges["store.account_claims"]
