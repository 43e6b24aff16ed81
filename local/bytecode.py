"""The bytecode a deployed function imports at a cold start, compiled at build time.

Lambda cannot write `__pycache__` (its code is read-only), and `sam build` ships sources only: a
function without bytecode compiles every module it imports (botocore, pydantic, Powertools, ours)
at each cold start, ~1.9 s for the citizen API on the bench machine against ~0.5 s with it
(bench/README.md). `make sam-build` therefore compiles the build directory after `sam build`
(`python -m local.bytecode build/sam`), with the interpreter version the template's functions run
(checked here), into unchecked-hash pycs: valid whatever the files' times after the zip's round
trip, and never compared with the sources (a deployed function's code does not change). The
bytecode adds ~38 MiB to the layer (100 MiB unzipped with it): the step also fails the build when a function
and its layers would exceed Lambda's 250 MB unzipped.
"""

from __future__ import annotations

import compileall
import importlib.util
import py_compile
import sys
from pathlib import Path

from local.loader import read_sam_template

MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # a function and all its layers, unzipped (Lambda's quota)
_UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: bit 0 "hash-based", bit 1 "check_source" unset


class BytecodeError(RuntimeError):
    pass


def template_runtime() -> str:
    """The `Runtime` of the template's functions (Globals), e.g. python3.11."""
    runtime: str = read_sam_template()["Globals"]["Function"]["Runtime"]
    return runtime


def check_interpreter(runtime: str) -> None:
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if running != runtime:
        raise BytecodeError(f"bytecode for {runtime} must be compiled by {runtime}, not {running} ({sys.executable})")


def compile_tree(root: Path) -> None:
    """Every .py under `root` compiled next to it (`__pycache__`), unchecked-hash, always afresh: a
    build directory reused by `sam build` never keeps a pyc of an older source."""
    if not compileall.compile_dir(str(root), quiet=2, workers=0, force=True, invalidation_mode=MODE):
        raise BytecodeError(f"some module under {root} does not compile")


def missing_bytecode(root: Path) -> list[Path]:
    """The .py files under `root` without an unchecked-hash pyc of this interpreter."""
    missing = []
    for source in sorted(root.rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:8] if cached.exists() else b""
        if header[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(header[4:8], "little") != _UNCHECKED_HASH_FLAGS:
            missing.append(source)
    return missing


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def largest_deployment(root: Path) -> tuple[str, int]:
    """The function of a `sam build` directory whose code and layers (every *Layer directory: each
    function of this template uses the one layer) take the most space unzipped, and that size."""
    layers = sum(_size(d) for d in root.iterdir() if d.is_dir() and d.name.endswith("Layer"))
    functions = {d.name: _size(d) for d in root.iterdir() if d.is_dir() and not d.name.endswith("Layer")}
    name = max(functions, key=lambda n: functions[n], default="")
    return name, layers + functions.get(name, 0)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m local.bytecode BUILD_DIR", file=sys.stderr)
        return 2
    root = Path(argv[0])
    try:
        check_interpreter(template_runtime())
        compile_tree(root)
    except BytecodeError as error:
        print(f"local.bytecode: {error}", file=sys.stderr)
        return 1
    missing = missing_bytecode(root)
    if missing:
        print(f"local.bytecode: {len(missing)} modules without bytecode, e.g. {missing[0]}", file=sys.stderr)
        return 1
    name, size = largest_deployment(root)
    if size > LAMBDA_UNZIPPED_LIMIT:
        print(
            f"local.bytecode: {name} and its layers take {size / 2**20:.0f} MiB unzipped, over Lambda's 250",
            file=sys.stderr,
        )
        return 1
    print(f"bytecode written; the largest function with its layers: {name}, {size / 2**20:.0f} MiB of 250 unzipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
