"""Refractory LN (clinical.md §4 for kdigo-2024, §7 for gu-2014): no response despite
adequate therapy."""

from __future__ import annotations

import pytest

from cds.assessment import Assessment, Response, Status
from cds.rules import messages
from fhir_mapping.record import DrugClass, MedicationRecord
from tests.rules.builders import (
    criterion,
    cyc,
    day,
    med,
    mmf,
    p,
    prednisone,
    record,
    rituximab,
    run,
    tacrolimus,
)


def _nr(*treatment: MedicationRecord, as_of: int = 200) -> Assessment:
    """No response: P0 2.0 on day 0, still 1.8 on day 190 (T0 = the first treatment start)."""
    return run(record(*treatment, p(0, 2.0), p(190, 1.8), as_of=as_of))


def _refractory(*treatment: MedicationRecord, as_of: int = 200) -> bool:
    assessment = _nr(*treatment, as_of=as_of)
    assert assessment.response is Response.NONE
    return assessment.status is Status.REFRACTORY


@pytest.mark.parametrize(("end", "refractory"), [(183, True), (182, False)])
def test_full_dose_mmf_for_183_days_is_adequate(end: int, refractory: bool) -> None:
    assert _refractory(mmf(0, end)) is refractory


@pytest.mark.parametrize(
    ("ingredient", "dose", "refractory"),
    [
        ("mycophenolate mofetil", 2000, True),
        ("mycophenolate mofetil", 1999, False),
        ("mycophenolic acid", 1440, True),
        ("mycophenolic acid", 1439, False),
        ("mycophenolate sodium", 1440, True),
        ("Mycophenolate Sodium", 1440, True),
        ("mycophenolate", 1440, False),  # unlisted ingredient: the MMF threshold applies
        ("mycophenolate (unspecified)", 1440, False),  # "mycophenolate" alone: MMF's
        ("mycophenolate (unspecified)", 2000, True),
    ],
)
def test_mpaa_full_dose_depends_on_the_ingredient(
    ingredient: str, dose: float, refractory: bool
) -> None:
    assert _refractory(med(DrugClass.MPAA, 0, 200, dose=dose, ingredient=ingredient)) is refractory


def test_unknown_mpaa_dose_counts_as_adequate_with_a_note() -> None:
    assessment = _nr(mmf(0, 200, dose=None))
    assert assessment.status is Status.REFRACTORY
    assert any(n.code == "dose-unknown-counted-adequate" for n in assessment.notes)


@pytest.mark.parametrize(("gap_end", "refractory"), [(190, True), (191, False)])
def test_full_dose_mpaa_periods_join_when_up_to_90_days_apart(
    gap_end: int, refractory: bool
) -> None:
    # full dose to day 100, half dose until the day before gap_end, full dose again to 200
    treatment = (mmf(0, 100), mmf(101, gap_end - 1, dose=1000), mmf(gap_end, 200))
    assert _refractory(*treatment) is refractory


@pytest.mark.parametrize(("end", "refractory"), [(183, True), (182, False)])
def test_cyclophosphamide_course_of_183_days_is_adequate(end: int, refractory: bool) -> None:
    assert _refractory(cyc(0, end)) is refractory


@pytest.mark.parametrize(("count", "refractory"), [(6, True), (5, False)])
def test_six_cyclophosphamide_doses_are_adequate(count: int, refractory: bool) -> None:
    pulses = [cyc(14 * i) for i in range(count)]  # fortnightly, all within 84 days
    assert _refractory(*pulses) is refractory


def test_cyclophosphamide_request_counts_its_repeat_count_as_doses() -> None:
    assert _refractory(cyc(0, 60, doses=6)) is True


@pytest.mark.parametrize(("end", "refractory"), [(183, True), (182, False)])
def test_calcineurin_inhibitor_for_183_days_is_adequate(end: int, refractory: bool) -> None:
    assert _refractory(tacrolimus(0, end)) is refractory


def test_biologic_counts_from_its_first_start_to_the_end_of_the_run() -> None:
    # one rituximab infusion; the run (half-dose MMF) goes on to day 200
    assert _refractory(rituximab(0), mmf(0, 200, dose=1000)) is True
    assert _refractory(rituximab(0), mmf(0, 150, dose=1000)) is False


def test_adequate_course_is_cited_as_evidence() -> None:
    assessment = _nr(mmf(0, 200))
    course = assessment.value("adequate course")
    assert course is not None
    assert course.value == 200
    assert course.test == "mycophenolate mofetil"
    assert course.reported == "2000 mg/day"
    assert criterion(assessment, "Refractory lupus nephritis").met is True
    assert course in criterion(assessment, "Refractory lupus nephritis").evidence


def test_no_response_without_documented_treatment_says_history_not_found() -> None:
    rec = record(p(0, 2.0), p(190, 1.8), ln=0, as_of=200)
    assessment = run(rec)
    assert assessment.status is Status.NO_RESPONSE
    assert assessment.refractory is False
    assert messages.TREATMENT_HISTORY_NOT_FOUND in assessment.caveats


def test_inadequate_treatment_is_no_response_without_the_history_caveat() -> None:
    assessment = _nr(mmf(0, 200, dose=1000))
    assert assessment.status is Status.NO_RESPONSE
    assert messages.TREATMENT_HISTORY_NOT_FOUND not in assessment.caveats
    assert criterion(assessment, "Refractory lupus nephritis").met is False


def test_refractory_needs_no_response_not_just_an_adequate_course() -> None:
    assessment = run(record(mmf(0, 300), p(0, 2.0), p(190, 0.8), as_of=200))
    assert assessment.status is Status.PARTIAL_RESPONSE
    assert assessment.refractory is False


def test_treatment_before_a_reset_index_date_does_not_count() -> None:
    # T0 resets to day 170 (rituximab after a flare); a 183-day count starts again there
    rec = record(
        mmf(0, 400),
        p(-1, 3.0),
        p(60, 0.3),
        p(160, 1.5),
        rituximab(170),
        p(340, 1.6),
        as_of=352,
    )
    assessment = run(rec)
    assert assessment.index_date == day(170)
    assert assessment.response is Response.NOT_YET_DUE
    assert assessment.status is Status.ACTIVE


# --- gu-2014 (NCT01741857) -----------------------------------------------------------------


def _gu(
    *treatment: MedicationRecord, current: float = 1.5, as_of: int = 100, p0: float = 2.0
) -> Assessment:
    """gu-2014 before six months: P0 `p0` on day 0, `current` on day 95."""
    return run(record(*treatment, p(0, p0), p(95, current), as_of=as_of), profile="gu-2014")


def test_gu_refractory_regardless_of_the_six_month_timing() -> None:
    assessment = _gu(mmf(0, 91), prednisone(0, 100, dose=30))
    assert assessment.status is Status.REFRACTORY
    assert assessment.response is Response.NOT_YET_DUE
    kdigo = run(record(mmf(0, 91), prednisone(0, 100, dose=30), p(0, 2.0), p(95, 1.5), as_of=100))
    assert kdigo.status is Status.ACTIVE


@pytest.mark.parametrize(("end", "refractory"), [(91, True), (90, False)])
def test_gu_full_dose_mmf_for_91_days(end: int, refractory: bool) -> None:
    assert (_gu(mmf(0, end), prednisone(0, 100)).status is Status.REFRACTORY) is refractory


@pytest.mark.parametrize(("end", "refractory"), [(183, True), (182, False)])
def test_gu_cyclophosphamide_for_183_days(end: int, refractory: bool) -> None:
    treatment = (cyc(0, end), prednisone(0, 200))
    assessment = run(record(*treatment, p(0, 2.0), p(195, 1.5), as_of=200), profile="gu-2014")
    assert (assessment.status is Status.REFRACTORY) is refractory


@pytest.mark.parametrize(
    ("ingredient", "dose", "refractory"),
    [
        ("prednisone", 20, False),  # > 20 mg/day, exclusive
        ("prednisone", 20.5, True),
        ("prednisolone", 21, True),
        ("methylprednisolone", 16, False),  # × 1.25 = 20
        ("methylprednisolone", 16.5, True),
        ("prednisone", None, True),  # unknown dose counts
    ],
)
def test_gu_glucocorticoid_above_20_mg_prednisone_equivalent(
    ingredient: str, dose: float | None, refractory: bool
) -> None:
    assessment = _gu(mmf(0, 100), prednisone(0, 100, dose=dose, ingredient=ingredient))
    assert (assessment.status is Status.REFRACTORY) is refractory
    if dose is None:
        assert any(n.code == "dose-unknown-counted-adequate" for n in assessment.notes)


def test_gu_glucocorticoid_must_overlap_the_index_window() -> None:
    assert _gu(mmf(0, 100), prednisone(-60, -1)).status is not Status.REFRACTORY


def test_gu_needs_a_glucocorticoid() -> None:
    assert _gu(mmf(0, 100)).status is not Status.REFRACTORY


@pytest.mark.parametrize(("current", "refractory"), [(1.0, True), (0.99, False)])
def test_gu_current_proteinuria_of_at_least_1(current: float, refractory: bool) -> None:
    assessment = _gu(mmf(0, 100), prednisone(0, 100), current=current, p0=1.5)
    assert (assessment.status is Status.REFRACTORY) is refractory


def test_gu_partial_response_is_not_refractory() -> None:
    assessment = _gu(mmf(0, 100), prednisone(0, 100), current=1.5, p0=3.5)
    assert assessment.status is Status.PARTIAL_RESPONSE


def test_gu_lost_response_is_not_refractory() -> None:
    rec = record(mmf(0, 100), prednisone(0, 100), p(0, 3.0), p(30, 1.4), p(95, 1.6), as_of=100)
    assessment = run(rec, profile="gu-2014")
    assert assessment.response is Response.LOST
    assert assessment.status is Status.NO_RESPONSE


def test_gu_glucocorticoid_without_an_equivalence_factor_is_not_counted_and_noted() -> None:
    assessment = _gu(mmf(0, 100), prednisone(0, 100, dose=40, ingredient="dexamethasone"))
    assert assessment.status is not Status.REFRACTORY
    assert any(n.code == "glucocorticoid-not-converted" for n in assessment.notes)
