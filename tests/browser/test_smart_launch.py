"""SMART EHR launch of the trend view in a real browser: our app (the service's `create_app`,
served by werkzeug on loopback) → a real Authlib authorization server → a FHIR server.

Two FHIR back-ends: the stand-in EHR's in-memory FHIR endpoint (always), and a real HAPI FHIR
server with the cohort loaded by `ln-cds load-demo`, behind the stand-in's token check.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cds.config import Config
from cds.demo import load_cohort
from cds.views.smart import DEFAULT_SCOPE
from cds.web.app import create_app
from tests.browser.conftest import SIDE_PANEL, WatchedPage, save_screenshot
from tests.browser.oauth_server import RunningEhr, running_ehr
from tests.browser.wsgi_server import serve_wsgi

pytestmark = pytest.mark.browser

CLIENT_ID = "ln-cds-browser-test"
PATIENT = "ln-demo-06"  # complete response
AS_OF_NOON = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)  # the cohort's as-of date


@pytest.fixture
def smart_app(ehr_for_test: RunningEhr, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real app factory, SMART configured for the stand-in EHR, on a loopback port."""
    monkeypatch.setenv("LNCDS_SMART_CLIENT_ID", CLIENT_ID)
    config = Config(
        auth=False,
        fhir_allowed_servers=(ehr_for_test.fhir_base,),
        fhir_allow_http=True,
        clock=lambda: AS_OF_NOON,
    )
    with serve_wsgi(create_app(config)) as base:
        ehr_for_test.register_client(CLIENT_ID, f"{base}/smart/callback", DEFAULT_SCOPE)
        yield base


@pytest.fixture(params=["memory", pytest.param("hapi", marks=pytest.mark.hapi)])
def ehr_for_test(request: pytest.FixtureRequest) -> Iterator[RunningEhr]:
    if request.param == "hapi":
        upstream = request.getfixturevalue("hapi_with_cohort")
        with running_ehr(upstream_fhir=upstream) as ehr:
            yield ehr
        return
    with running_ehr() as ehr:
        patient = next(p for p in load_cohort() if p.id == PATIENT)
        ehr.add_resources(patient.resources())
        yield ehr


def test_smart_launch_completes_and_shows_the_launch_patients_trend(
    watched: WatchedPage, smart_app: str, ehr_for_test: RunningEhr
) -> None:
    page = watched.page
    page.set_viewport_size(SIDE_PANEL)
    launch = ehr_for_test.new_launch(PATIENT)

    page.goto(f"{smart_app}/smart/launch?iss={ehr_for_test.fhir_base}&launch={launch}")

    page.wait_for_url(f"{smart_app}/smart/trend")
    page.wait_for_selector("html[data-trend-ready=true]", state="attached")
    assert page.locator(".banner").get_attribute("data-status") == "complete-response"
    assert page.locator(".patient__name").inner_text() == "Fay Demo-Complete Testpatient"
    points = page.evaluate(
        "Chart.getChart(document.getElementById('chart-proteinuria')).data.datasets[0].data.length"
    )
    assert points == 6
    authorize = [e for e in ehr_for_test.log if e["path"] == "/auth/authorize"]
    assert authorize[0]["args"]["code_challenge_method"] == "S256"
    fhir = [e for e in ehr_for_test.log if e["path"].startswith("/fhir/") and "bearer" in e]
    assert fhir
    assert all(e["bearer"] for e in fhir)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["lncds_view_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    (token,) = ehr_for_test.state.tokens
    assert token not in page.content()
    if ehr_for_test.state.upstream:
        save_screenshot(page, "smart-launch-hapi-trend-side-panel", until="#milestones-title")
