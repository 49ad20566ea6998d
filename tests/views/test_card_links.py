"""The card and the trend view it links to, through the real app factory: the link is
`absolute` to the demo trend page in demo mode and `smart` to our own launch route when SMART
is configured, and the trend page's banner says what the hook's card says, for every patient."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds.config import Config
from cds.datasources.demo import DemoDataSource
from cds.demo import CohortPatient, load_cohort
from cds.views import demo_fhir
from cds.views.smart_fhir import patient_queries
from cds.web.app import config_from_env, create_app

HOOK = "/cds-services/lupus-nephritis"
PATIENT = "ln-demo-01"  # refractory


def _hook(prefetch: dict[str, Any] | None = None, patient_id: str = PATIENT) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "context": {"userId": "Practitioner/demo-nephrologist", "patientId": patient_id},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def _cohort_prefetch(patient_id: str) -> dict[str, Any]:
    """The service's prefetch for one cohort patient, as an EHR would send it."""
    source = DemoDataSource()
    prefetch: dict[str, Any] = {}
    for key, query in patient_queries(patient_id).items():
        status, body = demo_fhir.answer(source, query, base_url="https://ehr.example.org/fhir")
        assert status == 200, (key, body)
        prefetch[key] = body
    return prefetch


def test_in_demo_mode_the_card_links_absolute_to_the_patients_trend_page(tmp_path: Path) -> None:
    config = config_from_env(
        {"LNCDS_DEMO": "on", "LNCDS_AUTH": "off", "LNCDS_FEEDBACK_DB": str(tmp_path / "f.db")}
    )
    client = create_app(config).test_client()

    (card,) = client.post(HOOK, json=_hook()).get_json()["cards"]

    (link,) = card["links"]
    assert link["type"] == "absolute"
    assert link["url"] == f"http://localhost/demo/patients/{PATIENT}/trend"
    page = client.get(link["url"].removeprefix("http://localhost"))
    assert page.status_code == 200
    assert 'data-status="refractory"' in page.get_data(as_text=True)


def test_with_smart_configured_the_card_links_smart_to_our_launch_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LNCDS_SMART_CLIENT_ID", "ln-cds")
    config = Config(
        auth=False,
        smart_launch_url="https://lncds.example.org/smart/launch",
        fhir_allowed_servers=("https://ehr.example.org/fhir",),
        clock=lambda: datetime(2026, 11, 1, 12, tzinfo=UTC),
    )
    client = create_app(config).test_client()

    (card,) = client.post(HOOK, json=_hook(_cohort_prefetch(PATIENT))).get_json()["cards"]

    (link,) = card["links"]
    assert link["type"] == "smart"
    assert link["url"] == "https://lncds.example.org/smart/launch"
    assert "patient" not in link["url"]  # the patient comes from the launch context
    # our launch route is there (a refused iss is a 400 page, an unregistered route a 404)
    refused = client.get("/smart/launch", query_string={"iss": "https://x.example", "launch": "1"})
    assert refused.status_code == 400
    assert client.get("/demo").status_code == 404  # not demo mode: no demo link, no demo pages


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    db = tmp_path_factory.mktemp("feedback") / "f.db"
    config = config_from_env(
        {"LNCDS_DEMO": "on", "LNCDS_AUTH": "off", "LNCDS_FEEDBACK_DB": str(db)}
    )
    return create_app(config).test_client()


@pytest.mark.parametrize("patient", load_cohort(), ids=lambda p: p.id)
def test_the_trend_banner_says_exactly_what_the_hooks_card_says(
    demo_client: FlaskClient, patient: CohortPatient
) -> None:
    cards = demo_client.post(HOOK, json=_hook(patient_id=patient.id)).get_json()["cards"]
    html = demo_client.get(f"/demo/patients/{patient.id}/trend").get_data(as_text=True)

    banner = re.search(r'data-testid="banner-summary">(.*?)</p>', html, re.S)
    indicator = re.search(r'class="banner banner--(\w+)"', html)
    assert banner is not None
    assert indicator is not None
    if not cards:  # not-applicable, kidney failure: a plain sentence in the quietest style
        assert indicator.group(1) == "info"
        return
    (card,) = cards
    assert unescape(banner.group(1)) == card["summary"]
    assert indicator.group(1) == card["indicator"]
