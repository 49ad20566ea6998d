"""The trend view in headless Chromium: one chart point per value, the card's banner, text
alternatives, keyboard access, no horizontal scrolling in a ~350 px side panel, clean print."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page

from cds.demo import DEMO_AS_OF, load_cohort
from fhir_mapping.extract import build_record
from fhir_mapping.record import Series
from tests.browser.conftest import DESKTOP, SIDE_PANEL, WatchedPage, save_screenshot

pytestmark = pytest.mark.browser

REPRESENTATIVE = ("ln-demo-09", "ln-demo-06", "ln-demo-01")  # flare, complete, refractory
COHORT = {p.id: p for p in load_cohort()}


def open_trend(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-trend-ready=true]", state="attached")


def chart_points(page: Page, canvas_id: str) -> int:
    count: int = page.evaluate(
        f"Chart.getChart(document.getElementById('{canvas_id}')).data.datasets[0].data.length"
    )
    return count


@pytest.mark.parametrize("patient_id", REPRESENTATIVE)
def test_trend_chart_has_one_point_per_value_and_the_status_banner(
    watched: WatchedPage, demo_server: str, patient_id: str
) -> None:
    page = watched.page
    page.set_viewport_size(SIDE_PANEL)
    open_trend(page, f"{demo_server}/demo/patients/{patient_id}/trend")
    record = build_record(COHORT[patient_id].resources(), as_of=DEMO_AS_OF, patient_id=patient_id)

    assert chart_points(page, "chart-proteinuria") == len(record.series(Series.PROTEINURIA))
    assert chart_points(page, "chart-egfr") == len(record.egfr)
    banner = page.locator(".banner")
    assert banner.get_attribute("data-status") == str(COHORT[patient_id].expected_status)
    assert banner.locator("[data-testid=banner-summary]").inner_text().startswith("Lupus nephritis")
    save_screenshot(page, f"{patient_id}-trend-side-panel", until="#milestones-title")
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(300)
    save_screenshot(page, f"{patient_id}-trend-desktop", until="#milestones-title")


@pytest.mark.parametrize("patient_id", ["ln-demo-10", *REPRESENTATIVE])
def test_side_panel_width_needs_no_horizontal_scrolling(
    watched: WatchedPage, demo_server: str, patient_id: str
) -> None:
    page = watched.page
    page.set_viewport_size({"width": 350, "height": 800})
    open_trend(page, f"{demo_server}/demo/patients/{patient_id}/trend")
    assert page.evaluate("document.documentElement.scrollWidth") <= 350
    box = page.locator("#chart-proteinuria").bounding_box()
    assert box is not None
    assert box["width"] >= 300
    overflowing = page.evaluate(
        "[...document.querySelectorAll('.facts__item, .banner, .patient')]"
        ".filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent.trim())"
    )
    assert overflowing == []  # e.g. "93.1 mL/min/1.73 m²" must wrap, not spill out of its box


def test_charts_have_text_alternatives_and_a_table_of_every_value(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-09/trend")
    for canvas in page.locator("canvas").all():
        assert canvas.get_attribute("role") == "img"
        assert (canvas.get_attribute("aria-label") or "").strip()
        described = canvas.get_attribute("aria-describedby")
        assert described
        assert page.locator(f"#{described}").inner_text().strip()
    rows = page.locator("#values-table tbody tr")
    p_rows = rows.filter(has_text="Proteinuria")
    assert p_rows.count() == chart_points(page, "chart-proteinuria")


def test_trend_controls_are_reachable_with_the_keyboard(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-09/trend")
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim().slice(0, 30)"))
    assert "Skip to content" in reached
    assert "Print" in reached
    assert any(r.startswith("Criteria applied") for r in reached)


def test_print_hides_controls_and_keeps_banner_charts_and_table(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-09/trend")
    page.emulate_media(media="print")
    assert not page.locator("[data-action=print]").is_visible()
    assert page.locator(".banner").is_visible()
    assert page.locator("#chart-proteinuria").is_visible()
    assert page.locator("#values-table").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")


def test_date_ticks_name_the_year_never_a_two_digit_one(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    page.set_viewport_size(SIDE_PANEL)
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-09/trend")  # spans 2025 to 2026
    for canvas_id in ("chart-proteinuria", "chart-secondary"):
        labels: list[str] = page.evaluate(
            f"Chart.getChart(document.getElementById('{canvas_id}'))"
            ".scales.x.ticks.map(t => t.label)"
        )
        assert re.fullmatch(r"[A-Z][a-z]{2} 20\d\d", labels[0])
        assert any(label.endswith(" 2026") for label in labels[1:])  # where the year changes
        assert not [label for label in labels if re.fullmatch(r"[A-Z][a-z]{2} \d\d", label)]


def test_threshold_labels_get_their_margin_when_the_panel_is_widened(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    page.set_viewport_size(SIDE_PANEL)
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-09/trend")
    margin = (
        "(() => { const c = Chart.getChart(document.getElementById('chart-proteinuria'));"
        " return c.width - c.chartArea.right; })()"
    )
    assert page.evaluate(margin) < 20  # side panel: labels are in the legend only

    page.set_viewport_size(DESKTOP)
    # Polled from here: `wait_for_function` re-evaluates a string with eval, which the view's
    # Content-Security-Policy (no 'unsafe-eval') refuses once polling goes past the first try.
    deadline = time.monotonic() + 10
    while page.evaluate(margin) < 50:
        assert time.monotonic() < deadline, "threshold labels got no margin on a wide panel"
        page.wait_for_timeout(50)


def test_enter_and_space_work_the_trend_views_controls(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-09/trend")
    # a stub, so no print dialog; an IIFE, since Playwright calls an expression that is a function
    page.evaluate(
        "(() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; })()"
    )

    focused = ""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        if focused == "Print":
            break
    assert focused == "Print"
    page.keyboard.press("Enter")
    assert page.evaluate("window.__printed") == 1
    page.keyboard.press("Space")
    assert page.evaluate("window.__printed") == 2

    criteria = page.locator("details", has=page.locator("summary", has_text="Criteria applied"))
    assert criteria.get_attribute("open") is None
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("Criteria applied"):
            break
    page.keyboard.press("Enter")
    assert criteria.get_attribute("open") == ""
    page.keyboard.press("Space")
    assert criteria.get_attribute("open") is None


def test_the_trend_view_loads_everything_from_our_own_origin(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    open_trend(page, f"{demo_server}/demo/patients/ln-demo-01/trend")
    page.wait_for_load_state("networkidle")

    assert f"{demo_server}/views/static/vendor/chartjs/chart.umd.min.js" in urls
    assert [u for u in urls if not u.startswith(f"{demo_server}/")] == []  # no CDN, no network
