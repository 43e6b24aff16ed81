"""The black-box suite: `python -m local` started as a separate process on a free port, its clock at
NOW (years ahead of the machine's), driven only over HTTP. One server for the whole session; its
clock only moves forward, so every test reads the clock and works relative to it.

Run it on its own: `pytest tests/blackbox` (tests/blackbox/pytest.ini makes this directory the
rootdir, so tests/conftest.py and its in-process embedded AWS are not loaded). Collected as part of
the main suite (`pytest tests`), its tests are skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from blackbox_support import SENT, Api

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# a Monday; 2030 is not in the bundled calendar (provisional: 1-3 October closed). Every test works
# relative to the clock, so another instant may be tried: HALLBOOK_BLACKBOX_NOW=2030-10-08T09:00+08:00
NOW = os.environ.get("HALLBOOK_BLACKBOX_NOW", "2030-09-30T09:00+08:00")
START_TIMEOUT = 180  # seconds: seeding the demo halls and releasing the window takes ~20 s on a quiet machine
# what the server process inherits; nothing of this process's AWS_* (a parent conftest may have set them)
PASSED_ON = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TEMP", "TMP", "TZ", "SYSTEMROOT", "USER")


def _standalone(config: pytest.Config) -> bool:
    return Path(str(config.rootpath)).resolve() == HERE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _standalone(config):
        return
    skip = pytest.mark.skip(reason="the black-box suite runs on its own: pytest tests/blackbox")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in PASSED_ON or k.startswith("LC_")}
    env.update(
        {
            "PYTHONPATH": f"{REPO / 'layers' / 'core'}{os.pathsep}{REPO}",
            "HALLBOOK_FAST_HASH": "1",  # argon2 at its cheapest (hallbook.services.credentials.hasher)
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start(log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port), "--now", NOW],
            cwd=REPO,
            env=_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return process, port


def _wait_until_up(process: subprocess.Popen, api: Api, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"python -m local exited with {process.returncode}:\n{_tail(log)}")
        try:
            if api.get("/v1/services", timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"python -m local did not answer within {START_TIMEOUT}s:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # SIGTERM: local mode stops like Ctrl-C
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    log = tmp_path_factory.mktemp("local") / "local.log"
    started = time.monotonic()
    for attempt in range(2):  # the free port may be taken between choosing it and the server binding it
        process, port = _start(log)
        api = Api(port)
        try:
            _wait_until_up(process, api, log)
            break
        except RuntimeError:
            _stop(process)
            if attempt or "Address already in use" not in _tail(log):
                raise
    Api.start_seconds = time.monotonic() - started
    Api.log_path = str(log)
    print(f"\nlocal mode on 127.0.0.1:{port}, log {log}", file=sys.stderr)
    try:
        yield api
    finally:
        _stop(process)
    _no_number_in_the_log(log)


def _no_number_in_the_log(log: Path) -> None:
    """No ID number or phone the suite sent is in the server's log whole (R1 and the contract: masked
    or pseudonymised in every log line, message id and metric; hallbook/keyed.py)."""
    leaked = SENT.in_log(log.read_text(errors="replace"))
    assert not leaked, (
        f"{len(leaked)} of the {len(SENT.numbers)} ID numbers and phones the suite sent are in the "
        f"server's log {log} whole: {leaked[:20]}"
    )


@pytest.fixture
def api(server: Api) -> Api:
    return server


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Where the time went: moving the local clock fires every schedule it passes (in the server)."""
    if Api.clock_moves:
        terminalreporter.write_line(
            f"black-box: {Api.clock_moves} clock moves took {Api.clock_seconds:.1f}s; server start "
            f"{Api.start_seconds:.1f}s"
        )


def pytest_configure(config: pytest.Config) -> None:
    """The SPEC's rule markers (R1-R23, R8a, R15a), as the main suite's pytest.ini names them."""
    for rule in [f"R{n}" for n in range(1, 24)] + ["R8a", "R15a"]:
        config.addinivalue_line("markers", f"{rule}: SPEC rule {rule}")
