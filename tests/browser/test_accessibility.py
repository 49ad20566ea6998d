"""Automated accessibility check of every page kind with axe-core (WCAG 2.1 A/AA rules and
axe's best practices), at side-panel and desktop width. axe-core is vendored for the test
(tests/browser/vendor/axe-core/README.md) and evaluated in the page: no network, and the
app never serves it. Automated rules catch only part of WCAG; the keyboard and text-alternative
tests in test_trend_view.py and test_demo_ehr.py cover what they cannot."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, SIDE_PANEL, WatchedPage

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core"
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

PAGES = [
    ("/demo", "[data-testid=patient-list]"),
    ("/demo/patients/ln-demo-09", "html[data-hook-done]"),  # confirmed flare: critical card
    ("/demo/patients/ln-demo-01", "html[data-hook-done]"),  # refractory: warning card
    ("/demo/patients/ln-demo-09/trend", "html[data-trend-ready=true]"),
    ("/demo/patients/ln-demo-06/trend", "html[data-trend-ready=true]"),
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    readme = (AXE / "README.md").read_text("utf-8")
    recorded = re.findall(r"`([0-9a-f]{64})`", readme)[0]
    source = (AXE / "axe.min.js").read_bytes()
    assert hashlib.sha256(source).hexdigest() == recorded, "axe.min.js differs from its README"
    return source.decode("utf-8")


def _violations(page: Any, axe_source: str) -> list[str]:
    page.evaluate(axe_source)
    found: list[dict[str, Any]] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))",
        RULE_TAGS,
    )
    return [f"{v['impact']} {v['id']}: {', '.join(v['nodes'][:5])}" for v in found]


@pytest.mark.parametrize("width", [SIDE_PANEL, DESKTOP], ids=["side-panel", "desktop"])
@pytest.mark.parametrize("page_and_ready", PAGES, ids=[p for p, _ in PAGES])
def test_page_has_no_axe_violations(
    watched: WatchedPage,
    demo_server: str,
    axe_source: str,
    page_and_ready: tuple[str, str],
    width: dict[str, int],
) -> None:
    path, ready = page_and_ready
    page = watched.page
    page.set_viewport_size(width)
    page.goto(demo_server + path)
    page.wait_for_selector(ready, state="attached")
    if "/demo/patients/" in path and not path.endswith("/trend"):
        page.locator(".cds-card__detail p").first.wait_for()  # the rendered markdown too

    assert _violations(page, axe_source) == []
