"""Every row of the prefetch decision table (cds/datasources/prefetch.py), through the API."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from tests.service.conftest import (
    AS_OF,
    FHIR_BASE,
    PATIENT_ID,
    SERVICE_URL,
    RecordingAssessor,
    hook_body,
    load_prefetch,
    with_fhir,
)
from tests.service.fhir_mock import answer, answer_like_prefetch, query, searchset

OPERATION_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "query timed out"}],
}


def _failed_keys(response: Any) -> str:
    assert response.status_code == 412
    body = response.get_json()
    return " ".join(issue["diagnostics"] for issue in body["issue"])


def test_complete_prefetch_is_used_without_any_fhir_call(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(load_prefetch())))
    assert response.status_code == 200
    assert len(fhir.calls) == 0
    assert f"Patient/{PATIENT_ID}" in assessor.resource_ids
    assert f"MedicationRequest/{PATIENT_ID}-mmf" in assessor.resource_ids
    _, as_of, patient_id = assessor.calls[-1]
    assert (as_of, patient_id) == (AS_OF, PATIENT_ID)  # today in Pacific/Auckland


def test_absent_key_is_fetched_with_the_bearer_token(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    kidney = prefetch.pop("kidneyFunction")
    answer(fhir, "kidneyFunction", kidney)
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert len(fhir.calls) == 1
    assert f"Observation/{PATIENT_ID}-scr-5" in assessor.resource_ids


def test_absent_key_without_fhir_server_is_412_naming_the_key(client: FlaskClient) -> None:
    prefetch = load_prefetch()
    del prefetch["kidneyFunction"]
    response = client.post(SERVICE_URL, json=hook_body(prefetch))
    assert "kidneyFunction" in _failed_keys(response)


def test_no_prefetch_at_all_without_fhir_server_is_412_naming_every_key(
    client: FlaskClient,
) -> None:
    text = _failed_keys(client.post(SERVICE_URL, json=hook_body()))
    for key in ("patient", "conditions", "proteinuria", "medicationRequests"):
        assert f"'{key}'" in text


def test_null_search_means_no_data_and_is_not_queried_again(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    prefetch["urinalysis"] = None
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert len(fhir.calls) == 0
    assert f"Observation/{PATIENT_ID}-rbc-0" not in assessor.resource_ids


def test_null_patient_is_412_not_silently_ignored(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    prefetch["patient"] = None
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert "'patient'" in _failed_keys(response)
    assert len(fhir.calls) == 0


def test_paginated_prefetch_follows_the_next_link(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    entries = prefetch["proteinuria"]["entry"]
    page_two_url = f"{FHIR_BASE}/Observation?_getpages=abc&_page=2"
    prefetch["proteinuria"] = {**searchset([]), "entry": entries[:3],
                               "link": [{"relation": "next", "url": page_two_url}]}  # fmt: skip
    fhir.get(page_two_url, json=searchset([e["resource"] for e in entries[3:]]))
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert fhir.calls[0].request.headers["Authorization"] == "Bearer fhir-access-token-abc"
    ids = assessor.resource_ids
    assert {f"Observation/{PATIENT_ID}-upcr-{i}" for i in range(6)} <= ids


def test_paginated_prefetch_without_fhir_server_is_412_not_assumed_complete(
    client: FlaskClient,
) -> None:
    prefetch = load_prefetch()
    prefetch["proteinuria"]["link"] = [
        {"relation": "next", "url": f"{FHIR_BASE}/Observation?_page=2"}
    ]
    assert "proteinuria" in _failed_keys(client.post(SERVICE_URL, json=hook_body(prefetch)))


def _truncated(bundle: dict[str, Any], kept: int) -> dict[str, Any]:
    """The first `kept` entries of a searchset that says how many it matched, and no link."""
    return {**bundle, "total": len(bundle["entry"]), "entry": bundle["entry"][:kept]}


def test_prefetch_holding_fewer_matches_than_its_total_is_fetched_whole(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    """An EHR that cut the search short (and dropped its `next` link) sent partial data."""
    prefetch = load_prefetch()
    whole = prefetch["proteinuria"]
    prefetch["proteinuria"] = _truncated(whole, kept=2)
    answer(fhir, "proteinuria", whole)
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert len(fhir.calls) == 1
    assert f"Observation/{PATIENT_ID}-upcr-5" in assessor.resource_ids


def test_prefetch_holding_fewer_matches_than_its_total_without_server_is_412(
    client: FlaskClient,
) -> None:
    prefetch = load_prefetch()
    prefetch["proteinuria"] = _truncated(prefetch["proteinuria"], kept=2)
    text = _failed_keys(client.post(SERVICE_URL, json=hook_body(prefetch)))
    assert "'proteinuria'" in text
    assert "total" in text


def test_prefetch_whose_total_matches_its_entries_is_used(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    for key in ("proteinuria", "conditions"):
        prefetch[key] = _truncated(prefetch[key], kept=len(prefetch[key]["entry"]))
    prefetch["conditions"]["entry"].append(  # an included resource is not a match
        {"resource": {"resourceType": "Patient", "id": PATIENT_ID}, "search": {"mode": "include"}}
    )
    assert client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))).status_code == 200
    assert len(fhir.calls) == 0


def test_next_link_to_another_server_is_refused_without_calling_it(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    prefetch["proteinuria"]["link"] = [
        {"relation": "next", "url": "https://attacker.example.net/fhir/Observation?_page=2"}
    ]
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert "outside the FHIR server" in _failed_keys(response)
    assert len(fhir.calls) == 0


@pytest.mark.parametrize(
    "bad_value",
    [
        pytest.param(OPERATION_OUTCOME, id="operation-outcome"),
        pytest.param(searchset([OPERATION_OUTCOME]), id="bundle-holding-operation-outcome"),
        pytest.param(
            {"resourceType": "Bundle", "type": "transaction-response"}, id="wrong-bundle-type"
        ),
        pytest.param({"resourceType": "Observation", "id": "x"}, id="not-a-bundle"),
        pytest.param({"resourceType": "Bundle", "type": {"searchset": 1}}, id="type-an-object"),
        pytest.param({"resourceType": "Bundle", "type": ["searchset"]}, id="type-a-list"),
    ],
)
def test_unusable_search_prefetch_is_fetched_instead(
    client: FlaskClient,
    fhir: responses.RequestsMock,
    assessor: RecordingAssessor,
    bad_value: dict[str, Any],
) -> None:
    prefetch = load_prefetch()
    good = prefetch["proteinuria"]
    prefetch["proteinuria"] = bad_value
    answer(fhir, "proteinuria", good)
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert f"Observation/{PATIENT_ID}-upcr-5" in assessor.resource_ids
    assert not any(r["resourceType"] == "OperationOutcome" for r in assessor.calls[-1][0])


def test_operation_outcome_prefetch_without_fhir_server_is_412(client: FlaskClient) -> None:
    prefetch = load_prefetch()
    prefetch["conditions"] = OPERATION_OUTCOME
    text = _failed_keys(client.post(SERVICE_URL, json=hook_body(prefetch)))
    assert "'conditions'" in text
    assert "OperationOutcome" in text


def test_prefetched_patient_with_another_id_is_fetched_instead(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    patient = prefetch["patient"]
    prefetch["patient"] = {**patient, "id": "someone-else"}
    answer(fhir, "patient", patient)
    assert client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))).status_code == 200


def test_observations_older_than_the_look_back_are_dropped(
    client: FlaskClient, assessor: RecordingAssessor
) -> None:
    assert client.post(SERVICE_URL, json=hook_body(load_prefetch())).status_code == 200
    assert f"Observation/{PATIENT_ID}-upcr-old" not in assessor.resource_ids  # 2008
    assert f"Observation/{PATIENT_ID}-upcr-0" in assessor.resource_ids  # 2024


def test_look_back_is_configurable(make_app: Any, assessor: RecordingAssessor) -> None:
    client = make_app(lookback_years=20).test_client()
    assert client.post(SERVICE_URL, json=hook_body(load_prefetch())).status_code == 200
    assert f"Observation/{PATIENT_ID}-upcr-old" in assessor.resource_ids


def test_partial_prefetch_fetches_only_the_missing_keys(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    for key in ("conditions", "medicationRequests"):
        del prefetch[key]
    answer_like_prefetch(fhir, load_prefetch(), "conditions", "medicationRequests")
    response = client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert sorted(str(c.request.url).split("?")[0] for c in fhir.calls) == sorted(
        query(k)[0] for k in ("conditions", "medicationRequests")
    )
