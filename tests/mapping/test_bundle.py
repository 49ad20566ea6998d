"""Reading input files and JSON: every Bundle type, NDJSON, and one-line InputErrors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fhir_mapping.bundle import InputError, read_resources, resources_from_json, single_patient
from fhir_mapping.extract import build_record
from fhir_mapping.record import Series
from tests.mapping.conftest import DATA


def kinds(resources: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["resourceType"], r.get("id")) for r in resources]


def test_searchset_keeps_matches_includes_and_outcomes() -> None:
    assert kinds(read_resources(DATA / "bundle-searchset.json")) == [
        ("Observation", "o1"),
        ("Patient", "p1"),
        ("OperationOutcome", None),
    ]


def test_batch_response_flattens_nested_searchsets_and_skips_bare_responses() -> None:
    assert kinds(read_resources(DATA / "bundle-batch-response.json")) == [
        ("Patient", "p1"),
        ("Observation", "o1"),
        ("Observation", "o2"),
    ]


def test_transaction_response_keeps_returned_resources() -> None:
    assert kinds(read_resources(DATA / "bundle-transaction-response.json")) == [("Patient", "p1")]


def test_document_bundle_is_read_like_a_collection() -> None:
    assert kinds(read_resources(DATA / "bundle-document.json")) == [
        ("Composition", "c1"),
        ("Patient", "p1"),
        ("Observation", "o1"),
    ]


def test_transaction_entries_without_id_are_known_by_their_urn_uuid() -> None:
    resources = read_resources(DATA / "bundle-transaction.json")
    record = build_record(resources, as_of=date(2024, 6, 30))
    assert record.patient_id == "0b4a8c9e-5f1b-4a6f-9a52-2e2e1a7d0001"
    (p,) = record.series(Series.PROTEINURIA)
    assert p.source.id == "0b4a8c9e-5f1b-4a6f-9a52-2e2e1a7d0002"


def test_transaction_reading_does_not_modify_the_input() -> None:
    entry = {"fullUrl": "urn:uuid:abc", "resource": {"resourceType": "Patient"}}
    (read,) = resources_from_json(
        {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    )
    assert read["id"] == "abc"
    assert "id" not in entry["resource"]


def test_ndjson_gives_one_resource_per_line() -> None:
    assert kinds(read_resources(DATA / "resources.ndjson")) == [
        ("Patient", "p1"),
        ("Observation", "o1"),
        ("Observation", "o2"),
    ]


def test_single_resource_and_list_of_resources_are_accepted() -> None:
    patient = {"resourceType": "Patient", "id": "p1"}
    assert resources_from_json(patient) == [patient]
    assert resources_from_json([patient, {"resourceType": "Bundle", "entry": []}]) == [patient]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-fhir.json", "not a FHIR Bundle or resource"),
        ("not-json.txt", "not-json.txt is not JSON"),
        ("bad-line.ndjson", "line 2 is not JSON"),
        ("does-not-exist.json", "cannot read does-not-exist.json"),
    ],
)
def test_unusable_files_raise_a_one_line_input_error(name: str, message: str) -> None:
    with pytest.raises(InputError) as excinfo:
        read_resources(DATA / name)
    assert str(excinfo.value) == message


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(InputError, match="empty"):
        read_resources(empty)


def test_bundle_entry_that_is_not_a_list_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"Bundle\.entry"):
        resources_from_json({"resourceType": "Bundle", "entry": {"resource": {}}})


def test_bundles_nested_without_end_are_refused() -> None:
    bundle: dict[str, object] = {"resourceType": "Bundle", "entry": []}
    for _ in range(20):
        bundle = {"resourceType": "Bundle", "entry": [{"resource": bundle}]}
    with pytest.raises(InputError, match="nested"):
        resources_from_json(bundle)


def test_single_patient_refuses_none_and_two_different_ones() -> None:
    with pytest.raises(InputError, match=r"^no Patient resource$"):
        single_patient(read_resources(DATA / "bundle-no-patient.json"))
    with pytest.raises(InputError, match=r"^two different Patient resources$"):
        single_patient(read_resources(DATA / "bundle-two-patients.json"))


def test_the_same_patient_twice_is_one_patient() -> None:
    patient = {"resourceType": "Patient", "id": "p1"}
    assert single_patient([patient, dict(patient)]) == patient


def test_input_error_messages_are_one_line() -> None:
    for name in ("not-fhir.json", "not-json.txt", "bad-line.ndjson"):
        with pytest.raises(InputError) as excinfo:
            read_resources(DATA / name)
        assert "\n" not in str(excinfo.value)
