"""The bytecode a deployed function imports at a cold start, compiled at build time.

Lambda cannot write `__pycache__` (its code is read-only), and `sam build` ships sources only: a
function without bytecode compiles every module it imports (botocore, pydantic, Powertools, ours)
at each cold start, ~1.9 s for the citizen API on the bench machine against ~0.5 s with it
(bench/README.md). `make sam-build` therefore compiles the build directory after `sam build`
(`python -m local.bytecode build/sam`), with the interpreter version the template's functions run
(checked here), into unchecked-hash pycs: valid whatever the files' times after the zip's round
trip, and never compared with the sources (a deployed function's code does not change).
"""

from __future__ import annotations

import compileall
import importlib.util
import py_compile
import sys
from pathlib import Path

from local.loader import read_sam_template

MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
