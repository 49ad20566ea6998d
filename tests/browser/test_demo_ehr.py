"""The demo EHR in headless Chromium: the hook fires like an EHR's, cards render like the
CDS Hooks Sandbox renders them, and each control can be reached and used from the keyboard."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Request

from cds.demo import CohortPatient, load_cohort
from tests.browser.conftest import DESKTOP, WatchedPage, save_screenshot

pytestmark = pytest.mark.browser

COHORT = load_cohort()
NO_CARD = {"not-applicable", "kidney-failure"}


def expected_indicator(patient: CohortPatient) -> str | None:
    """CDS Hooks: `critical` only for what needs action now (a confirmed flare)."""
    status = str(patient.expected_status)
    if status in NO_CARD:
        return None
    if status == "flare":
        assert patient.expected_flare is not None
        return "critical" if patient.expected_flare.confirmed else "warning"
    if status in {"refractory", "no-response", "possible-ln"}:
        return "warning"
    return "info"


def open_chart(page: Page, base_url: str, patient_id: str) -> None:
    page.goto(f"{base_url}/demo/patients/{patient_id}")
    page.wait_for_selector("html[data-hook-done]", state="attached")


@pytest.mark.parametrize("patient", COHORT, ids=lambda p: p.id)
def test_each_cohort_patients_card_renders_with_the_right_indicator(
    watched: WatchedPage, demo_server: str, patient: CohortPatient
) -> None:
    page = watched.page
    hook_calls: list[Request] = []
    page.on(
        "request",
        lambda r: (
            hook_calls.append(r)
            if r.method == "POST" and r.url.endswith("/cds-services/lupus-nephritis")
            else None
        ),
    )
    open_chart(page, demo_server, patient.id)

    cards = page.locator("article.cds-card")
    indicator = expected_indicator(patient)
    if indicator is None:
        assert cards.count() == 0
        assert page.locator("#hook-status").inner_text().startswith("0 cards")
    else:
        assert cards.count() == 1
        assert cards.first.get_attribute("data-indicator") == indicator
        assert cards.first.locator(".cds-card__badge").inner_text().lower() == indicator
    (call,) = hook_calls
    body = json.loads(call.post_data or "{}")
    assert body["hook"] == "patient-view"
    assert body["context"]["patientId"] == patient.id
    assert body["fhirServer"] == f"{demo_server}/demo/fhir"
    assert len(body["hookInstance"]) == 36
    assert body["prefetch"]["patient"]["id"] == patient.id  # resolved against /demo/fhir


def test_card_detail_markdown_is_rendered_as_html(watched: WatchedPage, demo_server: str) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-09")
    detail = page.locator(".cds-card__detail")
    detail.locator("table").first.wait_for()
    assert detail.locator("strong").count() > 0
    assert "**" not in detail.inner_text()


def test_card_link_opens_the_trend_view_with_the_same_summary(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-09")
    summary = page.locator(".cds-card__summary").inner_text()
    link = page.locator(".cds-card__links a").first
    assert link.get_attribute("data-link-type") == "absolute"
    with page.context.expect_page() as popup_info:
        link.click()
    trend = popup_info.value
    trend.wait_for_load_state()
    assert trend.url == f"{demo_server}/demo/patients/ln-demo-09/trend"
    trend.wait_for_selector("html[data-trend-ready=true]", state="attached")
    assert trend.locator("[data-testid=banner-summary]").inner_text() == summary
    assert trend.locator(".banner").get_attribute("data-indicator") == "critical"


def test_dismiss_with_an_override_reason_posts_feedback(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-04")
    card = page.locator("article.cds-card").first
    card.get_by_label("Reason").select_option(index=2)
    chosen = card.get_by_label("Reason").evaluate("s => s.options[s.selectedIndex].text")
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as sent:
        card.get_by_role("button", name="Dismiss card").click()
    feedback = json.loads(sent.value.post_data or "{}")["feedback"][0]
    assert feedback["card"] == card.get_attribute("data-card-uuid")
    assert feedback["outcome"] == "overridden"
    assert feedback["overrideReason"]["reason"]["display"] == chosen
    assert set(feedback["overrideReason"]["reason"]) == {"system", "code", "display"}
    assert feedback["outcomeTimestamp"].endswith("Z")
    page.wait_for_selector("article.cds-card[data-state=dismissed]")
    assert "Dismissed" in card.locator(".cds-card__feedback").inner_text()


def test_accepting_a_suggestion_posts_feedback_naming_it(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-09")
    card = page.locator("article.cds-card").first
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as sent:
        card.locator(".cds-card__suggestions button").first.click()
    feedback = json.loads(sent.value.post_data or "{}")["feedback"][0]
    assert feedback["outcome"] == "accepted"
    assert len(feedback["acceptedSuggestions"]) == 1
    assert len(feedback["acceptedSuggestions"][0]["id"]) == 36
    page.wait_for_selector(".cds-card__feedback:has-text('Accepted')")


def test_every_card_control_is_reachable_with_the_keyboard(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-09")
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "(() => { const e = document.activeElement;"
                " return e.tagName + ':' + (e.getAttribute('aria-label') || e.textContent || '')"
                ".trim().slice(0, 60); })()"
            )
        )
    joined = "\n".join(reached)
    assert "BUTTON:Fire the hook again" in joined
    assert "BUTTON:Accept: Order urine protein" in joined
    assert "A:Proteinuria and kidney function trend" in joined
    assert "DIV:Evidence table" in joined  # scrollable detail tables are labelled regions
    assert "SELECT:" in joined
    assert "BUTTON:Dismiss card:" in joined


def test_patient_list_then_chart_screenshots(watched: WatchedPage, demo_server: str) -> None:
    page = watched.page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{demo_server}/demo")
    assert page.locator("[data-testid=patient-list] a").count() == len(COHORT)
    save_screenshot(page, "demo-patient-list", until="[data-testid=patient-list] li:nth-child(6)")
    for patient_id in ("ln-demo-09", "ln-demo-06", "ln-demo-01"):
        open_chart(page, demo_server, patient_id)
        page.locator(".cds-card__detail p").first.wait_for()
        save_screenshot(page, f"{patient_id}-demo-ehr-card", until=".cds-card__dismiss")
