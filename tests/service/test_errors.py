"""Errors are OperationOutcomes; a bug is a bare 500 with no stack trace for the client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.conftest import SERVICE_URL, hook_body, load_prefetch


def test_unexpected_exception_is_a_500_operation_outcome_without_details(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_assessor(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    client = make_app(assessor=broken_assessor).test_client()
    response = client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert response.get_json()["issue"][0]["diagnostics"] == "internal error"
    assert "secret internal detail" in caplog.text  # the stack trace goes to the log


def test_unknown_path_is_a_404_operation_outcome(make_app: Any) -> None:
    response = make_app().test_client().get("/no/such/path")
    assert response.status_code == 404
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_the_access_token_never_reaches_the_logs(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    prefetch = load_prefetch()
    del prefetch["conditions"]
    body = hook_body(prefetch, fhirServer="https://not-allowed.example/fhir")
    body["fhirAuthorization"] = {
        "access_token": "very-secret-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "x",
    }
    response = make_app().test_client().post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "very-secret-token" not in caplog.text
    assert "very-secret-token" not in response.get_data(as_text=True)
