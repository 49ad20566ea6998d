"""Fixtures for the service tests: a fresh app per test, and a client that checks every reply.

Every Flask test client in these tests is a `ValidatingClient` (an autouse fixture sets it
on `Flask` itself, so apps built directly with `create_app` are covered too): every reply
is checked on the spot (discovery and hook responses must be JSON valid against our CDS
Hooks 2.0 schemas and the HL7 invariants, errors JSON FHIR R4 OperationOutcomes), so no
test can receive a malformed response without failing, whatever it asserts itself.
`test_validating_client.py` checks the checker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from copy import deepcopy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cds.assessment import Assessment
from cds.config import Config
from cds.schema import validate_discovery, validate_response
from cds.web.app import create_app
from cds.web.sources import default_assessor

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "flare-after-complete-response"
PATIENT_ID = "ln-flare-1"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
FHIR_BASE = "https://ehr.example.org/fhir"
TOKEN = "fhir-access-token-abc"
SERVICE_URL = "/cds-services/lupus-nephritis"
# 23:30 UTC on the 13th is already the 14th in Auckland: as_of must follow the zone
FROZEN_NOW = datetime(2025, 3, 13, 23, 30, tzinfo=UTC)
AS_OF = date(2025, 3, 14)
ZONE = "Pacific/Auckland"


class ValidatingClient(FlaskClient):
    """Test client that validates every response body it receives (see module doc)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        check_response(response)
        return response


def check_response(response: TestResponse) -> None:
    """Fail unless the reply is one the service may send (see the module doc).

    - any error (4xx/5xx), on any path: a JSON FHIR R4 OperationOutcome without a traceback;
    - `GET /cds-services`: 200 with a valid discovery document;
    - `POST /cds-services/{id}`: 200 with a valid CDS Hooks response;
    - feedback, CORS preflights and the views' pages are left to their own tests.
    """
    status, path, method = response.status_code, response.request.path, response.request.method
    if status >= 400:
        assert response.is_json, f"{status} answered as {response.mimetype}, not JSON"
        OperationOutcome.model_validate(response.get_json())
        assert "Traceback" not in response.get_data(as_text=True)
        return
    if method not in ("GET", "POST") or not (
        path == "/cds-services" or path.startswith("/cds-services/")
    ):
        return
    if path.endswith("/feedback"):
        return
    assert status == 200, f"{method} {path} answered {status}; CDS Hooks success is 200"
    assert response.is_json, f"{method} {path} answered as {response.mimetype}, not JSON"
    if path == "/cds-services":
        validate_discovery(response.get_json())
    else:
        validate_response(response.get_json())


@pytest.fixture(autouse=True)
def _every_app_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Flask app a service test builds, however it builds it, uses `ValidatingClient`."""
    monkeypatch.setattr(Flask, "test_client_class", ValidatingClient)


def load_prefetch() -> dict[str, Any]:
    """The scenario's prefetch (a fresh copy each time: tests may edit it)."""
    prefetch: dict[str, Any] = json.loads((SCENARIO / "prefetch.json").read_text("utf-8"))
    return prefetch


def hook_body(prefetch: Mapping[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A valid patient-view request for the scenario patient; `changes` override fields."""
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": HOOK_INSTANCE,
        "context": {"userId": "Practitioner/nephro-1", "patientId": PATIENT_ID},
    }
    if prefetch is not None:
        body["prefetch"] = deepcopy(dict(prefetch))
    body.update(changes)
    return body


def fhir_authorization(access_token: str = TOKEN) -> dict[str, Any]:
    """A hook request's `fhirAuthorization`: a bearer token to read the patient's data."""
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "ln-cds",
    }


def with_fhir(body: dict[str, Any]) -> dict[str, Any]:
    body["fhirServer"] = FHIR_BASE
    body["fhirAuthorization"] = fhir_authorization()
    return body


class RecordingAssessor:
    """The real assessor (mapping + rules), remembering what it was given."""

    def __init__(self) -> None:
        self._real = default_assessor(Config(auth=False))
        self.calls: list[tuple[list[Mapping[str, Any]], date, str]] = []

    def __call__(
        self, resources: Sequence[Mapping[str, Any]], *, as_of: date, patient_id: str
    ) -> Assessment:
        self.calls.append((list(resources), as_of, patient_id))
        return self._real(resources, as_of=as_of, patient_id=patient_id)

    @property
    def resource_ids(self) -> set[str]:
        assert self.calls, "the assessor was not called"
        return {f"{r['resourceType']}/{r['id']}" for r in self.calls[-1][0]}


@pytest.fixture
def assessor() -> RecordingAssessor:
    return RecordingAssessor()


@pytest.fixture
def make_config(assessor: RecordingAssessor) -> Callable[..., Config]:
    """Config for tests: auth off, Auckland time frozen, the scenario server allowed."""

    def make(**changes: Any) -> Config:
        values: dict[str, Any] = {
            "auth": False,
            "timezone": ZONE,
            "clock": lambda: FROZEN_NOW,
            "fhir_allowed_servers": (FHIR_BASE,),
            "assessor": assessor,
        }
        values.update(changes)
        return Config(**values)

    return make


@pytest.fixture
def make_app(make_config: Callable[..., Config]) -> Callable[..., Flask]:
    def make(**changes: Any) -> Flask:
        return create_app(make_config(**changes))

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """The EHR's FHIR server, strict: every registered call must happen, nothing else may."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
