"""Browser-test fixtures: headless Chromium from Debian driven by Playwright, and live servers.

Chromium is Debian's `/usr/bin/chromium` (never a Playwright-downloaded build), started with a
fresh user-data-dir and the flags below. Without it the tests skip, except in CI (`CI=true`)
where they fail: a silent skip there would hide untested pages.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.gunicorn_server import gunicorn_server
from tests.hapi_server import RunningHapi

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
SIDE_PANEL = {"width": 360, "height": 900}
DESKTOP = {"width": 1100, "height": 900}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not installed (run scripts/install-test-deps)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true: browser tests must run")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_context() -> Iterator[BrowserContext]:
    """One Chromium with a fresh profile for the whole session (pages are per test)."""
    _require_chromium()
    with tempfile.TemporaryDirectory(prefix="lncds-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=DESKTOP,
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class WatchedPage:
    """A page plus every console error and uncaught exception it produced."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"console: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page


@pytest.fixture
def watched(browser_context: BrowserContext) -> Iterator[WatchedPage]:
    """A fresh page; the test fails if the page logged a console error."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    watched = WatchedPage(page)
    watched.watch(page)
    browser_context.on("page", watched.watch)
    try:
        yield watched
        assert watched.errors == []
    finally:
        browser_context.remove_listener("page", watched.watch)
        for open_page in browser_context.pages:
            open_page.close()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production command (gunicorn, Dockerfile CMD) in demo mode, auth off; dismissed
    cards' feedback goes to a throw-away SQLite file, not to the checkout."""
    _require_chromium()
    feedback_db = tmp_path_factory.mktemp("demo-feedback") / "feedback.sqlite3"
    env = {
        "LNCDS_DEMO": "on",
        "LNCDS_AUTH": "off",
        "LNCDS_LOG_LEVEL": "WARNING",
        "LNCDS_FEEDBACK_DB": str(feedback_db),
    }
    with gunicorn_server(env) as base_url:
        yield base_url


def save_screenshot(page: Page, name: str, *, until: str | None = None) -> Path:
    """A PNG of the page for reviewers, at the page's current width.

    The viewport is grown to the content (instead of Playwright's full-page mode, whose
    temporary resize makes Chart.js redraw mid-capture), then restored.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or DESKTOP
    if until is not None:
        box = page.locator(until).first.bounding_box()
        height = int(box["y"] + box["height"] + 16) if box else size["height"]
    else:
        height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": max(height, 200)})
    page.wait_for_timeout(300)  # charts re-render on resize
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": size["width"], "height": height})
    page.set_viewport_size(size)
    return path


@pytest.fixture(scope="session")
def hapi_with_cohort(request: pytest.FixtureRequest) -> str:
    """The session's HAPI FHIR server with the demo cohort loaded by `ln-cds load-demo`.

    It is `tests/conftest.py`'s `hapi_cohort`: one HAPI per pytest session, shared with the
    HAPI integration tests. Chromium is checked first, so a machine without it skips (or, in
    CI, fails) before paying for a HAPI start.
    """
    _require_chromium()
    cohort: RunningHapi = request.getfixturevalue("hapi_cohort")
    return cohort.base_url
