"""Malformed hook requests get 400 with an OperationOutcome; unknown fields are tolerated."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.service.conftest import FHIR_BASE, PATIENT_ID, SERVICE_URL, hook_body, load_prefetch


def _issue(response: Any) -> str:
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    diagnostics: str = body["issue"][0]["diagnostics"]
    return diagnostics


def test_body_that_is_not_json_is_400(client: FlaskClient) -> None:
    response = client.post(SERVICE_URL, data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in _issue(response)


def test_json_that_is_not_an_object_is_400(client: FlaskClient) -> None:
    response = client.post(SERVICE_URL, json=["patient-view"])
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hook": "order-sign"}, "hook"),
        ({"hook": None}, "hook"),
        ({"hookInstance": None}, "hookInstance"),
        ({"hookInstance": ""}, "hookInstance"),
        ({"context": None}, "context"),
        ({"context": "ln-flare-1"}, "context"),
        ({"context": {"userId": "Practitioner/nephro-1"}}, "context.patientId"),
        (
            {"context": {"userId": "Practitioner/x", "patientId": "../Patient/1"}},
            "context.patientId",
        ),
        ({"context": {"userId": "Practitioner/x", "patientId": "a b"}}, "context.patientId"),
        ({"context": {"patientId": "ln-flare-1"}}, "context.userId"),
        ({"context": {"userId": "nephro-1", "patientId": "ln-flare-1"}}, "context.userId"),
        (
            {"context": {"userId": "Practitioner/x", "patientId": "p", "encounterId": "e/1"}},
            "context.encounterId",
        ),
        ({"prefetch": ["patient"]}, "prefetch"),
        ({"prefetch": {"patient": "Patient/ln-flare-1"}}, "prefetch.patient"),
        ({"fhirServer": 42}, "fhirServer"),
    ],
)
def test_malformed_field_is_400_naming_it(
    client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    body = hook_body(load_prefetch())
    for key, value in change.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert field in _issue(response)


def test_fhir_authorization_without_fhir_server_is_400_cds_r_1(client: FlaskClient) -> None:
    body = hook_body(
        load_prefetch(),
        fhirAuthorization={
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "ln-cds",
        },
    )
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert "cds-r-1" in _issue(response)


TOKEN_FIELDS = {
    "access_token": "t",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/*.read",
    "subject": "ln-cds",
}


@pytest.mark.parametrize(
    "authorization",
    [
        {"token_type": "Bearer"},
        {"access_token": "t", "token_type": "MAC"},
        {"access_token": "t\r\nX-Evil: 1", "token_type": "Bearer"},
        {"access_token": "t", "token_type": "Bearer", "expires_in": "soon"},
        "Bearer t",
    ],
)
def test_malformed_fhir_authorization_is_400(client: FlaskClient, authorization: Any) -> None:
    body = hook_body(
        load_prefetch(), fhirServer="https://ehr.example.org/fhir", fhirAuthorization=authorization
    )
    assert client.post(SERVICE_URL, json=body).status_code == 400


@pytest.mark.parametrize("name", ["expires_in", "scope", "subject"])
def test_fhir_authorization_without_a_required_token_field_is_400_naming_it(
    client: FlaskClient, name: str
) -> None:
    """CDS Hooks 2.0 §fhirAuthorization: access_token, token_type, expires_in, scope and
    subject are REQUIRED (1..1 in the FHIR Tools IG's CDSHooksRequest)."""
    authorization = {k: v for k, v in TOKEN_FIELDS.items() if k != name}
    body = hook_body(load_prefetch(), fhirServer=FHIR_BASE, fhirAuthorization=authorization)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert f"fhirAuthorization.{name}" in _issue(response)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"access_token": "sekrit\u4e2d\u6587"}, "access_token"),  # not sendable in a header
        ({"access_token": "sek rit"}, "access_token"),
        ({"access_token": "sekrit\x00"}, "access_token"),
        ({"expires_in": -1}, "expires_in"),
        ({"expires_in": 300.5}, "expires_in"),
        ({"scope": ""}, "scope"),
        ({"subject": 7}, "subject"),
        ({"patient": "Patient/ln-flare-1"}, "patient"),
        ({"patient": "someone-else"}, "patient"),  # the token is for another patient
    ],
)
def test_malformed_token_field_is_400_naming_it(
    client: FlaskClient, change: dict[str, Any], name: str
) -> None:
    body = hook_body(
        load_prefetch(), fhirServer=FHIR_BASE, fhirAuthorization={**TOKEN_FIELDS, **change}
    )
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert f"fhirAuthorization.{name}" in _issue(response)
    assert "sek" not in _issue(response)  # the token itself is never echoed


def test_token_for_the_context_patient_is_accepted(client: FlaskClient) -> None:
    authorization = {**TOKEN_FIELDS, "patient": PATIENT_ID, "unknown_extra": "tolerated"}
    body = hook_body(load_prefetch(), fhirServer=FHIR_BASE, fhirAuthorization=authorization)
    assert client.post(SERVICE_URL, json=body).status_code == 200


def test_unknown_fields_and_extensions_are_tolerated(client: FlaskClient) -> None:
    body = hook_body(load_prefetch())
    body["extension"] = {"org.example.trace": {"id": 7}}
    body["somethingNew"] = [1, 2, 3]
    body["context"]["org.example.context"] = "x"
    body["context"]["encounterId"] = "enc-1"
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(response.get_json()["cards"]) == 1


def test_token_type_is_case_insensitive(client: FlaskClient) -> None:
    body = hook_body(
        load_prefetch(),
        fhirServer="https://ehr.example.org/fhir",
        fhirAuthorization={"access_token": "t", "token_type": "bearer", "expires_in": 300,
                           "scope": "patient/*.read", "subject": "ln-cds"},
    )  # fmt: skip
    assert client.post(SERVICE_URL, json=body).status_code == 200


def test_unknown_service_is_404(client: FlaskClient) -> None:
    response = client.post("/cds-services/no-such-service", json=hook_body(load_prefetch()))
    assert response.status_code == 404


def test_get_on_the_hook_is_405_with_an_operation_outcome(client: FlaskClient) -> None:
    response = client.get(SERVICE_URL)
    assert response.status_code == 405
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_body_over_the_size_limit_is_413(make_app: Any) -> None:
    client = make_app(max_request_bytes=1000).test_client()
    response = client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    assert response.status_code == 413
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_deeply_nested_json_is_400_not_500(client: FlaskClient) -> None:
    response = client.post(SERVICE_URL, data=b"[" * 100_000, content_type="application/json")
    assert response.status_code == 400


def test_hook_instance_with_control_characters_is_400(client: FlaskClient) -> None:
    body = hook_body(load_prefetch(), hookInstance="abc\nFAKE LOG LINE")
    assert client.post(SERVICE_URL, json=body).status_code == 400
