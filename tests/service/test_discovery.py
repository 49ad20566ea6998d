"""`GET /cds-services`: one service, its prefetch templates within CDS Hooks 2.0's limits."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from flask.testing import FlaskClient

from cds.web.lupus_nephritis import OBSERVATION_GROUPS, prefetch_templates

# Every LOINC code of clinical.md §2, pinned here independently of fhir_mapping's data file.
CLINICAL_MD_LOINC = {
    "13801-6", "40486-3", "2889-4", "2890-2", "34366-5",  # proteinuria
    "9318-7", "14959-1", "32294-1",  # UACR
    "2160-0", "38483-4", "14682-9", "77140-2",  # creatinine
    "98979-8", "62238-1", "33914-3", "48642-3", "48643-1", "50044-7", "70969-1", "69405-9",
    "88293-6", "88294-4",  # reported eGFR
    "1751-7", "13945-1", "5808-1", "5821-4", "5807-3", "4485-9", "4498-2", "5130-0",
    "31348-6", "777-3", "26515-7", "6690-2", "26464-8", "8302-2",
}  # fmt: skip
ALLOWED_TOKENS = {"context.patientId", "context.userId", "context.encounterId"}
ALLOWED_SEARCH_PARAMS = {"patient", "code", "_sort", "_count"}


def _service(client: FlaskClient) -> dict[str, object]:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = response.get_json()["services"]
    assert len(services) == 1
    service: dict[str, object] = services[0]
    return service


def test_discovery_lists_the_lupus_nephritis_patient_view_service(client: FlaskClient) -> None:
    service = _service(client)
    assert service["id"] == "lupus-nephritis"
    assert service["hook"] == "patient-view"
    assert service["title"]
    assert service["description"]
    usage = str(service["usageRequirements"])
    assert "patient/*.read" in usage
    assert "15 years" in usage  # the look-back the service applies


def test_prefetch_asks_for_patient_conditions_labs_and_medications(client: FlaskClient) -> None:
    prefetch = _service(client)["prefetch"]
    assert isinstance(prefetch, dict)
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert prefetch["medicationRequests"] == "MedicationRequest?patient={{context.patientId}}"
    assert prefetch["medicationStatements"] == "MedicationStatement?patient={{context.patientId}}"
    for key in OBSERVATION_GROUPS:
        assert prefetch[key].startswith("Observation?patient={{context.patientId}}&code=")
        assert "_sort=-date" in prefetch[key]


def test_prefetch_requests_every_loinc_code_of_clinical_md(client: FlaskClient) -> None:
    prefetch = _service(client)["prefetch"]
    assert isinstance(prefetch, dict)
    asked = set()
    for template in prefetch.values():
        for name, value in parse_qsl(template.partition("?")[2]):
            if name == "code":
                asked |= {
                    t.split("|")[1] for t in value.split(",") if t.startswith("http://loinc.org|")
                }
    assert asked >= CLINICAL_MD_LOINC


def test_prefetch_templates_obey_the_cds_hooks_2_restrictions(client: FlaskClient) -> None:
    """What discovery serves (not only what the code builds) stays within 2.0's subset."""
    served = _service(client)["prefetch"]
    assert isinstance(served, dict)
    assert served == prefetch_templates()
    for key, template in served.items():
        tokens = set(re.findall(r"\{\{([^}]*)\}\}", template))
        assert tokens <= ALLOWED_TOKENS, key
        path, _, query = template.partition("?")
        if not query:  # an instance read
            assert re.fullmatch(r"[A-Z][A-Za-z]+/\{\{context\.patientId\}\}", path), key
            continue
        assert re.fullmatch(r"[A-Z][A-Za-z]+", path), key
        params = {name for name, _ in parse_qsl(query)}
        assert params <= ALLOWED_SEARCH_PARAMS, key
        assert "date" not in template.lower().replace("_sort=-date", ""), key


def test_discovery_document_is_the_same_bytes_every_time(client: FlaskClient) -> None:
    assert client.get("/cds-services").data == client.get("/cds-services").data


def test_discovery_needs_no_authentication(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(auth=True, authenticator=None).test_client()
    assert client.get("/cds-services").status_code == 200
