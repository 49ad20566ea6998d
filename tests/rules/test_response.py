"""Complete, partial and no response; not-yet-due, undetermined, lost (clinical.md §4)."""

from __future__ import annotations

import pytest

from cds.assessment import Response, Status
from cds.profiles import load_profile
from cds.rules import messages
from cds.rules.kidney_function import FunctionState
from cds.rules.response import Outcome, judge
from tests.rules.builders import Item, day, egfr, mmf, p, record, run, scr

RULES = load_profile().response
S, F, U = FunctionState.STABLE, FunctionState.FALLEN, FunctionState.UNKNOWN


@pytest.mark.parametrize(
    ("value", "function", "p0", "outcome"),
    [
        (0.4999, S, 2.0, Outcome.COMPLETE),
        (0.5, S, 0.9, Outcome.NEITHER),  # not < 0.5, and more than half of P0
        (0.5, S, 1.0, Outcome.PARTIAL),  # 0.5 ≤ 0.5 × 1.0
        (1.0, S, 2.0, Outcome.PARTIAL),  # exactly half of P0
        (1.0001, S, 2.0, Outcome.NEITHER),
        (1.17, S, 2.34, Outcome.PARTIAL),  # 0.5 × 2.34 with float error
        (2.99, S, 6.0, Outcome.PARTIAL),
        (3.0, S, 10.0, Outcome.NEITHER),  # halved but not < 3.0
        (0.3, F, 2.0, Outcome.NEITHER),  # a measured fall rules out CR
        (0.9, F, 2.0, Outcome.NEITHER),  # ... and PR
        (0.3, U, 2.0, Outcome.COMPLETE),  # unknown function: decided on P alone
        (0.9, U, 2.0, Outcome.PARTIAL),
        (0.3, S, None, Outcome.COMPLETE),  # CR needs no P0
        (0.5, S, None, Outcome.UNDECIDABLE),
        (2.99, S, None, Outcome.UNDECIDABLE),
        (3.0, S, None, Outcome.NEITHER),  # ≥ 3.0 is never PR
        (2.0, F, None, Outcome.NEITHER),
    ],
)
def test_response_at_one_proteinuria(
    value: float, function: FunctionState, p0: float | None, outcome: Outcome
) -> None:
    assert judge(value, function, p0, RULES) is outcome


def _nr_case(
    *extra: Item, current_day: int = 190, as_of: int = 200, current: float = 1.8
) -> Response:
    """T0 day 0 on half-dose MMF (not adequate), P0 2.0, one later P."""
    items: list[Item] = [mmf(0, 400, dose=1000), p(0, 2.0), p(current_day, current), *extra]
    return run(record(*items, as_of=as_of)).response


def test_complete_response_has_no_minimum_time_after_t0() -> None:
    assessment = run(record(mmf(0, 100), p(0, 2.0), p(10, 0.3), as_of=20))
    assert assessment.response is Response.COMPLETE
    assert assessment.status is Status.COMPLETE_RESPONSE


def test_partial_response_status() -> None:
    assessment = run(record(mmf(0, 100), p(0, 4.0), p(60, 1.5), as_of=70))
    assert assessment.response is Response.PARTIAL
    assert assessment.status is Status.PARTIAL_RESPONSE


@pytest.mark.parametrize(("as_of", "response"), [(182, Response.NOT_YET_DUE), (183, Response.NONE)])
def test_no_response_is_judged_from_183_days_after_t0(as_of: int, response: Response) -> None:
    assert _nr_case(current_day=160, as_of=as_of) is response


@pytest.mark.parametrize(
    ("current_day", "response"), [(149, Response.UNDETERMINED), (150, Response.NONE)]
)
def test_no_response_needs_a_proteinuria_from_day_150(current_day: int, response: Response) -> None:
    assert _nr_case(current_day=current_day, as_of=200) is response


def test_no_proteinuria_at_6_months_is_insufficient_data_with_that_reason() -> None:
    assessment = run(record(mmf(0, 400, dose=1000), p(0, 2.0), p(120, 1.8), as_of=200))
    assert assessment.status is Status.INSUFFICIENT_DATA
    assert assessment.reason == messages.NO_P_AT_6_MONTHS
    assert "upcr" in assessment.suggestions


def test_no_response_requires_no_cr_or_pr_at_any_point_after_t0() -> None:
    # PR at day 60, then neither (not a flare: 1.8 < 2 × 0.9): lost, not NR
    rec = record(mmf(0, 400, dose=1000), p(0, 2.0), p(60, 0.9), p(190, 1.7), as_of=200)
    assessment = run(rec)
    assert assessment.response is Response.LOST
    assert assessment.status is Status.NO_RESPONSE
    assert assessment.refractory is False
    assert assessment.response_lost is True
    assert assessment.reason == messages.LOST
    assert messages.RESPONSE_LOST in assessment.caveats
    assert "upcr" in assessment.suggestions


@pytest.mark.parametrize(
    ("as_of", "status"), [(150, Status.ACTIVE), (200, Status.INSUFFICIENT_DATA)]
)
def test_response_is_not_lost_while_a_partial_response_is_undecidable_without_p0(
    as_of: int, status: Status
) -> None:
    # CR at day 30 needs no P0; the current 0.8 could still be a PR (P0 unknown), so it is
    # not "neither CR nor PR" (§4 lost response) but an undecidable PR (§8)
    rec = record(mmf(0, 400), p(30, 0.3), p(140, 0.8), as_of=as_of)
    assessment = run(rec)
    assert assessment.value("P0") is None
    assert assessment.response is Response.UNDETERMINED
    assert assessment.response_lost is False
    assert assessment.status is status
    assert messages.PR_NEEDS_P0 in assessment.caveats
    assert messages.RESPONSE_LOST not in assessment.caveats


def test_response_is_lost_without_p0_once_the_current_p_is_at_least_3() -> None:
    # ≥ 3.0 is never a PR, so with or without P0 the CR reached at day 30 is lost
    rec = record(mmf(0, 400), p(30, 0.3), p(140, 3.0), as_of=150)
    assert run(rec).response is Response.LOST


def test_lost_response_is_reported_before_six_months() -> None:
    rec = record(mmf(0, 400), p(0, 1.2), p(30, 0.4), p(60, 0.8), as_of=70)
    assessment = run(rec)
    assert assessment.response is Response.LOST
    assert assessment.status is Status.NO_RESPONSE


@pytest.mark.parametrize(("age", "stale"), [(180, False), (181, True)])
def test_current_proteinuria_older_than_180_days_is_stale(age: int, stale: bool) -> None:
    rec = record(mmf(0, 1000, dose=1000), p(0, 2.0), p(400, 0.3), as_of=400 + age)
    assessment = run(rec)
    if stale:
        assert assessment.response is Response.UNDETERMINED
        assert assessment.status is Status.INSUFFICIENT_DATA
        assert assessment.reason == messages.P_STALE
        assert messages.P_STALE in assessment.caveats
        assert "upcr" in assessment.suggestions
    else:
        assert assessment.response is Response.COMPLETE


def test_stale_proteinuria_allows_no_claim_of_no_response_or_refractory() -> None:
    rec = record(mmf(0, 1000), p(0, 2.0), p(200, 1.9), as_of=400)
    assessment = run(rec)
    assert assessment.response is Response.UNDETERMINED
    assert assessment.refractory is False


def test_no_proteinuria_at_all_is_insufficient_data() -> None:
    assessment = run(record(mmf(0, 100), egfr(0, 90), as_of=100))
    assert assessment.response is Response.UNDETERMINED
    assert assessment.reason == messages.NO_P
    assert assessment.status is Status.INSUFFICIENT_DATA


def test_partial_response_undecidable_without_p0_is_insufficient_data_after_six_months() -> None:
    rec = record(mmf(0, 400, dose=1000), p(20, 1.0), p(190, 1.0), as_of=200)
    assessment = run(rec)
    assert assessment.value("P0") is None
    assert assessment.response is Response.UNDETERMINED
    assert assessment.reason == messages.PR_NEEDS_P0
    assert messages.PR_NEEDS_P0 in assessment.caveats


def test_proteinuria_of_3_without_p0_is_no_response() -> None:
    rec = record(mmf(0, 400, dose=1000), p(20, 3.0), p(190, 3.0), as_of=200)
    assert run(rec).response is Response.NONE


def test_not_yet_due_before_six_months_when_not_responding() -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), p(90, 1.8), as_of=100))
    assert assessment.response is Response.NOT_YET_DUE
    assert assessment.status is Status.ACTIVE


def test_not_yet_due_when_no_proteinuria_since_t0_but_baseline_is_recent() -> None:
    assessment = run(record(mmf(0, 400), p(-5, 2.0), as_of=30))
    assert assessment.response is Response.NOT_YET_DUE
    assert messages.CURRENT_P_BEFORE_INDEX in assessment.caveats


def test_function_fall_at_current_proteinuria_rules_out_complete_response() -> None:
    rec = record(
        mmf(0, 400, dose=1000), p(0, 2.0), egfr(0, 100), p(190, 0.3), egfr(190, 70), as_of=200
    )
    assessment = run(rec)
    assert assessment.response is Response.NONE
    assert assessment.function_assessed is True


def test_unknown_function_decides_on_proteinuria_alone_and_says_so() -> None:
    rec = record(mmf(0, 400), p(0, 2.0), scr(0, 1.0), p(190, 0.3), as_of=200)
    assessment = run(rec)
    assert assessment.response is Response.COMPLETE
    assert assessment.function_assessed is False
    assert messages.FUNCTION_NOT_ASSESSED in assessment.caveats
    assert "creatinine" in assessment.suggestions


def test_response_evaluated_only_at_proteinuria_after_t0() -> None:
    # a low value on T0 itself is the baseline, not a response
    assessment = run(record(mmf(0, 400), p(0, 0.3), as_of=10))
    assert assessment.response is Response.NOT_YET_DUE
    assert ("CR", day(0)) not in assessment.milestones


def test_function_is_not_reported_as_assessed_when_no_response_is_judged() -> None:
    # eGFR at the current P is known, but the P is stale: no response is judged
    rec = record(mmf(0, 1000), p(0, 2.0), egfr(0, 90), p(200, 0.3), egfr(200, 90), as_of=400)
    assessment = run(rec)
    assert assessment.response is Response.UNDETERMINED
    assert assessment.function_assessed is False
