"""Every unit conversion of clinical.md §2, pinned, and cross-checked with pint where physical.

The published conventions that are not physical conversions (UPCR mg/mmol ÷ 100 instead of
the molar 113.12, UACR mg/mmol × 8.84, 24-h protein g/24 h counted as g/g) are pinned by
literal values only.
"""

from __future__ import annotations

import math

import pint
import pytest

from fhir_mapping.units import (
    Normalised,
    Refused,
    days_of,
    mg_of_dose,
    normalise_count,
    normalise_quantity,
)
from fhir_mapping.valuesets import UCUM, UNIT_GROUPS

UREG: pint.UnitRegistry = pint.UnitRegistry()  # type: ignore[type-arg]
CREATININE_G_PER_MOL = 113.12


def ucum(value: float, code: str, **extra: object) -> dict[str, object]:
    return {"value": value, "system": UCUM, "code": code, "unit": code, **extra}


def printed(value: float, unit: str) -> dict[str, object]:
    return {"value": value, "unit": unit}


def normalised(quantity: dict[str, object], group: str) -> Normalised:
    result = normalise_quantity(quantity, UNIT_GROUPS[group])
    assert isinstance(result, Normalised), result
    return result


# (group, UCUM code, reported value, expected canonical value)
CONVERSIONS = [
    ("protein_ratio", "g/g", 0.5, 0.5),
    ("protein_ratio", "g/g{creat}", 0.5, 0.5),
    ("protein_ratio", "mg/mg", 1.2, 1.2),
    ("protein_ratio", "mg/mg{creat}", 1.2, 1.2),
    ("protein_ratio", "mg/g", 500, 0.5),
    ("protein_ratio", "mg/g{creat}", 3000, 3.0),
    ("protein_ratio", "mg/mmol", 50, 0.5),
    ("protein_ratio", "mg/mmol{creat}", 300, 3.0),
    ("protein_ratio", "mg/mmol{creat}", 100, 1.0),
    ("protein_ratio", "mg/mmol{creat}", 200, 2.0),
    ("protein_ratio", "mg/mmol{creat}", 500, 5.0),
    ("protein_ratio", "g/mol{creat}", 50, 0.5),
    ("protein_ratio", "g/mol", 50, 0.5),
    ("protein_ratio", "g/mmol", 0.05, 0.5),
    ("protein_ratio", "g/mmol{creat}", 0.05, 0.5),
    ("protein_24h", "g/(24.h)", 1.5, 1.5),
    ("protein_24h", "g/d", 1.5, 1.5),
    ("protein_24h", "mg/(24.h)", 1500, 1.5),
    ("protein_24h", "mg/d", 800, 0.8),
    ("albumin_ratio", "mg/g", 30, 30),
    ("albumin_ratio", "mg/g{creat}", 30, 30),
    ("albumin_ratio", "ug/mg", 30, 30),
    ("albumin_ratio", "ug/mg{creat}", 30, 30),
    ("albumin_ratio", "g/g", 0.03, 30),
    ("albumin_ratio", "mg/mg", 0.03, 30),
    ("albumin_ratio", "mg/mmol{creat}", 3, 26.52),
    ("albumin_ratio", "mg/mmol", 10, 88.4),
    ("creatinine", "mg/dL", 1.1, 1.1),
    ("creatinine", "umol/L", 88.4, 1.0),
    ("creatinine", "umol/L", 177, 177 / 88.4),
    ("creatinine", "mmol/L", 0.0884, 1.0),
    ("creatinine", "mg/L", 11, 1.1),
    ("egfr", "mL/min/{1.73_m2}", 72, 72),
    ("albumin", "g/L", 35, 35),
    ("albumin", "g/dL", 3.5, 35),
    ("per_hpf", "/[HPF]", 12, 12),
    ("per_lpf", "/[LPF]", 2, 2),
    ("complement", "g/L", 0.9, 0.9),
    ("complement", "mg/dL", 90, 0.9),
    ("complement", "mg/L", 900, 0.9),
    ("cell_count", "10*9/L", 150, 150),
    ("cell_count", "10*3/uL", 150, 150),
    ("cell_count", "10*3/mm3", 150, 150),
    ("cell_count", "/nL", 150, 150),
    ("cell_count", "/uL", 150000, 150),
    ("cell_count", "/mm3", 4000, 4),
    ("length", "cm", 160, 160),
    ("length", "m", 1.6, 160),
    ("length", "mm", 1600, 160),
    ("length", "[in_i]", 63, 160.02),
]


@pytest.mark.parametrize(("group", "code", "value", "expected"), CONVERSIONS)
def test_ucum_code_converts_to_canonical(
    group: str, code: str, value: float, expected: float
) -> None:
    result = normalised(ucum(value, code), group)
    assert math.isclose(result.value, expected, rel_tol=1e-9)
    assert result.unit == UNIT_GROUPS[group].canonical


def test_every_unit_in_the_data_file_has_a_pinned_conversion() -> None:
    pinned = {(g, c) for g, c, _, _ in CONVERSIONS}
    skip = {"as_reported", "score", "dose_mass", "duration_days"}
    for name, group in UNIT_GROUPS.items():
        if name in skip:
            continue
        codes = {conv.unit for conv in group.conversions.values()}
        missing = {c for c in codes if (name, c) not in pinned and not c.startswith("{")}
        assert not missing, (name, missing)


def test_spot_upcr_in_mg_per_mmol_divides_by_100_not_113() -> None:
    assert normalised(ucum(50, "mg/mmol{creat}"), "protein_ratio").value == 0.5


def test_24h_protein_in_mg_per_24h_divides_by_1000() -> None:
    assert normalised(printed(2500, "mg/24h"), "protein_24h").value == 2.5


# (group, UCUM code, pint source unit, pint canonical unit, molar mass for creatinine)
PINT_CHECKS = [
    ("protein_ratio", "mg/g", "mg/g", "g/g", None),
    ("protein_ratio", "mg/mg", "mg/mg", "g/g", None),
    ("protein_24h", "mg/(24.h)", "mg/day", "g/day", None),
    ("protein_24h", "g/d", "g/day", "g/day", None),
    ("albumin_ratio", "g/g", "g/g", "mg/g", None),
    ("albumin_ratio", "ug/mg", "ug/mg", "mg/g", None),
    ("creatinine", "mg/L", "mg/L", "mg/dL", None),
    ("creatinine", "umol/L", "umol/L", "mg/dL", CREATININE_G_PER_MOL),
    ("creatinine", "mmol/L", "mmol/L", "mg/dL", CREATININE_G_PER_MOL),
    ("albumin", "g/dL", "g/dL", "g/L", None),
    ("complement", "mg/dL", "mg/dL", "g/L", None),
    ("complement", "mg/L", "mg/L", "g/L", None),
    # pint has no scaled units: 10*9/L is written 1/nL, and 10*3/uL as kilo-counts per uL
    ("cell_count", "10*3/uL", "kilocount/uL", "count/nL", None),
    ("cell_count", "/uL", "1/uL", "1/nL", None),
    ("cell_count", "/nL", "1/nL", "1/nL", None),
    ("cell_count", "/mm3", "1/mm**3", "1/nL", None),
    ("length", "m", "m", "cm", None),
    ("length", "mm", "mm", "cm", None),
    ("length", "[in_i]", "inch", "cm", None),
]


@pytest.mark.parametrize(("group", "code", "src", "dst", "molar_mass"), PINT_CHECKS)
def test_physical_conversion_agrees_with_pint(
    group: str, code: str, src: str, dst: str, molar_mass: float | None
) -> None:
    ours = normalised(ucum(7.0, code), group).value
    quantity = UREG.Quantity(7.0, src)
    if molar_mass is not None:
        quantity = quantity * UREG.Quantity(molar_mass, "g/mol")
    theirs = quantity.to(dst).magnitude
    # creatinine: 88.4 is the published rounding of 1 / (113.12 g/mol) in these units
    assert math.isclose(ours, theirs, rel_tol=1e-3 if molar_mass else 1e-12)


@pytest.mark.parametrize(
    ("group", "unit", "expected"),
    [
        ("protein_ratio", "mg/g{creat}", 0.0005),
        ("protein_ratio", "MG/MMOL{CREAT}", 0.005),
        ("protein_ratio", "mg/mmol creat", 0.005),
        ("protein_24h", "g/(24.h)", 0.5),
        ("protein_24h", "g/24 h", 0.5),
        ("protein_24h", "mg/24h", 0.0005),
        ("protein_24h", "g/day", 0.5),
        ("creatinine", "umol/L", 0.5 / 88.4),
        ("creatinine", "µmol/L", 0.5 / 88.4),
        ("creatinine", "μmol/l", 0.5 / 88.4),
        ("per_hpf", "/HPF", 0.5),
        ("per_hpf", "/hpf", 0.5),
        ("per_lpf", "/LPF", 0.5),
        ("egfr", "mL/min/1.73m2", 0.5),
        ("egfr", "ml/min/1.73 m²", 0.5),
        ("cell_count", "x10^9/L", 0.5),
        ("cell_count", "K/uL", 0.5),
        ("albumin", "G/DL", 5.0),
    ],
)
def test_printed_unit_matches_case_insensitively(group: str, unit: str, expected: float) -> None:
    assert math.isclose(normalised(printed(0.5, unit), group).value, expected)


def test_ucum_code_wins_over_the_printed_unit() -> None:
    q = {"value": 50, "system": UCUM, "code": "mg/mmol{creat}", "unit": "mg/g"}
    assert normalised(q, "protein_ratio").value == 0.5


def test_code_of_another_system_is_not_read_as_ucum() -> None:
    q = {"value": 50, "system": "http://example.org/units", "code": "mg/mmol", "unit": "mg/g"}
    assert normalised(q, "protein_ratio").value == 0.05


@pytest.mark.parametrize(
    ("quantity", "group", "reason"),
    [
        (ucum(1.0, "g/(24.h)"), "protein_ratio", "proteinuria-unit-kind-mismatch"),
        (printed(800, "mg/24h"), "protein_ratio", "proteinuria-unit-kind-mismatch"),
        (ucum(1.0, "g/g"), "protein_24h", "proteinuria-unit-kind-mismatch"),
        (ucum(50, "mg/mmol{creat}"), "protein_24h", "proteinuria-unit-kind-mismatch"),
        (ucum(80, "mL/min"), "egfr", "egfr-not-indexed"),
        (ucum(1.0, "mg/mL"), "creatinine", "unknown-unit"),
        (printed(1.0, "furlongs"), "protein_ratio", "unknown-unit"),
        ({"value": 1.0}, "creatinine", "missing-unit"),
        ({"value": "1.0", "unit": "mg/dL"}, "creatinine", "value-not-numeric"),
        ({"value": True, "unit": "mg/dL"}, "creatinine", "value-not-numeric"),
        ({"value": float("nan"), "unit": "mg/dL"}, "creatinine", "value-not-numeric"),
        ({"value": float("inf"), "unit": "mg/dL"}, "creatinine", "value-not-numeric"),
        ({"value": 1e308, "unit": "g/dL"}, "albumin", "value-not-numeric"),
        ({"value": -1.0, "unit": "mg/dL"}, "creatinine", "negative-value"),
        (
            {"value": 1.0, "unit": "mg/dL", "comparator": "ad"},
            "creatinine",
            "unsupported-comparator",
        ),
        ("1.0 mg/dL", "creatinine", "value-not-quantity"),
        (ucum(5, "/uL"), "per_hpf", "unknown-unit"),
    ],
)
def test_unusable_quantity_is_refused_with_a_reason(
    quantity: object, group: str, reason: str
) -> None:
    assert normalise_quantity(quantity, UNIT_GROUPS[group]) == Refused(reason)


@pytest.mark.parametrize("comparator", ["<", "<=", ">=", ">"])
def test_comparator_keeps_the_value_at_its_bound(comparator: str) -> None:
    result = normalised({**ucum(0.2, "g/g"), "comparator": comparator}, "protein_ratio")
    assert (result.value, result.comparator) == (0.2, comparator)


def test_sediment_counts_without_a_unit_are_accepted() -> None:
    assert normalised({"value": 12}, "per_hpf").value == 12
    assert normalise_count(3, UNIT_GROUPS["per_lpf"]) == Normalised(3.0, "/[LPF]", "3", "")


def test_bare_number_is_refused_for_a_series_that_needs_a_unit() -> None:
    assert normalise_count(3, UNIT_GROUPS["creatinine"]) == Refused("missing-unit")


def test_antibody_values_are_kept_in_the_reported_unit() -> None:
    result = normalised(printed(120, "IU/mL"), "as_reported")
    assert (result.value, result.unit) == (120, "IU/mL")


def test_reported_value_and_unit_are_kept_as_written() -> None:
    result = normalised({"value": 1.50, "unit": "µmol/L"}, "creatinine")
    assert (result.reported_value, result.reported_unit) == ("1.5", "µmol/L")


@pytest.mark.parametrize(
    ("quantity", "mg"),
    [
        ({"value": 500, "unit": "mg"}, 500),
        ({"value": 1, "system": UCUM, "code": "g"}, 1000),
        ({"value": 1.5, "unit": "grams"}, 1500),
        ({"value": 750, "unit": "mg/m2"}, None),
        ({"value": 2, "unit": "TAB"}, None),
        ({"value": 500}, None),
    ],
)
def test_doses_are_read_in_mg_from_mg_or_g_only(
    quantity: dict[str, object], mg: float | None
) -> None:
    assert mg_of_dose(quantity) == mg


@pytest.mark.parametrize(
    ("value", "unit", "days"),
    [
        (30, "d", 30),
        (2, "wk", 14),
        (12, "h", 0.5),
        (1, "mo", 30.4375),
        (1, "a", 365.25),
        (3, "days", 3),
    ],
)
def test_durations_convert_to_days(value: float, unit: str, days: float) -> None:
    assert days_of(value, unit) == days


def test_unknown_duration_unit_is_none() -> None:
    assert days_of(3, "fortnights") is None
