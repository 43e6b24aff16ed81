"""The cold-start tests: each awaits a fresh interpreter's import of one function (probes.py). They need
no AWS (tests/conftest.py starts none for this directory) and are not unit tests: each probe is most of
a second of CPU in a process of its own, so they live here, beside tests/unit rather than in it."""

from __future__ import annotations

import pytest

from tests.startup import probes


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every probe started at once, to run beside the other tests (not under pytest-xdist: there each
    worker starts the probes its tests await)."""
    if not hasattr(session.config, "workerinput") and any(
        item.nodeid.startswith("tests/startup/") for item in session.items
    ):
        probes.start_all()


def pytest_unconfigure(config: pytest.Config) -> None:
    probes.stop_all()
