"""The demo EHR in headless Chromium: the hook fires like an EHR's, cards render like the
CDS Hooks Sandbox renders them, and each control can be reached and used from the keyboard."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jwt
import pytest
from playwright.sync_api import Page, Request

from cds.demo import CohortPatient, load_cohort
from cds.web.app import config_from_env, create_app
from tests.browser.conftest import DESKTOP, WatchedPage, _require_chromium, save_screenshot
from tests.browser.wsgi_server import serve_wsgi
from tests.infra import free_port

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


@pytest.fixture(scope="module")
def signed_demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app in demo mode with hook authentication ON, on a loopback port, trusting the
    demo EHR as an operator would: by its issuer and `jku` in the trusted-issuers file. The
    verifier fetches the demo EHR's JWK Set over HTTP from the same server."""
    _require_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run_dir = tmp_path_factory.mktemp("signed-demo")
    issuers = run_dir / "issuers.json"
    issuers.write_text(
        json.dumps({f"{base}/demo/ehr": {"jku": [f"{base}/demo/ehr/jwks.json"]}}), "utf-8"
    )
    config = config_from_env(
        {
            "LNCDS_DEMO": "on",
            "LNCDS_AUTH": "on",
            "LNCDS_PUBLIC_URL": base,
            "LNCDS_TRUSTED_ISSUERS_FILE": str(issuers),
            "LNCDS_FEEDBACK_DB": str(run_dir / "feedback.sqlite3"),
        }
    )
    with serve_wsgi(create_app(config), port=port):
        yield base


def test_with_auth_on_the_demo_ehr_signs_the_hook_and_feedback_like_an_ehr(
    watched: WatchedPage, signed_demo_server: str
) -> None:
    page = watched.page
    calls: list[Request] = []
    page.on("request", lambda r: calls.append(r) if "/cds-services/" in r.url else None)
    open_chart(page, signed_demo_server, "ln-demo-01")

    card = page.locator("article.cds-card")
    assert card.count() == 1
    assert card.first.get_attribute("data-indicator") == "warning"
    assert page.locator("#hook-status").inner_text().endswith("(signed call)")
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as answered:
        card.first.get_by_role("button", name="Dismiss card").click()
    assert answered.value.status == 200
    page.wait_for_selector("article.cds-card[data-state=dismissed]")

    hook_call, feedback_call = (r for r in calls if r.method == "POST")
    for call, path in (
        (hook_call, "/cds-services/lupus-nephritis"),
        (feedback_call, "/cds-services/lupus-nephritis/feedback"),
    ):
        scheme, token = (call.headers.get("authorization") or "").split(" ")
        assert scheme == "Bearer"
        assert jwt.get_unverified_header(token)["alg"] == "ES384"
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iss"] == f"{signed_demo_server}/demo/ehr"
        assert claims["aud"] == signed_demo_server + path


def tab_to(page: Page, name: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element, as `TAG:accessible text`, starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement; return e.tagName + ':' +"
            " (e.getAttribute('aria-label') || e.textContent || '').trim(); })()"
        )
        if focused.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_space_accepts_a_suggestion_and_enter_dismisses_the_card(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-09")
    page.locator(".cds-card__detail p").first.wait_for()

    tab_to(page, "BUTTON:Accept: ")
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as accepted:
        page.keyboard.press("Space")
    assert json.loads(accepted.value.post_data or "{}")["feedback"][0]["outcome"] == "accepted"

    tab_to(page, "SELECT:")  # the override reason: picked with the arrow keys
    page.keyboard.press("ArrowDown")
    tab_to(page, "BUTTON:Dismiss card")
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as dismissed:
        page.keyboard.press("Enter")
    feedback = json.loads(dismissed.value.post_data or "{}")["feedback"][0]
    assert feedback["outcome"] == "overridden"
    assert "overrideReason" in feedback


def test_enter_on_the_cards_link_opens_the_trend_view(
    watched: WatchedPage, demo_server: str
) -> None:
    page = watched.page
    open_chart(page, demo_server, "ln-demo-01")
    page.locator(".cds-card__detail p").first.wait_for()
    tab_to(page, "A:Proteinuria and kidney function trend")
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    trend = opened.value
    trend.wait_for_selector("html[data-trend-ready=true]", state="attached")
    assert trend.url.endswith("/demo/patients/ln-demo-01/trend")
