"""The demo routes: patient list, demo EHR page, trend view, FHIR facade, markdown endpoint.

Run on a bare Flask app with the real `DemoDataSource` and the real mapping → rules path,
so the trend page of each cohort patient shows what the hook's card says.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import StrictUndefined

from cds.cards import indicator_for
from cds.demo import DEMO_AS_OF, load_cohort
from cds.views import demo_backend
from cds.views.blueprint import CSP, create_views_blueprint
from cds.views.settings import ViewsSettings

COHORT = load_cohort()


@pytest.fixture(scope="module")
def demo_app() -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.jinja_env.undefined = StrictUndefined  # a template typo fails the test, not the page
    app.register_blueprint(
        create_views_blueprint(ViewsSettings(demo=True), demo=demo_backend(hook_auth=False))
    )
    return app


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


def _trend_json(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="trend-data">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_the_patient_list_links_every_cohort_patient(client: FlaskClient) -> None:
    html = client.get("/demo").get_data(as_text=True)
    for patient in COHORT:
        assert f'href="/demo/patients/{patient.id}"' in html
        assert patient.name in html


@pytest.mark.parametrize("patient", COHORT, ids=lambda p: p.id)
def test_each_cohort_patients_trend_shows_its_expected_status(
    client: FlaskClient, patient: object
) -> None:
    from cds.demo import CohortPatient  # noqa: PLC0415

    assert isinstance(patient, CohortPatient)
    response = client.get(f"/demo/patients/{patient.id}/trend")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-status="{patient.expected_status}"' in html
    trend = _trend_json(html)
    assert trend["status"] == str(patient.expected_status)
    assert trend["as_of"] == DEMO_AS_OF.isoformat()


def test_banner_has_the_cards_indicator_and_summary(client: FlaskClient) -> None:
    from cds.cards import CardBuilder  # noqa: PLC0415
    from cds.cards.view import build_view  # noqa: PLC0415
    from cds.datasources.demo import DemoDataSource  # noqa: PLC0415
    from cds.views.analysis import PatientAnalyser, fetch_patient_resources  # noqa: PLC0415

    patient_id = "ln-demo-09"
    resources = fetch_patient_resources(DemoDataSource(), patient_id, budget_seconds=5)
    view = PatientAnalyser()(
        resources, patient_id=patient_id, as_of=DEMO_AS_OF, profile="kdigo-2024"
    )
    summary = CardBuilder().summary(build_view(view.assessment))

    html = client.get(f"/demo/patients/{patient_id}/trend").get_data(as_text=True)

    assert f'data-indicator="{indicator_for(view.assessment)}"' in html
    banner = re.search(r'data-testid="banner-summary">(.*?)</p>', html, re.S)
    assert banner is not None
    assert unescape(banner.group(1)) == summary


def test_trend_page_lists_each_proteinuria_value_as_a_point_and_a_table_row(
    client: FlaskClient,
) -> None:
    html = client.get("/demo/patients/ln-demo-06/trend").get_data(as_text=True)
    trend = _trend_json(html)
    points = trend["proteinuria"]["points"]  # type: ignore[index]
    assert len(points) == 6
    rows = [r for r in trend["table"] if r["test"].startswith("Proteinuria")]  # type: ignore[attr-defined]
    assert [r["date"] for r in rows] == [p["date"] for p in points]


def test_trend_pages_are_not_cached_and_allow_only_our_own_scripts(client: FlaskClient) -> None:
    response = client.get("/demo/patients/ln-demo-06/trend")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP
    html = response.get_data(as_text=True)
    assert "<script>" not in html  # no inline script: data travels as application/json
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(s.startswith("/views/static/") or s == "data:," for s in sources)


def test_unknown_demo_patient_is_404(client: FlaskClient) -> None:
    assert client.get("/demo/patients/not-in-cohort/trend").status_code == 404
    assert client.get("/demo/patients/not-in-cohort").status_code == 404


def test_demo_ehr_page_carries_what_the_script_needs_to_fire_the_hook(
    client: FlaskClient,
) -> None:
    html = client.get("/demo/patients/ln-demo-09").get_data(as_text=True)
    assert 'data-patient-id="ln-demo-09"' in html
    assert 'data-service-id="lupus-nephritis"' in html
    assert 'data-discovery-url="/cds-services"' in html
    assert 'data-fhir-base="http://localhost/demo/fhir"' in html
    assert "Iris Demo-Flare Testpatient" in html


def test_fhir_facade_reads_a_patient(client: FlaskClient) -> None:
    response = client.get("/demo/fhir/Patient/ln-demo-09")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.get_json()["id"] == "ln-demo-09"


def test_fhir_facade_searches_return_a_searchset_bundle(client: FlaskClient) -> None:
    response = client.get("/demo/fhir/Condition?patient=ln-demo-09")
    bundle = response.get_json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"]) > 0
    assert all(e["resource"]["resourceType"] == "Condition" for e in bundle["entry"])
    assert bundle["entry"][0]["fullUrl"].startswith("http://localhost/demo/fhir/Condition/")


def test_fhir_facade_unknown_read_is_404_operation_outcome(client: FlaskClient) -> None:
    response = client.get("/demo/fhir/Patient/nobody")
    assert response.status_code == 404
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_fhir_facade_unsupported_search_is_400_operation_outcome(client: FlaskClient) -> None:
    response = client.get("/demo/fhir/Observation?patient=ln-demo-09&value-quantity=gt5")
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["code"] == "processing"


def test_fhir_facade_answers_metadata(client: FlaskClient) -> None:
    body = client.get("/demo/fhir/metadata").get_json()
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"


def test_markdown_is_rendered_with_raw_html_escaped_and_script_links_dropped(
    client: FlaskClient,
) -> None:
    source = (
        "**Flare** <img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1))\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    html = client.post("/demo/markdown", json={"markdown": source}).get_json()["html"]
    assert "<strong>Flare</strong>" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html
    assert "<a " not in html  # the rejected link stays plain text
    assert "<table>" in html


def test_markdown_endpoint_needs_a_markdown_string(client: FlaskClient) -> None:
    assert client.post("/demo/markdown", json={"text": 1}).status_code == 400


def test_demo_routes_are_absent_outside_demo_mode() -> None:
    app = Flask(__name__)
    app.register_blueprint(create_views_blueprint(ViewsSettings()))
    client = app.test_client()
    for path in ("/demo", "/demo/patients/ln-demo-01/trend", "/demo/fhir/Patient/ln-demo-01"):
        assert client.get(path).status_code == 404
