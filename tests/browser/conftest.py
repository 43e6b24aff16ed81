"""The browser suite: the three pages (SPEC "Pages") in Debian's headless Chromium, driven by
Playwright for Python, against `python -m local` started as a separate process - the black-box
suite's server start (tests/blackbox/conftest.py) and HTTP client (blackbox_support.py), reused.

One server, one browser and two pages (a phone-sized citizen page, a desktop-sized console and board)
for the whole session; the tests run in file order and the clock only moves forward. Screenshots of
each page at phone (390x844) and desktop (1366x900) size go to build/screenshots/.

Collected as part of the main suite (`pytest tests`), its tests are skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BLACKBOX = REPO / "tests" / "blackbox"
sys.path.insert(0, str(BLACKBOX))
sys.path.insert(0, str(HERE))
from blackbox_support import Api  # noqa: E402
from browser_support import AXE_COUNTS, DESKTOP, PHONE, Watched  # noqa: E402

CHROMIUM = os.environ.get("HALLBOOK_CHROMIUM", "/usr/bin/chromium")
# a Thursday night: tomorrow (Friday) is bookable, and the check-in test moves the clock to it without
# passing a noon release or the reminders (a cheap move); the citizen test books a later day, whose
# cut-off is still ahead
NOW = os.environ.get("HALLBOOK_BROWSER_NOW", "2030-09-26T23:30+08:00")


def _standalone(config: pytest.Config) -> bool:
    return Path(str(config.rootpath)).resolve() == HERE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _standalone(config):
        return
    skip = pytest.mark.skip(reason="the browser suite runs on its own: pytest tests/browser")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


def _blackbox_server():
    spec = importlib.util.spec_from_file_location("blackbox_server", BLACKBOX / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.NOW = NOW
    return module


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    bb = _blackbox_server()
    log = tmp_path_factory.mktemp("local") / "local.log"
    for attempt in range(2):  # the free port may be taken between choosing and binding it
        process, port = bb._start(log)
        api = Api(port)
        try:
            bb._wait_until_up(process, api, log)
            break
        except RuntimeError:
            bb._stop(process)
            if attempt or "Address already in use" not in bb._tail(log):
                raise
    print(f"\nlocal mode on 127.0.0.1:{port}, log {log}", file=sys.stderr)
    try:
        yield api
    finally:
        _stop(process)


def _stop(process) -> None:
    """Nothing of the server's state is kept: SIGTERM, and SIGKILL a second later."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=1)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def base_url(server: Api) -> str:
    return f"http://{server.host}:{server.port}"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def phone(browser, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


@pytest.fixture(scope="session")
def desktop(browser, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


@pytest.fixture(scope="session")
def board(browser, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for name, counts in AXE_COUNTS.items():
        terminalreporter.write_line(
            f"axe {name}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no violations")
        )


def pytest_configure(config: pytest.Config) -> None:
    """The SPEC's rule markers (R1-R23, R8a, R15a), as the main suite's pytest.ini names them."""
    for rule in [f"R{n}" for n in range(1, 24)] + ["R8a", "R15a"]:
        config.addinivalue_line("markers", f"{rule}: SPEC rule {rule}")
