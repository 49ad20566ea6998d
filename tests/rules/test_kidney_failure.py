"""Kidney failure (clinical.md §2, §8): from Conditions or a sustained eGFR < 15."""

from __future__ import annotations

import pytest

from cds.assessment import Response, Status
from cds.rules import messages
from tests.rules.builders import SNOMED_ESKD, condition, criterion, egfr, mmf, p, record, run


@pytest.mark.parametrize(
    ("values", "failure"),
    [
        ([(300, 14), (330, 14.9)], True),  # two values, 30 days apart
        ([(300, 14), (329, 14.9)], False),  # 29 days apart
        ([(300, 14), (330, 15)], False),  # 15 is not < 15
        ([(300, 14)], False),  # a single value
        ([(275, 10), (330, 10)], True),  # first value exactly 90 days before as_of
        ([(274, 10), (330, 10)], False),  # 91 days before: outside, one value left
        ([(280, 10), (300, 40), (330, 10)], False),  # not all < 15
    ],
)
def test_kidney_failure_from_the_egfr_series(
    values: list[tuple[int, float]], failure: bool
) -> None:
    rec = record(mmf(0, 365), p(0, 2.0), *(egfr(d, v) for d, v in values), as_of=365)
    assessment = run(rec)
    assert (assessment.status is Status.KIDNEY_FAILURE) is failure
    assert criterion(assessment, "Kidney failure").met is failure


def test_kidney_failure_condition() -> None:
    rec = record(mmf(0, 365), p(0, 2.0), kidney_failure=[condition(SNOMED_ESKD, 100)], as_of=365)
    assessment = run(rec)
    assert assessment.status is Status.KIDNEY_FAILURE
    assert assessment.reason == messages.KIDNEY_FAILURE
    assert assessment.response is Response.UNDETERMINED


def test_kidney_failure_wins_over_a_flare_and_nothing_else_is_judged() -> None:
    rec = record(
        mmf(0, 400),
        p(0, 3.0),
        p(60, 0.3),
        p(300, 2.5),
        egfr(300, 12),
        egfr(340, 11),
        as_of=345,
    )
    assessment = run(rec)
    assert assessment.status is Status.KIDNEY_FAILURE
    assert assessment.flare is None
    assert assessment.refractory is False
    assert criterion(assessment, "Kidney failure").evidence


def test_kidney_failure_applies_to_sle_without_ln() -> None:
    rec = record(kidney_failure=[condition(SNOMED_ESKD, None)], ln=False, as_of=365)
    assert run(rec).status is Status.KIDNEY_FAILURE


def test_kidney_failure_does_not_apply_without_sle() -> None:
    rec = record(kidney_failure=[condition(SNOMED_ESKD, None)], ln=False, sle=False, as_of=365)
    assert run(rec).status is Status.NOT_APPLICABLE


def test_gu_2014_below_entry_still_reports_kidney_failure() -> None:
    rec = record(mmf(0, 365), p(0, 0.6), egfr(300, 10), egfr(340, 10), as_of=365)
    assert run(rec, profile="gu-2014").status is Status.KIDNEY_FAILURE
