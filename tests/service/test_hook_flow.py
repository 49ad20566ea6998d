"""Whole hook calls: nothing to say, demo mode, CORS, JSON everywhere, speed."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds.config import Config
from cds.datasources.base import FetchOutcome, QueryResult
from tests.service.conftest import (
    PATIENT_ID,
    SERVICE_URL,
    RecordingAssessor,
    hook_body,
    load_prefetch,
)
from tests.service.fhir_mock import searchset

ROOT = Path(__file__).resolve().parents[2]


def test_patient_without_sle_gets_an_empty_cards_array(client: FlaskClient) -> None:
    prefetch = load_prefetch()
    prefetch["conditions"] = None
    response = client.post(SERVICE_URL, json=hook_body(prefetch))
    assert response.status_code == 200
    assert response.get_json() == {"cards": []}


def test_the_scenario_flare_gets_a_critical_card_end_to_end(client: FlaskClient) -> None:
    response = client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    (card,) = response.get_json()["cards"]
    assert card["indicator"] == "critical"
    assert card["summary"] == (
        "Lupus nephritis: confirmed proteinuric flare — UPCR 1.5 g/g, "
        "up from 0.3 after complete response"
    )
    assert "links" not in card  # neither demo mode nor SMART configured


def test_every_answer_is_json(client: FlaskClient) -> None:
    for response in (
        client.get("/cds-services"),
        client.post(SERVICE_URL, json=hook_body(load_prefetch())),
        client.post(SERVICE_URL, data=b"x"),
        client.post(SERVICE_URL, json=hook_body()),
        client.post("/cds-services/unknown", json=hook_body()),
    ):
        assert response.mimetype == "application/json"


def test_smart_link_when_a_launch_url_is_configured(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LNCDS_SMART_CLIENT_ID", "ln-cds")  # our launch needs our SMART client
    client = make_app(smart_launch_url="https://cds.example.org/smart/launch").test_client()
    (card,) = client.post(SERVICE_URL, json=hook_body(load_prefetch())).get_json()["cards"]
    assert card["links"][0]["type"] == "smart"
    assert card["links"][0]["url"] == "https://cds.example.org/smart/launch"


def test_injected_data_source_replaces_http_self_fetch(
    make_app: Any, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    asked: list[dict[str, str]] = []

    class InMemory:
        def fetch(self, queries: Any, *, budget_seconds: float) -> FetchOutcome:
            asked.append(dict(queries))
            return FetchOutcome(results={k: QueryResult(k, ()) for k in queries})

    def factory(fhir_server: str | None, access_token: str | None) -> InMemory:
        return InMemory()

    del prefetch["urinalysis"]
    client = make_app(data_source_factory=factory).test_client()
    assert client.post(SERVICE_URL, json=hook_body(prefetch)).status_code == 200
    assert list(asked[0]) == ["urinalysis"]
    assert asked[0]["urinalysis"].startswith(f"Observation?patient={PATIENT_ID}&code=")


def test_demo_mode_answers_from_the_cohort_with_a_trend_link(make_app: Any) -> None:
    client = make_app(demo=True, clock=Config().clock, assessor=None).test_client()
    body = hook_body(context={"userId": "Practitioner/demo", "patientId": "ln-demo-01"})
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    (card,) = response.get_json()["cards"]
    assert card["summary"].startswith("Lupus nephritis: refractory")
    assert card["links"] == [
        {"label": "Proteinuria and kidney function trend (demo)",
         "url": "http://localhost/demo/patients/ln-demo-01/trend", "type": "absolute"}
    ]  # fmt: skip


def test_cors_preflight_allows_configured_origins_only(make_app: Any) -> None:
    client = make_app(cors_origins=("https://ehr.example.org",)).test_client()
    headers = {"Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip
    allowed = client.options(SERVICE_URL, headers={**headers, "Origin": "https://ehr.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    other = client.options(SERVICE_URL, headers={**headers, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_headers_on_the_hook_answer_and_on_its_errors(make_app: Any) -> None:
    """A browser-based EHR must be able to read the cards, and the 400/412 that explain why
    there are none (not only pass the preflight)."""
    client = make_app(cors_origins=("https://ehr.example.org",)).test_client()
    origin = {"Origin": "https://ehr.example.org"}
    for body, status in ((hook_body(load_prefetch()), 200), (hook_body(), 412),
                         ({"hook": "patient-view"}, 400)):  # fmt: skip
        response = client.post(SERVICE_URL, json=body, headers=origin)
        assert response.status_code == status
        assert response.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"


def test_no_cors_headers_unless_configured(client: FlaskClient) -> None:
    response = client.get("/cds-services", headers={"Origin": "https://ehr.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_hook_with_2000_observations_answers_well_under_a_second(client: FlaskClient) -> None:
    prefetch = load_prefetch()
    start = date(2015, 4, 1)
    for key, code, unit, value in (("proteinuria", "2890-2", "mg/g", 300.0),
                                   ("kidneyFunction", "2160-0", "mg/dL", 0.8)):  # fmt: skip
        generated = [
            {"resourceType": "Observation", "id": f"gen-{key}-{i}", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
             "subject": {"reference": f"Patient/{PATIENT_ID}"},
             "effectiveDateTime": f"{start + timedelta(days=3 * i)}T09:00:00Z",
             "valueQuantity": {"value": value, "unit": unit,
                               "system": "http://unitsofmeasure.org", "code": unit}}
            for i in range(1000)
        ]  # fmt: skip
        prefetch[key] = searchset(generated + [e["resource"] for e in prefetch[key]["entry"]])
    data = json.dumps(hook_body(prefetch)).encode()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        response = client.post(SERVICE_URL, data=data, content_type="application/json")
        best = min(best, time.perf_counter() - started)
        assert response.status_code == 200
    assert best < 1.0


def test_the_example_request_gets_a_confirmed_flare_card_in_demo_mode(make_app: Any) -> None:
    example = json.loads((ROOT / "examples" / "hook-request.json").read_text("utf-8"))
    client = make_app(demo=True, clock=Config().clock, assessor=None).test_client()
    response = client.post(SERVICE_URL, json=example)
    assert response.status_code == 200
    (card,) = response.get_json()["cards"]
    assert card["indicator"] == "critical"
    assert "confirmed proteinuric flare" in card["summary"]
