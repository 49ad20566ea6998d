"""Medication records and courses (clinical.md §2 "Medications").

Fixture: data/medications.json (one record per case, id naming it), as of 2024-06-30.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fhir_mapping.extract import build_record
from fhir_mapping.medications import build_courses
from fhir_mapping.record import DrugClass, MedicationRecord, PatientRecord, Source
from tests.mapping.conftest import load, notes_for

AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def record() -> PatientRecord:
    return build_record(load("medications.json"), as_of=AS_OF)


def med(record: PatientRecord, rid: str) -> MedicationRecord:
    (found,) = [m for m in record.medications if m.source.id == rid]
    return found


def test_counting_records_are_exactly_these(record: PatientRecord) -> None:
    assert {m.source.id for m in record.medications} == {
        "mmf-request-bid-1g",
        "mmf-request-repeat",
        "tac-statement-scd-display",
        "cyc-admin-1",
        "cyc-admin-2",
        "cyc-request-count",
        "rituximab-supplied-reference",
        "belimumab-brand",
        "pred-dose-unknown",
        "pred-dose-per-kg",
        "mpred-expected-supply",
        "pred-weekly-code",
        "mmf-admin-am",
        "mmf-admin-pm",
        "mmf-end-before-start",
        "pred-oral-route",
    }


@pytest.mark.parametrize(
    ("rid", "drug_class", "ingredient"),
    [
        ("mmf-request-bid-1g", DrugClass.MPAA, "mycophenolate mofetil"),
        ("mmf-request-repeat", DrugClass.MPAA, "mycophenolate mofetil"),
        ("tac-statement-scd-display", DrugClass.CNI, "tacrolimus"),
        ("cyc-admin-1", DrugClass.CYC, "cyclophosphamide"),
        ("cyc-request-count", DrugClass.CYC, "cyclophosphamide"),
        ("rituximab-supplied-reference", DrugClass.BIOLOGIC, "rituximab"),
        ("belimumab-brand", DrugClass.BIOLOGIC, "belimumab"),
        ("pred-dose-unknown", DrugClass.GLUCOCORTICOID, "prednisone"),
        ("mpred-expected-supply", DrugClass.GLUCOCORTICOID, "methylprednisolone"),
    ],
)
def test_drug_is_matched_by_rxnorm_code_name_brand_or_reference(
    record: PatientRecord, rid: str, drug_class: DrugClass, ingredient: str
) -> None:
    m = med(record, rid)
    assert (m.drug_class, m.ingredient) == (drug_class, ingredient)


@pytest.mark.parametrize(
    ("rid", "start", "end"),
    [
        ("mmf-request-bid-1g", date(2024, 1, 5), AS_OF),  # active, open: runs to as_of
        ("mmf-request-repeat", date(2023, 1, 1), date(2023, 3, 1)),  # validityPeriod
        ("tac-statement-scd-display", date(2024, 2, 1), AS_OF),  # end clipped to as_of
        ("cyc-request-count", date(2023, 6, 1), date(2023, 6, 1)),  # completed, no end: a day
        ("belimumab-brand", date(2023, 5, 1), date(2023, 11, 1)),  # effectivePeriod
        ("mpred-expected-supply", date(2024, 2, 1), date(2024, 2, 4)),  # start + supply
        ("cyc-admin-1", date(2024, 1, 10), date(2024, 1, 10)),
        ("mmf-end-before-start", date(2024, 3, 10), date(2024, 3, 10)),
    ],
)
def test_record_span_follows_the_start_and_end_rules(
    record: PatientRecord, rid: str, start: date, end: date
) -> None:
    m = med(record, rid)
    assert (m.start, m.end) == (start, end)


def test_end_before_start_gets_a_note(record: PatientRecord) -> None:
    assert notes_for(record, "mmf-end-before-start") == {"medication-end-before-start"}


@pytest.mark.parametrize(
    ("rid", "mg"),
    [
        ("mmf-request-bid-1g", 2000.0),  # 1 g × BID
        ("mmf-request-repeat", 1500.0),  # 500 × 2/d + 500 × 1/d, summed over lines
        ("tac-statement-scd-display", 4.0),  # 2 mg every 12 h
        ("mpred-expected-supply", 500.0),  # QD
        ("cyc-request-count", 500 / 14),  # 500 mg once every 2 weeks
        ("pred-dose-unknown", None),  # no doseQuantity: text is not parsed
        ("pred-dose-per-kg", None),  # mg/kg is not mg
        ("pred-weekly-code", None),  # timing code other than QD/BID/TID/QID
        ("rituximab-supplied-reference", None),  # no dosage at all
    ],
)
def test_daily_dose_is_dose_times_frequency_over_period(
    record: PatientRecord, rid: str, mg: float | None
) -> None:
    assert med(record, rid).daily_dose_mg == (pytest.approx(mg) if mg is not None else None)


def test_unknown_dose_reasons_are_noted(record: PatientRecord) -> None:
    assert notes_for(record, "pred-dose-per-kg") == {"dose-unit"}
    assert notes_for(record, "pred-weekly-code") == {"dose-timing"}
    assert notes_for(record, "pred-dose-unknown") == set()


def test_administration_daily_dose_is_the_days_total(record: PatientRecord) -> None:
    assert med(record, "mmf-admin-am").daily_dose_mg == 2000.0
    assert med(record, "mmf-admin-pm").daily_dose_mg == 2000.0
    assert med(record, "cyc-admin-2").daily_dose_mg == 750.0


@pytest.mark.parametrize(
    ("rid", "count"),
    [
        ("cyc-admin-1", 1),
        ("cyc-request-count", 6),
        ("belimumab-brand", 1),
        ("mmf-request-bid-1g", 1),
    ],
)
def test_dose_count(record: PatientRecord, rid: str, count: int) -> None:
    assert med(record, rid).dose_count == count


@pytest.mark.parametrize(
    ("rid", "reason"),
    [
        ("mmf-draft", {"medication-status"}),
        ("rituximab-do-not-perform", {"medication-do-not-perform"}),
        # local (non-systemic) forms: by name, brand, dose form or route
        ("tac-ointment-text", {"medication-local-form"}),
        ("csa-eye-emulsion-brand", {"medication-local-form"}),
        ("pred-ophthalmic-route", {"medication-local-form"}),
        ("mpred-topical-route-text", {"medication-local-form"}),
        ("tac-contained-ointment-form", {"medication-local-form"}),
        ("mmf-statement-intended", {"medication-status"}),
        ("mmf-admin-in-progress", {"medication-status"}),
        ("mmf-unresolved-reference", {"medication-unresolved"}),
        ("mmf-other-patient", {"other-patient"}),
        ("mmf-statement-no-start", {"medication-no-start"}),
        ("mmf-starts-after-as-of", set()),
        ("lisinopril", set()),
        ("hydroxychloroquine", set()),
    ],
)
def test_records_that_do_not_count(record: PatientRecord, rid: str, reason: set[str]) -> None:
    assert rid not in {m.source.id for m in record.medications}
    assert notes_for(record, rid) == reason


def test_courses_join_same_class_records_within_90_days(record: PatientRecord) -> None:
    mpaa = [c for c in record.courses if c.drug_class is DrugClass.MPAA]
    assert [(c.start, c.end) for c in mpaa] == [
        (date(2023, 1, 1), date(2023, 3, 1)),
        (date(2024, 1, 5), AS_OF),
    ]
    assert {s.id for s in mpaa[1].sources} == {
        "mmf-request-bid-1g",
        "mmf-end-before-start",
        "mmf-admin-am",
        "mmf-admin-pm",
    }


def test_courses_are_sorted_by_start(record: PatientRecord) -> None:
    starts = [c.start for c in record.courses]
    assert starts == sorted(starts)


def rec(
    rid: str, start: date, end: date, drug_class: DrugClass = DrugClass.CNI
) -> MedicationRecord:
    return MedicationRecord(
        source=Source("MedicationRequest", rid),
        drug_class=drug_class,
        ingredient="tacrolimus",
        start=start,
        end=end,
        daily_dose_mg=None,
        dose_count=1,
        status="completed",
    )


def test_gap_of_exactly_90_days_joins_and_91_splits() -> None:
    first = rec("a", date(2024, 1, 1), date(2024, 2, 1))
    joined = rec("b", date(2024, 2, 1) + timedelta(days=90), date(2024, 6, 1))
    split = rec("c", date(2024, 6, 1) + timedelta(days=91), date(2024, 9, 30))
    courses = build_courses([split, joined, first])
    assert [[r.source.id for r in c.records] for c in courses] == [["a", "b"], ["c"]]


def test_gap_is_measured_from_the_running_end_not_the_last_record() -> None:
    long = rec("long", date(2024, 1, 1), date(2024, 12, 31))
    short = rec("short", date(2024, 2, 1), date(2024, 2, 2))
    later = rec("later", date(2025, 3, 1), date(2025, 3, 2))  # 60 days after the running end
    (course,) = build_courses([long, short, later])
    assert (course.start, course.end) == (date(2024, 1, 1), date(2025, 3, 2))


def test_different_classes_never_join() -> None:
    a = rec("a", date(2024, 1, 1), date(2024, 2, 1), DrugClass.CNI)
    b = rec("b", date(2024, 1, 1), date(2024, 2, 1), DrugClass.MPAA)
    assert len(build_courses([a, b])) == 2
