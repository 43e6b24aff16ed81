"""Modules imported on first use rather than at a handler's import (cold start). A route that
never signs a token, hashes a password, parses a phone number or ID number or draws a confirmation
(the catalog, availability: what the noon rush polls) never pays for PyJWT (+ cryptography), argon2,
phonenumbers, python-stdnum, segno or icalendar; nor, in a function serving many routes, for the
services, stores and rules of routes it is not asked for. Environments that Lambda initialises ahead
of time (provisioned concurrency) import them all during init: see `warm`."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

LAZY_MODULES = ("jwt", "argon2", "argon2.exceptions", "phonenumbers", "stdnum.cn.ric", "segno", "icalendar")
# every module a `lazy` of this process stands for (a route module's services): `warm` imports them too
_named: dict[str, None] = {}


class LazyModule:
    """Stands for a module; the first attribute read imports it."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)


def lazy(name: str) -> Any:
    _named[name] = None
    return LazyModule(name)


def warm() -> None:
    """Import every lazy module now (an environment initialised before its first request)."""
    for name in (*LAZY_MODULES, *_named):
        importlib.import_module(name)
