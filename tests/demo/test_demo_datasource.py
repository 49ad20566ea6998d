"""DemoDataSource answers the hook's relative FHIR queries from the in-memory cohort."""

from __future__ import annotations

from typing import Any

import pytest

from cds.datasources.base import PatientDataSource
from cds.datasources.demo import CohortIndex, DemoDataSource
from cds.demo import CohortPatient

LOINC = "http://loinc.org"
SUBJECT = {"reference": "Patient/p1"}


def _obs(
    obs_id: str, code: str, when: str, *, system: str = LOINC, period: bool = False
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": SUBJECT,
    }
    if period:
        resource["effectivePeriod"] = {"start": "2026-01-01T08:00:00Z", "end": when}
    else:
        resource["effectiveDateTime"] = when
    return resource


@pytest.fixture
def source() -> DemoDataSource:
    """A two-patient index small enough to reason about in each test."""
    resources = [
        {"resourceType": "Patient", "id": "p1"},
        {"resourceType": "Patient", "id": "p2"},
        _obs("upcr-old", "2890-2", "2025-06-01T09:00:00-05:00"),
        _obs("upcr-new", "2890-2", "2026-03-01T09:00:00-05:00"),
        _obs("prot24", "2889-4", "2026-01-02T08:00:00Z", period=True),
        _obs("scr", "2160-0", "2025-12-01"),
        _obs("local-2890-2", "2890-2", "2026-02-01", system="http://lab.example/codes"),
        {
            "resourceType": "Condition",
            "id": "sle",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "55464009"}]},
            "subject": SUBJECT,
        },
        {
            "resourceType": "MedicationRequest",
            "id": "mmf",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "mycophenolate"},
            "subject": SUBJECT,
        },
        {
            "resourceType": "Observation",
            "id": "p2-obs",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "2890-2"}]},
            "subject": {"reference": "Patient/p2"},
        },
    ]
    return DemoDataSource(CohortIndex(resources))


def _ids(source: DemoDataSource, query: str) -> list[str]:
    outcome = source.fetch({"k": query}, budget_seconds=5)
    assert outcome.failures == {}
    return [r["id"] for r in outcome.results["k"].resources]


def _failure(source: DemoDataSource, query: str) -> str:
    outcome = source.fetch({"k": query}, budget_seconds=5)
    assert outcome.results == {}
    assert outcome.failures["k"].key == "k"
    return outcome.failures["k"].reason


def test_demo_source_satisfies_the_data_source_protocol(source: DemoDataSource) -> None:
    as_protocol: PatientDataSource = source
    assert as_protocol.fetch({}, budget_seconds=1).results == {}


def test_patient_read_returns_the_one_patient(source: DemoDataSource) -> None:
    outcome = source.fetch({"patient": "Patient/p1"}, budget_seconds=5)
    result = outcome.results["patient"]
    assert result.key == "patient"
    assert [r["id"] for r in result.resources] == ["p1"]
    assert result.requests_made == 0


def test_read_of_an_unknown_patient_is_a_failure_for_that_key(source: DemoDataSource) -> None:
    assert "not found" in _failure(source, "Patient/nobody")


def test_search_for_an_unknown_patient_finds_nothing(source: DemoDataSource) -> None:
    assert _ids(source, "Observation?patient=nobody&code=http://loinc.org|2890-2") == []


def test_observation_search_returns_any_of_the_listed_codes(source: DemoDataSource) -> None:
    ids = _ids(
        source, "Observation?patient=p1&code=http://loinc.org|2890-2,http://loinc.org|2889-4"
    )
    assert sorted(ids) == ["prot24", "upcr-new", "upcr-old"]


def test_code_with_a_system_does_not_match_the_same_code_in_another_system(
    source: DemoDataSource,
) -> None:
    assert "local-2890-2" not in _ids(source, "Observation?patient=p1&code=http://loinc.org|2890-2")


def test_code_without_a_system_matches_the_code_in_any_system(source: DemoDataSource) -> None:
    assert sorted(_ids(source, "Observation?patient=p1&code=2890-2")) == [
        "local-2890-2",
        "upcr-new",
        "upcr-old",
    ]


def test_system_only_token_matches_every_code_of_that_system(source: DemoDataSource) -> None:
    assert _ids(source, "Observation?patient=p1&code=http://lab.example/codes|") == ["local-2890-2"]


def test_sort_minus_date_returns_newest_first_dating_periods_by_their_end(
    source: DemoDataSource,
) -> None:
    ids = _ids(source, "Observation?patient=p1&code=2890-2,2889-4,2160-0&_sort=-date")
    assert ids == ["upcr-new", "local-2890-2", "prot24", "scr", "upcr-old"]


def test_sort_date_returns_oldest_first(source: DemoDataSource) -> None:
    assert _ids(source, "Observation?patient=p1&code=2890-2&_sort=date")[0] == "upcr-old"


def test_patient_parameter_accepts_a_reference_and_subject_is_a_synonym(
    source: DemoDataSource,
) -> None:
    plain = _ids(source, "Condition?patient=p1")
    assert plain == ["sle"]
    assert _ids(source, "Condition?patient=Patient/p1") == plain
    assert _ids(source, "Condition?subject=Patient/p1") == plain
    assert _ids(source, "Condition?subject=p1") == plain


def test_count_is_ignored_and_every_match_returned(source: DemoDataSource) -> None:
    assert len(_ids(source, "Observation?patient=p1&code=2890-2&_count=1")) == 3


def test_url_encoded_query_is_decoded(source: DemoDataSource) -> None:
    ids = _ids(source, "Observation?patient=Patient%2Fp1&code=http%3A%2F%2Floinc.org%7C2160-0")
    assert ids == ["scr"]


def test_medication_searches_are_scoped_to_the_patient(source: DemoDataSource) -> None:
    assert _ids(source, "MedicationRequest?patient=p1") == ["mmf"]
    assert _ids(source, "MedicationRequest?patient=p2") == []
    assert _ids(source, "MedicationStatement?patient=p1") == []
    assert _ids(source, "MedicationAdministration?patient=p1") == []


def test_status_and_category_filter_like_token_searches(source: DemoDataSource) -> None:
    assert _ids(source, "MedicationRequest?patient=p1&status=active,completed") == ["mmf"]
    assert _ids(source, "MedicationRequest?patient=p1&status=stopped") == []
    lab = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
    assert _ids(source, f"Observation?patient=p1&code=2160-0&category={lab}") == ["scr"]
    assert _ids(source, "Observation?patient=p1&code=2160-0&category=vital-signs") == []


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("Observation?patient=p1&date=ge2026-01-01", "unsupported search parameter: date"),
        ("Observation?code=2890-2", "patient"),
        ("Encounter?patient=p1", "cannot search Encounter"),
        ("Observation?patient=Group/g1", "must reference a Patient"),
        ("Observation?patient=p1&_sort=-_lastUpdated", "unsupported sort"),
        ("Patient/p1/_history/1", "unsupported query form"),
    ],
)
def test_queries_the_demo_cannot_answer_fail_with_a_reason(
    source: DemoDataSource, query: str, reason: str
) -> None:
    assert reason in _failure(source, query)


def test_one_fetch_answers_several_keys_and_fails_only_the_bad_ones(source: DemoDataSource) -> None:
    outcome = source.fetch(
        {
            "patient": "Patient/p1",
            "conditions": "Condition?patient=p1",
            "missing": "Patient/nobody",
        },
        budget_seconds=5,
    )
    assert set(outcome.results) == {"patient", "conditions"}
    assert set(outcome.failures) == {"missing"}


def test_results_are_copies_so_callers_cannot_alter_the_cohort(source: DemoDataSource) -> None:
    first = source.fetch({"k": "Condition?patient=p1"}, budget_seconds=5).results["k"]
    first.resources[0]["code"]["coding"].clear()
    again = source.fetch({"k": "Condition?patient=p1"}, budget_seconds=5).results["k"]
    assert again.resources[0]["code"]["coding"] != []


def test_default_source_serves_every_cohort_patient_with_their_whole_bundle(
    cohort: list[CohortPatient],
) -> None:
    source = DemoDataSource()
    assert source.patient_ids == tuple(p.id for p in cohort)
    for patient in cohort:
        pid = patient.id
        queries = {
            "patient": f"Patient/{pid}",
            "conditions": f"Condition?patient={pid}",
            "observations": f"Observation?patient={pid}",
            "requests": f"MedicationRequest?patient={pid}",
            "statements": f"MedicationStatement?patient={pid}",
            "administrations": f"MedicationAdministration?patient={pid}",
        }
        outcome = source.fetch(queries, budget_seconds=5)
        assert outcome.failures == {}
        served = sorted(
            (r["resourceType"], r["id"]) for res in outcome.results.values() for r in res.resources
        )
        assert served == sorted((r["resourceType"], r["id"]) for r in patient.resources())


def test_default_source_runs_the_hooks_proteinuria_query_newest_first() -> None:
    query = (
        "Observation?patient=ln-demo-07&code=http://loinc.org|13801-6,http://loinc.org|2889-4,"
        "http://loinc.org|2890-2&_sort=-date&_count=100"
    )
    outcome = DemoDataSource().fetch({"p": query}, budget_seconds=5)
    found = outcome.results["p"].resources
    assert [r["valueQuantity"]["value"] for r in found] == [1400, 1500, 1800, 2700, 3600, 4500]


def test_default_sources_share_one_index() -> None:
    assert DemoDataSource()._index is DemoDataSource()._index
