"""Observations → series (clinical.md §2): status, dates, codes, units, flags, same-day rules.

Fixture: data/observations.json, one Observation per case, its id naming the case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fhir_mapping.extract import build_record
from fhir_mapping.observations import true_value_above, true_value_below
from fhir_mapping.record import PatientRecord, ProteinuriaKind, Series
from tests.mapping.conftest import by_id, load, notes_for

AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def record() -> PatientRecord:
    return build_record(load("observations.json"), as_of=AS_OF)


def test_spot_upcr_in_mg_per_mmol_divides_by_100(record: PatientRecord) -> None:
    m = by_id(record, Series.PROTEINURIA)["upcr-spot-mg-mmol"]
    assert (m.value, m.unit, m.kind) == (0.5, "g/g", ProteinuriaKind.UPCR_SPOT)
    assert (m.reported_value, m.reported_unit, m.code) == ("50", "mg/mmol{creat}", "2890-2")


def test_same_day_proteinuria_prefers_24h_upcr_then_24h_protein_then_spot(
    record: PatientRecord,
) -> None:
    on_day = [m for m in record.series(Series.PROTEINURIA) if m.date == date(2024, 2, 1)]
    assert [m.source.id for m in on_day] == ["upcr-24h-same-day"]
    assert "proteinuria-lower-priority" in notes_for(record, "protein-24h-same-day")
    assert "proteinuria-lower-priority" in notes_for(record, "upcr-spot-same-day")


def test_24h_protein_in_mg_per_24h_is_kept_in_g_per_24h(record: PatientRecord) -> None:
    m = by_id(record, Series.PROTEINURIA)["protein-24h-only"]
    assert (m.value, m.unit, m.kind) == (1.5, "g/(24.h)", ProteinuriaKind.PROTEIN_24H)


@pytest.mark.parametrize("rid", ["upcr-with-mass-time-unit", "protein-24h-with-ratio-unit"])
def test_proteinuria_with_the_other_kind_of_unit_is_ignored(
    record: PatientRecord, rid: str
) -> None:
    assert rid not in by_id(record, Series.PROTEINURIA)
    assert notes_for(record, rid) == {"proteinuria-unit-kind-mismatch"}


def test_comparator_value_is_used_at_its_bound_with_a_note(record: PatientRecord) -> None:
    m = by_id(record, Series.PROTEINURIA)["upcr-comparator"]
    assert (m.value, m.comparator) == (0.1, "<")
    assert notes_for(record, "upcr-comparator") == {"value-at-bound"}


def test_only_final_amended_and_corrected_results_count(record: PatientRecord) -> None:
    p = by_id(record, Series.PROTEINURIA)
    assert "upcr-preliminary" not in p
    assert notes_for(record, "upcr-preliminary") == {"status-not-final"}
    assert {"upcr-amended", "upcr-corrected"} <= set(p)


@pytest.mark.parametrize(
    ("rid", "reason"),
    [
        ("upcr-string", "value-not-quantity"),
        ("upcr-range", "value-not-quantity"),
        ("upcr-no-value", "no-value"),
        ("upcr-unknown-unit", "unknown-unit"),
        ("upcr-no-date", "no-date"),
        ("upcr-other-patient", "other-patient"),
        ("egfr-not-indexed", "egfr-not-indexed"),
        ("rbc-per-ul", "unknown-unit"),
        ("casts-text-only", "uncoded-qualitative"),
    ],
)
def test_unusable_result_is_ignored_with_its_reason(
    record: PatientRecord, rid: str, reason: str
) -> None:
    used = {m.source.id for ms in record.measurements.values() for m in ms}
    assert rid not in used
    assert notes_for(record, rid) == {reason}


def test_results_after_as_of_are_dropped_silently(record: PatientRecord) -> None:
    assert "upcr-after-as-of" not in by_id(record, Series.PROTEINURIA)
    assert notes_for(record, "upcr-after-as-of") == set()
    assert all(m.date <= AS_OF for ms in record.measurements.values() for m in ms)


def test_subject_as_absolute_url_with_history_is_the_patient(record: PatientRecord) -> None:
    assert "upcr-absolute-subject" in by_id(record, Series.PROTEINURIA)


def test_timestamp_date_is_the_calendar_date_in_its_own_offset(record: PatientRecord) -> None:
    m = by_id(record, Series.PROTEINURIA)["upcr-late-offset"]
    assert m.date == date(2024, 3, 1)  # 2 March in UTC
    assert m.timestamp == datetime(2024, 3, 2, 4, 30, tzinfo=UTC)


def test_partial_date_takes_its_first_day_with_a_note(record: PatientRecord) -> None:
    assert by_id(record, Series.PROTEINURIA)["upcr-partial-month"].date == date(2024, 4, 1)
    assert notes_for(record, "upcr-partial-month") == {"partial-date"}


def test_period_end_dates_a_24h_collection(record: PatientRecord) -> None:
    assert by_id(record, Series.PROTEINURIA)["upcr-period-end"].date == date(2024, 4, 10)


def test_issued_dates_a_result_without_effective_time(record: PatientRecord) -> None:
    assert by_id(record, Series.PROTEINURIA)["upcr-issued-only"].date == date(2024, 4, 20)


def test_any_coding_can_carry_the_loinc_code(record: PatientRecord) -> None:
    assert "upcr-second-coding" in by_id(record, Series.PROTEINURIA)


@pytest.mark.parametrize(
    ("winner", "loser"),
    [
        ("upcr-tie-late", "upcr-tie-early"),
        ("upcr-issued-late", "upcr-issued-early"),
        ("upcr-value-high", "upcr-value-low"),
    ],
)
def test_same_day_later_effective_then_later_issued_then_higher_value_wins(
    record: PatientRecord, winner: str, loser: str
) -> None:
    p = by_id(record, Series.PROTEINURIA)
    assert winner in p
    assert loser not in p
    assert notes_for(record, loser) == {"same-day-superseded"}


def test_series_are_sorted_by_date_one_value_per_day(record: PatientRecord) -> None:
    for ms in record.measurements.values():
        dates = [m.date for m in ms]
        assert dates == sorted(set(dates))


def test_molar_creatinine_divides_by_88_4(record: PatientRecord) -> None:
    m = by_id(record, Series.CREATININE)["scr-umol"]
    assert (m.value, m.unit, m.reported_unit) == (1.0, "mg/dL", "µmol/L")


def test_reported_ckd_epi_2021_wins_over_another_egfr_on_the_same_day(
    record: PatientRecord,
) -> None:
    egfr = by_id(record, Series.EGFR_REPORTED)
    assert "egfr-2021" in egfr
    assert "egfr-2009-same-day-as-2021" not in egfr


def test_albumin_in_g_per_dl_is_multiplied_by_10(record: PatientRecord) -> None:
    assert by_id(record, Series.ALBUMIN)["albumin-gdl"].value == 32.0


def test_sediment_counts_without_unit_are_accepted(record: PatientRecord) -> None:
    assert by_id(record, Series.URINE_RBC)["rbc-hpf-no-unit"].value == 12
    assert by_id(record, Series.URINE_WBC)["wbc-hpf-integer"].value == 7


@pytest.mark.parametrize(
    ("rid", "positive"),
    [
        ("casts-count", True),
        ("casts-zero", False),
        ("casts-coded-positive", True),
        ("casts-coded-absent", False),
        ("casts-less-than-one", False),
    ],
)
def test_rbc_casts_positive_when_count_above_zero_or_coded_positive(
    record: PatientRecord, rid: str, positive: bool
) -> None:
    assert by_id(record, Series.RBC_CASTS)[rid].flag is positive


@pytest.mark.parametrize(
    ("series", "rid", "low"),
    [
        (Series.C3, "c3-low-by-range", True),
        (Series.C3, "c3-normal-by-range-in-mg-dl", False),
        (Series.C3, "c3-low-by-interpretation", True),
        (Series.C3, "c3-unknown", None),
        (Series.C3, "c3-at-limit", False),
        (Series.C4, "c4-range-without-unit", True),
    ],
)
def test_complement_low_only_from_the_labs_range_or_interpretation(
    record: PatientRecord, series: Series, rid: str, low: bool | None
) -> None:
    assert by_id(record, series)[rid].flag is low


def test_complement_value_is_in_g_per_l(record: PatientRecord) -> None:
    m = by_id(record, Series.C4)["c4-range-without-unit"]
    assert (m.value, m.unit) == (0.1, "g/L")


@pytest.mark.parametrize(
    ("rid", "raised"),
    [
        ("dsdna-above-high", True),
        ("dsdna-below-high", False),
        ("dsdna-coded-positive", True),
        ("dsdna-coded-negative", False),
        ("dsdna-no-range", None),
        ("dsdna-range-other-unit", None),
        ("dsdna-interpretation-high", True),
    ],
)
def test_anti_dsdna_raised_from_range_interpretation_or_coded_value(
    record: PatientRecord, rid: str, raised: bool | None
) -> None:
    assert by_id(record, Series.ANTI_DSDNA)[rid].flag is raised


def test_anti_dsdna_is_kept_in_its_reported_unit(record: PatientRecord) -> None:
    m = by_id(record, Series.ANTI_DSDNA)["dsdna-above-high"]
    assert (m.value, m.unit) == (120, "IU/mL")


@pytest.mark.parametrize(
    ("series", "rid", "value", "unit"),
    [
        (Series.PLATELETS, "platelets-per-ul", 150.0, "10*9/L"),
        (Series.LEUKOCYTES, "leukocytes-k-per-ul", 4.5, "10*9/L"),
        (Series.HEIGHT, "height-in-m", 162.0, "cm"),
        (Series.SLEDAI2K_RECORDED, "sledai-recorded", 8.0, "{score}"),
    ],
)
def test_other_series_are_normalised(
    record: PatientRecord, series: Series, rid: str, value: float, unit: str
) -> None:
    m = by_id(record, series)[rid]
    assert (m.value, m.unit) == pytest.approx((value, unit))


def test_uacr_in_mg_per_mmol_is_multiplied_by_8_84(record: PatientRecord) -> None:
    assert by_id(record, Series.UACR)["uacr-mg-mmol"].value == pytest.approx(26.52)


def test_unrelated_observations_are_skipped_without_notes(record: PatientRecord) -> None:
    assert notes_for(record, "heart-rate") == set()


def test_two_different_resources_with_one_id_keep_the_first(record: PatientRecord) -> None:
    assert by_id(record, Series.ALBUMIN)["dup"].value == 40.0
    assert notes_for(record, "dup") == {"duplicate-id-differs"}


def test_invalid_id_is_ignored_with_a_note_that_names_no_id(record: PatientRecord) -> None:
    assert any(n.code == "invalid-id" and n.source is None for n in record.notes)
    assert all("bad id" not in n.message for n in record.notes)


@pytest.mark.parametrize(
    ("value", "comparator", "bound", "below"),
    [
        (0.5, None, 0.9, True),
        (0.9, None, 0.9, False),
        (0.5, "<", 0.9, True),
        (0.9, "<", 0.9, True),
        (0.9, "<=", 0.9, None),
        (1.2, "<", 0.9, None),
        (1.0, ">", 0.9, False),
        (0.9, ">=", 0.9, False),
        (0.5, ">", 0.9, None),
    ],
)
def test_a_bound_decides_below_only_when_it_must(
    value: float, comparator: str | None, bound: float, below: bool | None
) -> None:
    assert true_value_below(value, comparator, bound) is below


@pytest.mark.parametrize(
    ("value", "comparator", "bound", "above"),
    [
        (40, None, 30, True),
        (30, None, 30, False),
        (30, ">", 30, True),
        (30, ">=", 30, None),
        (31, ">=", 30, True),
        (20, ">", 30, None),
        (30, "<", 30, False),
        (30, "<=", 30, False),
        (40, "<", 30, None),
    ],
)
def test_a_bound_decides_above_only_when_it_must(
    value: float, comparator: str | None, bound: float, above: bool | None
) -> None:
    assert true_value_above(value, comparator, bound) is above
