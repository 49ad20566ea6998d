"""`possible-ln` (clinical.md §8): SLE without LN but with renal findings in 180 days."""

from __future__ import annotations

import pytest

from cds.assessment import Status
from cds.rules import messages
from tests.rules.builders import Item, cast, criterion, egfr, p, rbc, record, run, spot


def _status(*items: Item, as_of: int = 365) -> Status:
    return run(record(*items, ln=False, as_of=as_of)).status


@pytest.mark.parametrize(
    ("second", "status"), [(307, Status.POSSIBLE_LN), (306, Status.NOT_APPLICABLE)]
)
def test_two_proteinuria_values_at_least_7_days_apart(second: int, status: Status) -> None:
    assert _status(p(300, 0.5), p(second, 0.6)) is status


def test_proteinuria_below_0_5_does_not_count() -> None:
    assert _status(p(300, 0.49), p(340, 0.49)) is Status.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("first", "status"), [(185, Status.POSSIBLE_LN), (184, Status.NOT_APPLICABLE)]
)
def test_values_must_lie_within_180_days(first: int, status: Status) -> None:
    assert _status(p(first, 0.8), p(365, 0.8)) is status


@pytest.mark.parametrize(("count", "status"), [(6, Status.POSSIBLE_LN), (5, Status.NOT_APPLICABLE)])
def test_one_proteinuria_with_hematuria_above_5(count: float, status: Status) -> None:
    assert _status(p(300, 0.6), rbc(300, count)) is status


@pytest.mark.parametrize(
    ("offset", "status"),
    [(30, Status.POSSIBLE_LN), (-30, Status.POSSIBLE_LN), (31, Status.NOT_APPLICABLE)],
)
def test_sediment_within_30_days_of_the_proteinuria(offset: int, status: Status) -> None:
    assert _status(p(300, 0.6), rbc(300 + offset, 10)) is status


def test_one_proteinuria_with_a_positive_cast() -> None:
    assert _status(p(300, 0.6), cast(310, True)) is Status.POSSIBLE_LN
    assert _status(p(300, 0.6), cast(310, False)) is Status.NOT_APPLICABLE


def test_sediment_must_also_lie_within_the_180_day_window() -> None:
    # P on day 200 (in the window from day 185), hematuria on day 184 (outside)
    assert _status(p(200, 0.6), rbc(184, 10)) is Status.NOT_APPLICABLE
    assert _status(p(200, 0.6), rbc(185, 10)) is Status.POSSIBLE_LN


def test_possible_ln_cites_its_evidence_and_suggests_confirmation() -> None:
    assessment = run(record(spot(300, 0.6), rbc(305, 10), egfr(300, 90), ln=False, as_of=365))
    assert assessment.status is Status.POSSIBLE_LN
    met = criterion(assessment, "Possible lupus nephritis")
    assert met.met is True
    assert {e.value for e in met.evidence} == {0.6, 10}
    assert "upcr" in assessment.suggestions
    assert "urinalysis" not in assessment.suggestions
    assert messages.SPOT_RATIO in assessment.caveats


def test_sle_without_renal_findings_is_not_applicable_with_a_reason() -> None:
    assessment = run(record(ln=False, as_of=365))
    assert assessment.status is Status.NOT_APPLICABLE
    assert assessment.reason == messages.SLE_WITHOUT_RENAL_FINDINGS
    assert assessment.suggestions == ()


def test_no_sle_and_no_ln_is_not_applicable() -> None:
    assessment = run(record(p(300, 3.0), p(320, 3.0), ln=False, sle=False, as_of=365))
    assert assessment.status is Status.NOT_APPLICABLE
    assert assessment.reason == messages.NOT_SLE
    assert assessment.criteria == ()


def test_possible_ln_is_not_judged_when_ln_is_known() -> None:
    assessment = run(record(p(300, 0.6), p(320, 0.6), as_of=365))
    assert assessment.status is not Status.POSSIBLE_LN
