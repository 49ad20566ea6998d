"""Every demo bundle is valid FHIR R4, loadable idempotently, and self-contained."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds.demo import DEMO_AS_OF, DEMO_FULL_URL_BASE, CohortPatient, load_cohort

PATIENT_IDS = [p.id for p in load_cohort()]


def _patient(cohort: list[CohortPatient], patient_id: str) -> CohortPatient:
    return next(p for p in cohort if p.id == patient_id)


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair at any depth of a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@pytest.mark.parametrize("patient_id", PATIENT_IDS)
def test_bundle_and_every_resource_validate_as_fhir_r4(
    cohort: list[CohortPatient], patient_id: str
) -> None:
    patient = _patient(cohort, patient_id)
    get_fhir_model_class("Bundle").model_validate(patient.bundle)
    for resource in patient.resources():
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.mark.parametrize("patient_id", PATIENT_IDS)
def test_bundle_is_a_transaction_of_puts_with_client_assigned_ids(
    cohort: list[CohortPatient], patient_id: str
) -> None:
    bundle = _patient(cohort, patient_id).bundle
    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        relative = f"{resource['resourceType']}/{resource['id']}"
        assert entry["request"] == {"method": "PUT", "url": relative}
        assert entry["fullUrl"] == f"{DEMO_FULL_URL_BASE}/{relative}"
        assert resource["id"] == patient_id or resource["id"].startswith(f"{patient_id}-")


def test_resource_ids_are_unique_across_the_cohort(cohort: list[CohortPatient]) -> None:
    refs = Counter(
        f"{r['resourceType']}/{r['id']}" for patient in cohort for r in patient.resources()
    )
    assert [ref for ref, n in refs.items() if n > 1] == []


@pytest.mark.parametrize("patient_id", PATIENT_IDS)
def test_every_reference_resolves_within_its_bundle(
    cohort: list[CohortPatient], patient_id: str
) -> None:
    patient = _patient(cohort, patient_id)
    in_bundle = {entry["request"]["url"] for entry in patient.bundle["entry"]}
    for resource in patient.resources():
        contained = {f"#{c['id']}" for c in resource.get("contained", ())}
        for key, value in _walk(resource):
            if key == "reference":
                assert value in (contained if value.startswith("#") else in_bundle), value
        if resource["resourceType"] != "Patient":
            assert resource["subject"] == {"reference": f"Patient/{patient_id}"}


@pytest.mark.parametrize("patient_id", PATIENT_IDS)
def test_no_date_lies_after_the_demo_date(cohort: list[CohortPatient], patient_id: str) -> None:
    date_keys = {
        "effectiveDateTime",
        "issued",
        "start",
        "end",
        "authoredOn",
        "onsetDateTime",
        "recordedDate",
        "dateAsserted",
        "birthDate",
    }
    for resource in _patient(cohort, patient_id).resources():
        for key, value in _walk(resource):
            if key in date_keys:
                assert date.fromisoformat(value[:10]) <= DEMO_AS_OF, (resource["id"], key)


def test_every_patient_has_sex_and_birth_date_for_ckd_epi(cohort: list[CohortPatient]) -> None:
    for patient in cohort:
        first = patient.resources()[0]
        assert first["gender"] in ("female", "male")
        age = (DEMO_AS_OF - date.fromisoformat(first["birthDate"])).days / 365.25
        assert 18 <= age < 90


def test_every_resource_is_tagged_as_test_data(cohort: list[CohortPatient]) -> None:
    for patient in cohort:
        for resource in patient.resources():
            assert resource["meta"]["tag"] == [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "code": "HTEST",
                    "display": "test health data",
                }
            ]


def _all(cohort: list[CohortPatient], resource_type: str) -> list[dict[str, Any]]:
    return [
        r for patient in cohort for r in patient.resources() if r["resourceType"] == resource_type
    ]


def test_cohort_mixes_the_unit_conventions_the_mapping_must_handle(
    cohort: list[CohortPatient],
) -> None:
    seen = {
        (c["code"], o["valueQuantity"]["code"])
        for o in _all(cohort, "Observation")
        for c in o["code"]["coding"]
    }
    assert {
        ("2889-4", "mg/(24.h)"),
        ("13801-6", "g/g"),
        ("2890-2", "g/g"),
        ("2890-2", "mg/g"),
        ("2890-2", "mg/g{creat}"),
        ("34366-5", "mg/mmol"),
        ("34366-5", "mg/mmol{creat}"),
        ("2160-0", "mg/dL"),
        ("14682-9", "umol/L"),
        ("4485-9", "mg/dL"),
        ("4485-9", "g/L"),
        ("4498-2", "mg/dL"),
        ("5130-0", "[IU]/mL"),
        ("13945-1", "/[HPF]"),
        ("5808-1", "/[HPF]"),
        ("5821-4", "/[HPF]"),
        ("5807-3", "/[LPF]"),
        ("1751-7", "g/dL"),
        ("1751-7", "g/L"),
        ("777-3", "10*3/uL"),
        ("26515-7", "10*9/L"),
        ("6690-2", "10*3/uL"),
        ("26464-8", "10*9/L"),
        ("98979-8", "mL/min/{1.73_m2}"),
    } <= seen


def test_complement_and_anti_dsdna_carry_reference_ranges_and_interpretations(
    cohort: list[CohortPatient],
) -> None:
    serology = [
        o
        for o in _all(cohort, "Observation")
        if o["code"]["coding"][0]["code"] in ("4485-9", "4498-2", "5130-0")
    ]
    assert serology
    for obs in serology:
        assert obs["referenceRange"]
        assert obs["interpretation"][0]["coding"][0]["code"] in ("L", "N", "H")
    assert {o["interpretation"][0]["coding"][0]["code"] for o in serology} == {"L", "N", "H"}


def test_cohort_mixes_the_medication_forms_the_mapping_must_handle(
    cohort: list[CohortPatient],
) -> None:
    requests = _all(cohort, "MedicationRequest")
    assert any(
        "contained" in r and r["medicationReference"]["reference"] == "#med" for r in requests
    )
    name_only = [
        r["medicationCodeableConcept"]["text"]
        for r in requests
        if "coding" not in r.get("medicationCodeableConcept", {"coding": None})
    ]
    assert any("CellCept" in n for n in name_only)
    assert any("Mycophenolate" in n for n in name_only)
    cyc_counts = [
        d["timing"]["repeat"].get("count")
        for r in requests
        for d in r["dosageInstruction"]
        if "repeat" in d["timing"]
    ]
    assert 6 in cyc_counts
    rxnorm = {
        c["code"]
        for kind in ("MedicationRequest", "MedicationStatement", "MedicationAdministration")
        for r in _all(cohort, kind)
        for c in r.get("medicationCodeableConcept", {}).get("coding", ())
    }
    assert {"68149", "3002", "42316", "121191", "8640", "6902"} <= rxnorm
    assert _all(cohort, "MedicationStatement")
    assert _all(cohort, "MedicationAdministration")
