"""Conditions → SLE, LN (classes I–VI) and kidney failure (clinical.md §2).

Fixtures: data/conditions.json (one Condition per case, id naming it) and the two
data/conditions-n085-*.json records for the ICD-10 N08.5 rule.
"""

from __future__ import annotations

from datetime import date

import pytest

from fhir_mapping.extract import build_record
from fhir_mapping.record import PatientRecord
from tests.mapping.conftest import load, notes_for

AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def record() -> PatientRecord:
    return build_record(load("conditions.json"), as_of=AS_OF)


def ids(facts: tuple[object, ...]) -> set[str]:
    return {f.source.id for f in facts}  # type: ignore[attr-defined]


def test_ln_conditions_are_those_with_an_ln_code(record: PatientRecord) -> None:
    assert ids(record.ln_conditions) == {
        "ln-class-iv-and-v",
        "ln-class-i",
        "ln-class-ii",
        "ln-class-iii",
        "ln-class-vi",
        "ln-icd10cm-m32-14",
        "ln-unconfirmed",
        "ln-recorded-date",
        "ln-onset-period",
        "ln-resolved",
        "ln-partial-onset",
    }


def test_every_ln_code_also_counts_as_sle(record: PatientRecord) -> None:
    assert ids(record.ln_conditions) <= ids(record.sle_conditions)
    assert {"sle-snomed", "sle-icd10cm-m32-19", "sle-icd10cm-without-dot"} <= ids(
        record.sle_conditions
    )


def test_a_condition_records_every_ln_class_it_names(record: PatientRecord) -> None:
    fact = next(f for f in record.ln_conditions if f.source.id == "ln-class-iv-and-v")
    assert fact.ln_classes == ("IV", "V")
    assert fact.codes == ("http://snomed.info/sct|36402006", "http://snomed.info/sct|52042003")


def test_record_lists_every_class_present_in_order(record: PatientRecord) -> None:
    assert record.ln_classes == ("I", "II", "III", "IV", "V", "VI")


def test_icd_code_is_reported_as_written(record: PatientRecord) -> None:
    fact = next(f for f in record.ln_conditions if f.source.id == "ln-icd10cm-m32-14")
    assert fact.codes == ("http://hl7.org/fhir/sid/icd-10-cm|M32.14",)


@pytest.mark.parametrize("rid", ["ln-refuted", "ln-entered-in-error"])
def test_refuted_or_entered_in_error_conditions_do_not_count(
    record: PatientRecord, rid: str
) -> None:
    assert rid not in ids(record.sle_conditions)
    assert notes_for(record, rid) == {"condition-refuted"}


def test_unconfirmed_condition_counts(record: PatientRecord) -> None:
    assert "ln-unconfirmed" in ids(record.ln_conditions)


def test_condition_with_onset_after_as_of_is_not_yet_known(record: PatientRecord) -> None:
    assert "ln-onset-after-as-of" not in ids(record.sle_conditions)


@pytest.mark.parametrize(
    ("rid", "expected"),
    [
        ("ln-class-iv-and-v", date(2023, 9, 12)),
        ("ln-recorded-date", date(2020, 5, 5)),
        ("ln-onset-period", date(2021, 2, 3)),
        ("ln-partial-onset", date(2011, 7, 1)),
        ("ln-class-vi", date(2019, 1, 1)),
    ],
)
def test_condition_date_is_onset_else_recorded_date(
    record: PatientRecord, rid: str, expected: date
) -> None:
    fact = next(f for f in record.ln_conditions if f.source.id == rid)
    assert fact.date == expected


def test_partial_onset_gets_a_note(record: PatientRecord) -> None:
    assert notes_for(record, "ln-partial-onset") == {"partial-date"}


def test_ln_in_remission_is_still_ln(record: PatientRecord) -> None:
    fact = next(f for f in record.ln_conditions if f.source.id == "ln-resolved")
    assert fact.clinical_status == "resolved"


@pytest.mark.parametrize("rid", ["dil-snomed", "dil-with-sle-code"])
def test_drug_induced_lupus_is_not_sle(record: PatientRecord, rid: str) -> None:
    assert rid not in ids(record.sle_conditions)
    assert notes_for(record, rid) == {"drug-induced-lupus"}


def test_kidney_failure_needs_active_recurrence_relapse_or_no_clinical_status(
    record: PatientRecord,
) -> None:
    assert ids(record.kidney_failure_conditions) == {
        "kf-esrd-active",
        "kf-n186-no-status",
        "kf-transplant-relapse",
        "kf-ckd5-recurrence",
    }
    assert notes_for(record, "kf-dialysis-resolved") == {"kidney-failure-not-active"}


def test_other_patients_conditions_are_ignored(record: PatientRecord) -> None:
    assert "other-patient-sle" not in ids(record.sle_conditions)
    assert notes_for(record, "other-patient-sle") == {"other-patient"}


def test_unrelated_conditions_leave_no_trace(record: PatientRecord) -> None:
    assert notes_for(record, "hypertension") == set()


def test_icd10_n08_5_is_ln_when_the_record_has_icd10_m32_1() -> None:
    record = build_record(load("conditions-n085-with-m321.json"), as_of=AS_OF)
    assert ids(record.ln_conditions) == {"n085"}
    assert ids(record.sle_conditions) == {"n085", "m321"}


def test_icd10_n08_5_alone_is_not_ln_even_with_icd10cm_m32_1x() -> None:
    record = build_record(load("conditions-n085-alone.json"), as_of=AS_OF)
    assert record.ln_conditions == ()
    assert notes_for(record, "n085") == {"ln-icd10-n085-without-m321"}
    assert record.has_sle


def _esrd_with_status(codings: list[dict[str, str]]) -> PatientRecord:
    condition = {
        "resourceType": "Condition",
        "id": "kf",
        "clinicalStatus": {"coding": codings},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "46177005"}]},
        "subject": {"reference": "Patient/p1"},
    }
    return build_record([{"resourceType": "Patient", "id": "p1"}, condition], as_of=AS_OF)


CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


@pytest.mark.parametrize(
    "codings",
    [
        # a second (local) coding sorts first: the FHIR "active" must still be seen
        [{"system": CLINICAL, "code": "active"}, {"system": "urn:local", "code": "Active"}],
        [{"system": "urn:local", "code": "ACTIVE"}, {"system": CLINICAL, "code": "relapse"}],
        [{"system": CLINICAL, "code": "Active"}],  # the right word, the wrong case
    ],
)
def test_kidney_failure_counts_when_any_clinical_status_coding_says_active(
    codings: list[dict[str, str]],
) -> None:
    # a dialysis patient missed here could be shown a remission card
    record = _esrd_with_status(codings)
    assert ids(record.kidney_failure_conditions) == {"kf"}
    assert notes_for(record, "kf") == set()


def test_kidney_failure_with_only_an_inactive_clinical_status_does_not_count() -> None:
    record = _esrd_with_status([{"system": CLINICAL, "code": "inactive"}])
    assert record.kidney_failure_conditions == ()
    assert notes_for(record, "kf") == {"kidney-failure-not-active"}
