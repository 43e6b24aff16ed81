"""Importing a function's handler the way Lambda finds it (CodeUri + Handler)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from local.loader import REPO_ROOT

LambdaHandler = Callable[[dict[str, Any], Any], Any]
_import_lock = threading.Lock()  # gateway threads may ask for the same handler at once


def load_handler(code_uri: str | Path, handler: str) -> LambdaHandler:
    """The callable `handler` ("app.lambda_handler") of the code in `code_uri` (relative to the
    repository, or absolute). Code in the repository is imported by its dotted path from the
    repository root ("functions.citizen_api.app", so the repository must be on sys.path): the same
    module object a test gets by importing it, and no clash between the functions' app.py."""
    module_path, _, attribute = handler.rpartition(".")
    file = (REPO_ROOT / code_uri / Path(*module_path.split("."))).with_suffix(".py").resolve()
    with _import_lock:
        if file.is_relative_to(REPO_ROOT):
            module = importlib.import_module(".".join(file.relative_to(REPO_ROOT).with_suffix("").parts))
        else:  # code outside the repository (a test's throwaway handler)
            name = "lambda_" + "_".join(file.with_suffix("").parts[1:])
            module = sys.modules.get(name) or _import_file(name, file)
    return getattr(module, attribute)


def _import_file(module_name: str, file: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler module at {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
