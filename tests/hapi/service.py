"""The service under test, as production runs it, pointed at the session's HAPI server.

`service_env` is the environment of the gunicorn process (the Dockerfile's CMD, started by
`tests.gunicorn_server.running_gunicorn`): auth off, HAPI the only allowed FHIR server, plain
http allowed for loopback, and `LNCDS_AS_OF` at the cohort's as-of date (its stories hold on
that day only). `call_hook`
posts one patient-view call and checks what comes back against our CDS Hooks schemas (200) or
as a FHIR R4 OperationOutcome (errors), whatever the test asserts itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from fhir.resources.R4B.operationoutcome import OperationOutcome

from cds.cards.builder import stable_uuid
from cds.demo import DEMO_AS_OF, CohortPatient
from cds.schema import validate_response
from tests.service.conftest import fhir_authorization

SERVICE_PATH = "/cds-services/lupus-nephritis"
USER_ID = "Practitioner/ln-cds-integration"
HOOK_NAMESPACE = uuid.UUID("0f3a6c1e-4b7d-4e55-9d2a-5c8e1b7f3a90")
REQUEST_TIMEOUT_SECONDS = 120.0

# indicator of the one card of each status (CDS Hooks: `critical` only for what needs action
# now); kidney failure and not-applicable get no card at all
CARD_INDICATORS = {
    "refractory": "warning",
    "no-response": "warning",
    "possible-ln": "warning",
    "complete-response": "info",
    "partial-response": "info",
    "active": "info",
    "insufficient-data": "info",
}
NO_CARD_STATUSES = frozenset({"not-applicable", "kidney-failure"})


def service_env(fhir_base: str, tmp_dir: Path, **overrides: str) -> dict[str, str]:
    """Environment of a gunicorn service that fetches from `fhir_base`, as of the cohort's day."""
    env = {
        "LNCDS_AUTH": "off",
        "LNCDS_FHIR_ALLOWED_SERVERS": fhir_base,
        "LNCDS_FHIR_ALLOW_HTTP": "1",
        # generous: HAPI shares 2 cores with the rest of the suite; the budget itself is
        # tested with its own service (test_fhir_server_down.py)
        "LNCDS_FHIR_TIMEOUT_SECONDS": "30",
        "LNCDS_FHIR_BUDGET_SECONDS": "60",
        "LNCDS_FEEDBACK_DB": str(tmp_dir / "feedback.sqlite3"),
        "LNCDS_AS_OF": DEMO_AS_OF.isoformat(),
    }
    env.update(overrides)
    return env


def hook_instance(patient_id: str) -> str:
    """A hookInstance per patient: the same for every way of calling, so card uuids match."""
    return str(uuid.uuid5(HOOK_NAMESPACE, patient_id))


def hook_body(
    patient_id: str,
    *,
    fhir_server: str | None,
    prefetch: Mapping[str, Any] | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    """A patient-view request as an EHR sends it."""
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": hook_instance(patient_id),
        "context": {"userId": USER_ID, "patientId": patient_id},
    }
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if access_token is not None:
        body["fhirAuthorization"] = fhir_authorization(access_token)
    if prefetch is not None:
        body["prefetch"] = dict(prefetch)
    return body


def call_hook(
    service_url: str, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
) -> requests.Response:
    """POST the hook; validate the answer (cards against our schema, errors as OperationOutcome)."""
    response = requests.post(
        service_url + SERVICE_PATH,
        json=body,
        headers=dict(headers or {}),
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    check_answer(response)
    return response


def check_answer(response: requests.Response) -> None:
    """Every answer is JSON: a valid CDS Hooks response, or an OperationOutcome for errors."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body = response.json()
    if response.status_code == 200:
        validate_response(body)
    else:
        OperationOutcome.model_validate(body)
        assert "Traceback" not in response.text


def expected_finding(patient: CohortPatient) -> str:
    """What the card reports for this patient per expected.json: the seed of the card uuid."""
    parts = ["lupus-nephritis", str(patient.expected_status)]
    if patient.expected_flare is not None:
        confirmed = "confirmed" if patient.expected_flare.confirmed else "possible"
        parts += [patient.expected_flare.type, confirmed]
    return "/".join(parts)


def assert_expected_cards(
    patient: CohortPatient, cards: list[dict[str, Any]], instance: str
) -> None:
    """The cards say the status of expected.json: no card, or one card for that finding.

    The card uuid is uuid5 over the hookInstance and the finding (status, and for a flare its
    type and whether it is confirmed), so it pins the status exactly; the indicator is checked
    on its own.
    """
    status = str(patient.expected_status)
    if status in NO_CARD_STATUSES:
        assert cards == []
        return
    assert len(cards) == 1
    (card,) = cards
    flare = patient.expected_flare
    indicator = CARD_INDICATORS.get(status)
    if flare is not None:
        indicator = "critical" if flare.confirmed else "warning"
    assert card["uuid"] == stable_uuid(instance, expected_finding(patient)), card["summary"]
    assert card["indicator"] == indicator
