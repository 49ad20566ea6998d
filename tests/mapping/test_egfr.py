"""The eGFR series (clinical.md §2): CKD-EPI 2021 for adults, bedside Schwartz for children.

Reference values and their sources:
- CKD-EPI 2021, male, 55 y, Scr 1.2 mg/dL → 71 mL/min/1.73 m² (NKF eGFR calculator at
  kidney.org, as recorded in a public comparison of calculator outputs).
- Bedside Schwartz: height 100 cm, Scr 0.5 mg/dL → 82.6; height 100 cm, Scr 0.4 → 103
  (worked examples on public pediatric GFR calculator pages; the NKF page gives the formula
  0.413 × height (cm) / Scr).
Every other expectation is computed here from the published formula (Inker, NEJM
2021;385:1737), written independently of the package's code.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from fhir_mapping.egfr import (
    BEDSIDE_SCHWARTZ,
    CKD_EPI_2021,
    age_in_completed_years,
    bedside_schwartz,
    ckd_epi_2021,
)
from fhir_mapping.extract import build_record
from fhir_mapping.record import PatientRecord, Source

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def formula(scr: float, age: int, sex: str) -> float:
    """Inker 2021, term by term (κ, α and the sex factor from the paper's table)."""
    if sex == "female":
        kappa, alpha, sex_factor = 0.7, -0.241, 1.012
    else:
        kappa, alpha, sex_factor = 0.9, -0.302, 1.0
    low = min(scr / kappa, 1) ** alpha
    high = max(scr / kappa, 1) ** -1.2
    return float(142 * low * high * 0.9938**age * sex_factor)


def test_ckd_epi_2021_matches_the_nkf_calculator_example() -> None:
    assert round(ckd_epi_2021(1.2, 55, female=False)) == 71


@pytest.mark.parametrize(
    ("scr", "age", "sex"),
    [
        (0.5, 25, "female"),
        (0.7, 40, "female"),
        (1.0, 50, "female"),
        (3.4, 70, "female"),
        (0.6, 18, "male"),
        (0.9, 45, "male"),
        (1.2, 55, "male"),
        (6.0, 80, "male"),
    ],
)
def test_ckd_epi_2021_follows_the_published_formula(scr: float, age: int, sex: str) -> None:
    assert math.isclose(ckd_epi_2021(scr, age, female=sex == "female"), formula(scr, age, sex))


def test_ckd_epi_2021_at_the_kappa_knot_is_142_times_age_and_sex_factors() -> None:
    assert math.isclose(ckd_epi_2021(0.7, 30, female=True), 142 * 0.9938**30 * 1.012)
    assert math.isclose(ckd_epi_2021(0.9, 30, female=False), 142 * 0.9938**30)


@pytest.mark.parametrize(("height", "scr", "expected"), [(100, 0.5, 82.6), (100, 0.4, 103.25)])
def test_bedside_schwartz_matches_published_examples(
    height: float, scr: float, expected: float
) -> None:
    assert math.isclose(bedside_schwartz(height, scr), expected)


@pytest.mark.parametrize(
    ("birth", "on", "years"),
    [
        (date(2000, 6, 15), date(2018, 6, 14), 17),
        (date(2000, 6, 15), date(2018, 6, 15), 18),
        (date(2004, 2, 29), date(2022, 2, 28), 17),
        (date(2004, 2, 29), date(2022, 3, 1), 18),
    ],
)
def test_age_is_in_completed_years(birth: date, on: date, years: int) -> None:
    assert age_in_completed_years(birth, on) == years


def patient(birth: str | None = "1969-03-01", gender: str | None = "male") -> dict[str, object]:
    p: dict[str, object] = {"resourceType": "Patient", "id": "p"}
    if birth:
        p["birthDate"] = birth
    if gender:
        p["gender"] = gender
    return p


def lab(rid: str, code: str, on: str, value: float, unit: str) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": on,
        "valueQuantity": {"value": value, "system": UCUM, "code": unit, "unit": unit},
    }


def scr(rid: str, on: str, value: float) -> dict[str, object]:
    return lab(rid, "2160-0", on, value, "mg/dL")


def reported(rid: str, on: str, value: float, code: str = "98979-8") -> dict[str, object]:
    return lab(rid, code, on, value, "mL/min/{1.73_m2}")


def height(rid: str, on: str, cm: float) -> dict[str, object]:
    return lab(rid, "8302-2", on, cm, "cm")


def build(*resources: dict[str, object], as_of: date = date(2024, 12, 31)) -> PatientRecord:
    return build_record(list(resources), as_of=as_of)


def test_computed_adult_point_records_provenance() -> None:
    record = build(patient(), scr("s1", "2024-03-01", 1.2))
    (point,) = record.egfr
    assert point.computed
    assert point.equation == CKD_EPI_2021
    assert point.sources == (Source("Observation", "s1"),)
    assert (point.creatinine_mg_dl, point.age_years) == (1.2, 55)
    assert round(point.value) == 71


def test_age_is_taken_on_the_creatinine_date() -> None:
    record = build(patient(birth="1969-03-02"), scr("s1", "2024-03-01", 1.2))
    assert record.egfr[0].age_years == 54


def test_computed_value_wins_over_a_reported_one_on_the_same_date() -> None:
    record = build(patient(), scr("s1", "2024-03-01", 1.2), reported("e1", "2024-03-01", 90))
    (point,) = record.egfr
    assert point.computed
    assert point.sources == (Source("Observation", "s1"),)


def test_dates_without_creatinine_take_the_reported_egfr_and_get_a_mixing_note() -> None:
    record = build(
        patient(),
        scr("s1", "2024-03-01", 1.2),
        reported("e1", "2024-04-01", 64),
        reported("e2", "2024-05-01", 61, code="62238-1"),
    )
    assert [(p.date.month, p.computed, p.equation) for p in record.egfr] == [
        (3, True, CKD_EPI_2021),
        (4, False, "CKD-EPI 2021"),
        (5, False, "CKD-EPI 2009"),
    ]
    assert record.egfr[1].value == 64
    assert record.egfr[1].sources == (Source("Observation", "e1"),)
    assert "egfr-mixed-equations" in {n.code for n in record.notes}


def test_reported_point_keeps_the_value_unit_and_comparator_as_written() -> None:
    gfr = reported("e1", "2024-04-01", 90)
    gfr["valueQuantity"] = {
        "value": 90,
        "comparator": ">",
        "unit": "mL/min/1.73 m2",
        "system": UCUM,
        "code": "mL/min/{1.73_m2}",
    }
    (point,) = build(patient(), gfr).egfr
    assert (point.value, point.reported_value, point.reported_unit, point.comparator) == (
        90,
        "90",
        "mL/min/1.73 m2",
        ">",
    )


def test_computed_point_has_no_reported_value() -> None:
    (point,) = build(patient(), scr("s1", "2024-03-01", 1.2)).egfr
    assert (point.reported_value, point.reported_unit, point.comparator) == (None, None, None)


def test_one_equation_throughout_gets_no_mixing_note() -> None:
    record = build(patient(), scr("s1", "2024-03-01", 1.2), scr("s2", "2024-04-01", 1.3))
    assert "egfr-mixed-equations" not in {n.code for n in record.notes}


@pytest.mark.parametrize(
    ("pat", "reason"),
    [
        (patient(gender="unknown"), "egfr-no-sex"),
        (patient(gender=None), "egfr-no-sex"),
        (patient(birth=None), "egfr-no-birthdate"),
    ],
)
def test_adult_egfr_needs_birthdate_and_male_or_female(pat: dict[str, object], reason: str) -> None:
    record = build(pat, scr("s1", "2024-03-01", 1.2), reported("e1", "2024-03-01", 70))
    (point,) = record.egfr
    assert not point.computed  # the reported value on that date is used instead
    assert reason in {n.code for n in record.notes if n.source is None}


def test_child_uses_bedside_schwartz_with_the_closest_height_within_180_days() -> None:
    record = build(
        patient(birth="2012-05-01", gender="female"),
        height("h-far", "2023-01-01", 140.0),
        height("h-near", "2024-02-20", 150.0),
        height("h-after", "2024-04-30", 152.0),
        scr("s1", "2024-03-01", 0.6),
    )
    (point,) = record.egfr
    assert point.equation == BEDSIDE_SCHWARTZ
    assert point.age_years == 11
    assert math.isclose(point.value, 0.413 * 150.0 / 0.6)
    assert point.sources == (Source("Observation", "s1"), Source("Observation", "h-near"))


def test_height_tie_takes_the_earlier_height() -> None:
    record = build(
        patient(birth="2012-05-01"),
        height("h-before", "2024-02-20", 150.0),
        height("h-after", "2024-03-11", 151.0),
        scr("s1", "2024-03-01", 0.6),
    )
    assert record.egfr[0].sources[1] == Source("Observation", "h-before")


def test_child_without_height_in_window_gets_no_computed_egfr() -> None:
    record = build(
        patient(birth="2012-05-01"),
        height("h-old", "2023-08-01", 150.0),  # 213 days before
        scr("s1", "2024-03-01", 0.6),
    )
    assert record.egfr == ()
    assert "egfr-no-height" in {n.code for n in record.notes}


def test_eighteenth_birthday_switches_to_ckd_epi() -> None:
    record = build(
        patient(birth="2006-03-01", gender="male"),
        height("h", "2024-02-01", 175.0),
        scr("s-17", "2024-02-29", 0.9),
        scr("s-18", "2024-03-01", 0.9),
    )
    assert [p.equation for p in record.egfr] == [BEDSIDE_SCHWARTZ, CKD_EPI_2021]


def test_creatinine_of_zero_gives_no_egfr() -> None:
    record = build(patient(), scr("s0", "2024-03-01", 0))
    assert record.egfr == ()
    assert "egfr-creatinine-not-positive" in {n.code for n in record.notes}


def test_race_is_never_read() -> None:
    race_extension = {
        "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
        "extension": [{"url": "text", "valueString": "Black or African American"}],
    }
    with_race = {**patient(), "extension": [race_extension]}
    a = build(with_race, scr("s1", "2024-03-01", 1.2)).egfr[0].value
    b = build(patient(), scr("s1", "2024-03-01", 1.2)).egfr[0].value
    assert a == b
