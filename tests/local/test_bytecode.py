"""local/bytecode.py: what make sam-build adds to `sam build`'s output so that a deployed function
imports bytecode instead of compiling every module at each cold start (Lambda cannot write
__pycache__). Oracles from outside the module: PEP 552's header flags, and a fresh interpreter that
imports the tree with bytecode writing off, as Lambda does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from local import bytecode


def _value_imported(root: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", f"import sys; sys.path.insert(0, {str(root)!r}); import a; print(a.VALUE)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_every_module_gets_an_unchecked_hash_pyc(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "a.py").write_text("VALUE = 'first'\n")
    (tmp_path / "pkg" / "__init__.py").write_text("")
    bytecode.compile_tree(tmp_path)
    assert bytecode.missing_bytecode(tmp_path) == []
    pyc = next((tmp_path / "__pycache__").glob("a.cpython-*.pyc"))
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01  # PEP 552: hash-based, source never checked
    (tmp_path / "b.py").write_text("")
    assert bytecode.missing_bytecode(tmp_path) == [tmp_path / "b.py"]


def test_the_pyc_is_what_runs_and_a_rebuild_always_recompiles(tmp_path):
    (tmp_path / "a.py").write_text("VALUE = 'first'\n")
    bytecode.compile_tree(tmp_path)
    (tmp_path / "a.py").write_text("VALUE = 'second'\n")
    assert _value_imported(tmp_path) == "first"  # unchecked: the source is not even looked at
    bytecode.compile_tree(tmp_path)  # a build reusing its directory: never an older source's pyc
    assert _value_imported(tmp_path) == "second"


def test_a_module_that_does_not_compile_fails_the_build(tmp_path):
    (tmp_path / "broken.py").write_text("def (:\n")
    with pytest.raises(bytecode.BytecodeError):
        bytecode.compile_tree(tmp_path)
    assert bytecode.main([str(tmp_path)]) == 1


def test_bytecode_is_compiled_by_the_templates_runtime():
    assert bytecode.template_runtime() == "python3.11"  # template.yaml, Globals.Function.Runtime
    bytecode.check_interpreter(f"python{sys.version_info.major}.{sys.version_info.minor}")
    with pytest.raises(bytecode.BytecodeError, match="must be compiled by python3.99"):
        bytecode.check_interpreter("python3.99")


def test_the_build_fails_when_a_function_and_its_layers_exceed_lambdas_unzipped_limit(tmp_path, monkeypatch):
    (tmp_path / "CoreLayer" / "python").mkdir(parents=True)
    (tmp_path / "CoreLayer" / "python" / "m.py").write_text("X = 1\n" * 1000)
    (tmp_path / "SmallFunction").mkdir()
    (tmp_path / "SmallFunction" / "app.py").write_text("")
    (tmp_path / "BigFunction").mkdir()
    (tmp_path / "BigFunction" / "app.py").write_text("Y = 2\n" * 500)
    assert bytecode.largest_deployment(tmp_path) == ("BigFunction", 6000 + 3000)  # the layer's and its own sources
    assert bytecode.main([str(tmp_path)]) == 0
    assert bytecode.largest_deployment(tmp_path)[1] > 6000 + 3000  # and now their pycs
    monkeypatch.setattr(bytecode, "LAMBDA_UNZIPPED_LIMIT", bytecode.largest_deployment(tmp_path)[1] - 1)
    assert bytecode.main([str(tmp_path)]) == 1
