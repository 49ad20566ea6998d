"""Fixtures for the service tests: a fresh app per test, and a client that checks every reply.

`client` is Flask's test client with one addition: every JSON body the service sends is
validated on the spot (discovery and hook responses against our CDS Hooks 2.0 schemas and
the HL7 invariants, error bodies as FHIR R4 OperationOutcomes), so no test can receive a
malformed response without failing, whatever it asserts itself.
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
    if not response.is_json:
        return
    body = response.get_json()
    path = response.request.path
    if response.status_code == 200 and path == "/cds-services":
        validate_discovery(body)
    elif response.status_code == 200 and path.startswith("/cds-services/"):
        validate_response(body)
    elif response.status_code >= 400:
        OperationOutcome.model_validate(body)
        assert "Traceback" not in response.get_data(as_text=True)


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


def with_fhir(body: dict[str, Any]) -> dict[str, Any]:
    body["fhirServer"] = FHIR_BASE
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "ln-cds",
    }
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
        app = create_app(make_config(**changes))
        app.test_client_class = ValidatingClient
        return app

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
