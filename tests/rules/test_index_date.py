"""The index date T0 (clinical.md §3): runs of induction courses, resets after a flare,
and the Condition fallback."""

from __future__ import annotations

import pytest

from cds.assessment import Status
from cds.profiles import load_profile
from cds.rules import messages
from cds.rules.index_date import find_index_date, induction_runs
from cds.rules.timeline import Timeline
from fhir_mapping.record import PatientRecord
from tests.rules.builders import (
    SNOMED_LN,
    Item,
    condition,
    cyc,
    day,
    mmf,
    p,
    prednisone,
    record,
    rituximab,
    run,
    tacrolimus,
)


def _index(rec: PatientRecord) -> tuple[object, str | None]:
    assessment = run(rec)
    return assessment.index_date, assessment.index_source


def test_t0_is_the_start_of_the_induction_course() -> None:
    assert _index(record(mmf(10, 300), as_of=300)) == (day(10), "medication")


@pytest.mark.parametrize(("gap", "t0"), [(90, 0), (91, 191)])
def test_induction_courses_up_to_90_days_apart_form_one_run(gap: int, t0: int) -> None:
    rec = record(mmf(0, 100), tacrolimus(100 + gap, 300), as_of=300)
    assert _index(rec) == (day(t0), "medication")


def test_runs_chain_from_the_running_end_not_the_last_start() -> None:
    # cyclophosphamide ends day 50, MMF runs to day 200: rituximab at 280 is 80 days after 200
    rec = record(mmf(0, 200), cyc(10, 50), rituximab(280), as_of=300)
    runs = induction_runs(rec.courses, day(300), 90)
    assert len(runs) == 1
    assert runs[0].end == day(280)


def test_most_recent_run_starting_by_as_of_is_used() -> None:
    rec = record(mmf(0, 100), rituximab(400), as_of=365)
    assert _index(rec) == (day(0), "medication")
    rec_later = record(mmf(0, 100), rituximab(300), as_of=365)
    assert _index(rec_later) == (day(300), "medication")


def test_glucocorticoids_alone_give_no_index_date() -> None:
    assessment = run(record(prednisone(0, 100), p(0, 2.0), as_of=100))
    assert assessment.index_date is None
    assert assessment.status is Status.INSUFFICIENT_DATA
    assert assessment.reason == messages.NO_INDEX_DATE


@pytest.mark.parametrize(("after_end", "source"), [(90, "medication"), (91, "condition")])
def test_ln_condition_more_than_90_days_after_the_run_restarts_t0(
    after_end: int, source: str
) -> None:
    rec = record(mmf(0, 100), ln=100 + after_end, as_of=400)
    index_date, index_source = _index(rec)
    assert index_source == source
    assert index_date == (day(0) if source == "medication" else day(100 + after_end))


def test_ln_condition_without_any_run_gives_t0() -> None:
    assessment = run(record(p(40, 2.0), ln=45, as_of=100))
    assert (assessment.index_date, assessment.index_source) == (day(45), "condition")
    assert messages.INDEX_FROM_CONDITION in assessment.caveats


def test_latest_of_several_ln_conditions_is_used() -> None:
    rec = record(condition(SNOMED_LN, 10), condition(SNOMED_LN, 50), ln=30, as_of=100)
    assert _index(rec) == (day(50), "condition")


def test_ln_condition_dated_after_as_of_is_ignored() -> None:
    rec = record(condition(SNOMED_LN, 150), ln=True, as_of=100)
    assert _index(rec) == (None, None)


# --- reset after a flare -------------------------------------------------------------------


def _reset_case(*extra: Item, course_day: int = 170) -> PatientRecord:
    """MMF from day 0; P0 3.0; CR at day 60 (R); rituximab added on `course_day`."""
    items: list[Item] = [mmf(0, 400), p(-1, 3.0), p(60, 0.3), rituximab(course_day), *extra]
    return record(*items, as_of=365)


def test_flare_before_a_later_course_moves_t0_to_that_course() -> None:
    rec = _reset_case(p(150, 1.5), p(160, 1.6))
    assessment = run(rec)
    assert assessment.index_date == day(170)
    assert any(n.code == "index-date-reset" for n in assessment.notes)
    p0 = assessment.value("P0")
    assert p0 is not None
    assert p0.date == day(160)  # baselines follow the new T0


def test_unconfirmed_flare_also_resets_t0() -> None:
    assert run(_reset_case(p(160, 1.5))).index_date == day(170)


def test_flare_on_the_course_start_day_resets_t0() -> None:
    assert run(_reset_case(p(170, 1.5))).index_date == day(170)


def test_flare_after_the_course_started_does_not_reset_t0() -> None:
    assert run(_reset_case(p(175, 1.5))).index_date == day(0)


def test_no_flare_no_reset() -> None:
    assert run(_reset_case(p(150, 0.4))).index_date == day(0)


def test_rise_without_a_previous_response_is_not_a_flare_and_does_not_reset() -> None:
    rec = record(mmf(0, 400), p(-1, 3.0), p(60, 2.5), p(160, 4.0), rituximab(170), as_of=365)
    assert run(rec).index_date == day(0)


def test_glucocorticoid_after_a_flare_does_not_reset_t0() -> None:
    rec = record(mmf(0, 400), p(-1, 3.0), p(60, 0.3), p(160, 1.5), prednisone(170, 200), as_of=365)
    assert run(rec).index_date == day(0)


def test_dose_change_within_a_course_does_not_reset_t0() -> None:
    rec = record(
        mmf(0, 150), mmf(151, 400, dose=3000), p(-1, 3.0), p(60, 0.3), p(140, 1.5), as_of=365
    )
    assert run(rec).index_date == day(0)


def test_resets_continue_through_later_courses() -> None:
    rec = record(
        mmf(0, 600),
        p(-1, 3.0),
        p(60, 0.3),
        p(150, 1.5),  # flare 1 → rituximab at 170 resets
        rituximab(170),
        p(250, 0.2),  # CR after the new T0
        p(330, 1.4),  # flare 2 → tacrolimus at 340 resets
        tacrolimus(340, 600),
        as_of=400,
    )
    timeline = Timeline.of(rec, day(400))
    index = find_index_date(rec, timeline, load_profile())
    assert index is not None
    assert index.t0 == day(340)
    assert [r.course.start for r in index.resets] == [day(170), day(340)]
    assert [r.flare_day for r in index.resets] == [day(150), day(330)]


def test_flare_judged_with_only_the_data_known_on_each_lab_date() -> None:
    # On day 160 a P of 1.5 after CR is a flare; a value on day 175 (after the course
    # starts) must not be what makes it one.
    rec = record(
        mmf(0, 400), p(-1, 3.0), p(60, 0.3), p(160, 0.9), p(175, 1.5), rituximab(170), as_of=365
    )
    assert run(rec).index_date == day(0)
