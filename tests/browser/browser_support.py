"""The browser suite's tools: a watched page (script errors, requests leaving local mode), the
screenshots under build/screenshots/ and the axe-core check."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


class Watched:
    """A page whose requests outside local mode and whose script errors are recorded."""

    def __init__(self, page, base_url: str):
        self.page, self.errors, self.outside = page, [], []
        self.statuses: list[tuple[str, int]] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", lambda response: self.statuses.append((response.url, response.status)))
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((base_url, "data:", "blob:", "about:"))
                else self.outside.append(request.url)
            ),
        )


def resize(page, viewport: dict) -> None:
    """The viewport at `viewport`, once the page lays out at its width (polled each frame, 5 s at most)."""
    page.set_viewport_size(viewport)
    page.wait_for_function("width => window.innerWidth === width", arg=viewport["width"], polling="raf", timeout=5000)


def screenshot(page, name: str) -> None:
    """build/screenshots/<name>-phone.png and <name>-desktop.png of the page as it is now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.evaluate("window.scrollTo(0, 0)")
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        resize(page, viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"))
    page.set_viewport_size(size)


AXE_COUNTS: dict[str, dict[str, int]] = {}


def axe_check(page, name: str) -> list[dict]:
    """axe-core (bundled by axe-playwright-python) on the page: the serious and critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    counts: dict[str, int] = {}
    for violation in results["violations"]:
        counts[violation.get("impact") or "unknown"] = counts.get(violation.get("impact") or "unknown", 0) + 1
    AXE_COUNTS[name] = counts
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def reflows(page, width: int = 320) -> bool:
    """WCAG 1.4.10: at 320 CSS px (a 1280 px window at 400 %, a phone at 200 %) nothing scrolls sideways."""
    size = page.viewport_size
    resize(page, {"width": width, "height": 640})
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size(size)
    return fits
