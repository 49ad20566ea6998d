"""build_record: patient identification, notes without PHI, immutability, speed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from fhir_mapping.bundle import InputError
from fhir_mapping.extract import build_record
from fhir_mapping.fhirjson import valid_id
from fhir_mapping.notes import MESSAGES
from fhir_mapping.record import PatientRecord, Series
from tests.mapping.conftest import load, record_notes

AS_OF = date(2024, 6, 30)
FIXTURES = ["observations.json", "conditions.json", "medications.json"]


def observation(
    rid: str, on: str, code: str = "2890-2", value: float = 0.4, unit: str = "g/g"
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": on,
        "valueQuantity": {"value": value, "unit": unit},
    }


PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-02-03", "gender": "female"}


def test_without_patient_or_patient_id_raises_input_error() -> None:
    with pytest.raises(InputError, match=r"^no Patient resource$"):
        build_record([observation("o1", "2024-01-01")], as_of=AS_OF)


def test_two_different_patients_raise_input_error() -> None:
    with pytest.raises(InputError, match="two different Patient"):
        build_record([PATIENT, {**PATIENT, "id": "p2"}], as_of=AS_OF)


def test_patient_without_valid_id_raises_input_error() -> None:
    with pytest.raises(InputError, match="no valid id"):
        build_record([{"resourceType": "Patient", "id": "not an id"}], as_of=AS_OF)


def test_patient_id_without_patient_resource_gives_unknown_demographics() -> None:
    record = build_record([observation("o1", "2024-01-01")], as_of=AS_OF, patient_id="p1")
    assert (record.demographics.birth_date, record.demographics.gender) == (None, None)
    assert "no-patient-resource" in record_notes(record)
    assert len(record.series(Series.PROTEINURIA)) == 1


def test_patient_id_picks_its_patient_and_ignores_another() -> None:
    other = {**PATIENT, "id": "p2", "gender": "male"}
    record = build_record([other, PATIENT], as_of=AS_OF, patient_id="p1")
    assert record.demographics.gender == "female"
    assert any(n.code == "other-patient" and n.source and n.source.id == "p2" for n in record.notes)


def test_demographics_come_from_the_patient() -> None:
    record = build_record([PATIENT], as_of=AS_OF)
    assert record.patient_id == "p1"
    assert record.demographics.birth_date == date(1980, 2, 3)
    assert record.demographics.gender == "female"


def test_partial_birth_date_takes_its_first_day_with_a_note() -> None:
    record = build_record([{**PATIENT, "birthDate": "1980"}], as_of=AS_OF)
    assert record.demographics.birth_date == date(1980, 1, 1)
    assert any(n.code == "partial-date" for n in record.notes)


def test_resources_may_be_any_iterable_read_once() -> None:
    def gen() -> Iterator[dict[str, Any]]:
        yield PATIENT
        yield observation("o1", "2024-01-01")

    assert len(build_record(gen(), as_of=AS_OF).series(Series.PROTEINURIA)) == 1


def test_non_objects_become_notes() -> None:
    record = build_record([PATIENT, 3, "x", None, [1]], as_of=AS_OF)  # type: ignore[list-item]
    assert [n.code for n in record.notes].count("not-a-resource") == 4


def test_unknown_resource_types_are_ignored_silently() -> None:
    record = build_record([PATIENT, {"resourceType": "Encounter", "id": "e1"}], as_of=AS_OF)
    assert record.notes == ()


def test_as_of_cuts_everything_dated_later() -> None:
    resources = [PATIENT, observation("o1", "2024-01-01"), observation("o2", "2024-03-01")]
    early = build_record(resources, as_of=date(2024, 2, 1))
    assert [m.source.id for m in early.series(Series.PROTEINURIA)] == ["o1"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_notes_carry_only_fixed_messages_and_valid_ids(fixture: str) -> None:
    record = build_record(load(fixture), as_of=AS_OF)
    assert record.notes
    for n in record.notes:
        assert n.message == MESSAGES[n.code]
        assert n.source is None or valid_id(n.source.id) == n.source.id


def test_record_is_immutable() -> None:
    record = build_record([PATIENT], as_of=AS_OF)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.as_of = date(2000, 1, 1)  # type: ignore[misc]


def test_result_does_not_depend_on_todays_date() -> None:
    resources = load("observations.json") + load("medications.json")[1:]
    records: list[PatientRecord] = []
    for now in ("2024-07-01T00:00:00+14:00", "2039-12-31T23:59:00-12:00"):
        with time_machine.travel(datetime.fromisoformat(now), tick=False):
            records.append(build_record(resources, as_of=AS_OF))
    assert records[0] == records[1]


def test_ten_thousand_observations_are_mapped() -> None:
    """Ten thousand results, one per series per day. How long it takes is the benchmark's
    to measure (benchmarks/, against the JSON decode floor in the same run), not a test's."""
    start = date(2000, 1, 1)
    codes = {"2890-2": "g/g", "2160-0": "mg/dL", "8867-4": "/min", "8310-5": "Cel", "1751-7": "g/L"}
    cycle = list(codes.items())
    resources: list[dict[str, Any]] = [PATIENT]
    for i in range(10_000):
        day = (start + timedelta(days=i // 4)).isoformat()
        code, unit = cycle[i % 5]
        resources.append(observation(f"o{i}", f"{day}T08:00:00+01:00", code, 1.0, unit))
    record = build_record(resources, as_of=date(2030, 1, 1))
    assert len(record.series(Series.PROTEINURIA)) == 2000
    assert len(record.egfr) == 2000


@pytest.mark.parametrize(
    ("code", "unit", "approximation"),
    [
        ("2889-4", "g/(24.h)", "proteinuria-24h-as-ratio"),
        ("2889-4", "mg/24h", "proteinuria-24h-as-ratio"),
        ("2890-2", "mg/mmol", "proteinuria-molar-ratio-convention"),
        ("34366-5", "mg/mmol{creat}", "proteinuria-molar-ratio-convention"),
    ],
)
def test_proteinuria_approximations_are_noted_once_for_the_record(
    code: str, unit: str, approximation: str
) -> None:
    # §2 counts a 24-h protein in g/24 h as g/g and reads mg/mmol ÷ 100 (not ÷ 113.12);
    # §10 asks that approximations be noted
    resources = [
        PATIENT,
        observation("o1", "2024-01-01", code, 300.0, unit),
        observation("o2", "2024-03-01", code, 200.0, unit),
    ]
    record = build_record(resources, as_of=AS_OF)
    assert [n.code for n in record.notes] == [approximation]
    assert record.notes[0].source is None


@pytest.mark.parametrize(
    ("printed", "code", "approximation"),
    [
        # converted by the UCUM code; the printed unit is only for display
        ("mg/mmol creatinine", "mg/mmol", ["proteinuria-molar-ratio-convention"]),
        ("mg/g", "mg/mmol", ["proteinuria-molar-ratio-convention"]),
        ("mg/mmol", "mg/g", []),
    ],
)
def test_molar_ratio_convention_follows_the_unit_converted_not_the_printed_one(
    printed: str, code: str, approximation: list[str]
) -> None:
    result = observation("o1", "2024-01-01", "2890-2", 50.0, printed)
    result["valueQuantity"] |= {"system": "http://unitsofmeasure.org", "code": code}
    record = build_record([PATIENT, result], as_of=AS_OF)
    assert record.series(Series.PROTEINURIA)[0].reported_unit == printed
    assert [n.code for n in record.notes] == approximation


@pytest.mark.parametrize(
    ("code", "unit"), [("2890-2", "g/g"), ("2890-2", "mg/g"), ("13801-6", "mg/mg")]
)
def test_mass_ratios_need_no_approximation_note(code: str, unit: str) -> None:
    record = build_record([PATIENT, observation("o1", "2024-01-01", code, 0.4, unit)], as_of=AS_OF)
    assert record.notes == ()


def test_approximation_is_not_noted_for_results_after_as_of() -> None:
    resources = [PATIENT, observation("o1", "2024-01-01", "2889-4", 1.0, "g/(24.h)")]
    assert build_record(resources, as_of=date(2023, 12, 31)).notes == ()
