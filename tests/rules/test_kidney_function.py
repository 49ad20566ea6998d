"""Kidney function at t against baseline (clinical.md §3–4): eGFR first, creatinine second."""

from __future__ import annotations

from datetime import date

import pytest

from cds.profiles import load_profile
from cds.rules.baselines import baselines_at
from cds.rules.kidney_function import FunctionBasis, FunctionState, KidneyFunction, function_at
from cds.rules.timeline import Timeline
from fhir_mapping.record import EgfrPoint, Measurement
from tests.rules.builders import day, egfr, mmf, record, scr


def _function(
    *items: EgfrPoint | Measurement, t: int = 200, profile: str = "kdigo-2024"
) -> KidneyFunction:
    prof = load_profile(profile)
    rec = record(mmf(0, 300), *items, as_of=300)
    timeline = Timeline.of(rec, day(300))
    base = baselines_at(timeline, date(2024, 1, 1), prof.index)
    return function_at(day(t), timeline, base, prof.index, prof.response)


@pytest.mark.parametrize(
    ("baseline", "now", "state"),
    [
        (100, 85.0, FunctionState.STABLE),  # exactly 85 %
        (100, 84.99, FunctionState.FALLEN),
        (100, 85.01, FunctionState.STABLE),
        (60, 51, FunctionState.STABLE),  # 0.85 × 60 is 50.99999… in binary
        (100, 120, FunctionState.STABLE),  # improvement is stable
    ],
)
def test_egfr_at_85_percent_of_baseline_is_stable(
    baseline: float, now: float, state: FunctionState
) -> None:
    function = _function(egfr(0, baseline), egfr(200, now))
    assert function.state is state
    assert function.basis is FunctionBasis.EGFR


@pytest.mark.parametrize(
    ("baseline", "now", "state"),
    [
        (1.0, 1.15, FunctionState.STABLE),
        (1.0, 1.1501, FunctionState.FALLEN),
        (0.9, 1.035, FunctionState.STABLE),  # 1.15 × 0.9 with float error
        (1.0, 0.8, FunctionState.STABLE),
    ],
)
def test_creatinine_up_to_115_percent_of_baseline_is_stable(
    baseline: float, now: float, state: FunctionState
) -> None:
    function = _function(scr(0, baseline), scr(200, now))
    assert function.state is state
    assert function.basis is FunctionBasis.CREATININE


@pytest.mark.parametrize(
    ("offset", "assessed"), [(30, True), (-30, True), (31, False), (-31, False)]
)
def test_function_at_t_uses_a_value_within_30_days(offset: int, assessed: bool) -> None:
    function = _function(egfr(0, 90), egfr(200 + offset, 90))
    assert function.assessed is assessed


def test_tie_between_two_egfr_values_takes_the_earlier() -> None:
    function = _function(egfr(0, 100), egfr(195, 60), egfr(205, 100))
    assert function.state is FunctionState.FALLEN
    assert function.egfr is not None
    assert function.egfr.date == day(195)


def test_without_baseline_egfr_the_creatinine_pair_is_used() -> None:
    function = _function(scr(0, 1.0), egfr(200, 40), scr(200, 1.0))
    assert function.basis is FunctionBasis.CREATININE
    assert function.state is FunctionState.STABLE


def test_without_egfr_at_t_the_creatinine_pair_is_used() -> None:
    function = _function(egfr(0, 90), scr(0, 1.0), scr(200, 1.5))
    assert function.basis is FunctionBasis.CREATININE
    assert function.state is FunctionState.FALLEN


def test_without_any_pair_function_is_unknown() -> None:
    function = _function(egfr(0, 90), scr(200, 1.0))
    assert function.state is FunctionState.UNKNOWN
    assert not function.assessed


@pytest.mark.parametrize(
    ("now", "kdigo", "gu"),
    [
        (88, FunctionState.STABLE, FunctionState.FALLEN),
        (90, FunctionState.STABLE, FunctionState.STABLE),
        (89.99, FunctionState.STABLE, FunctionState.FALLEN),
    ],
)
def test_gu_2014_allows_only_a_10_percent_egfr_fall(
    now: float, kdigo: FunctionState, gu: FunctionState
) -> None:
    assert _function(egfr(0, 100), egfr(200, now)).state is kdigo
    assert _function(egfr(0, 100), egfr(200, now), profile="gu-2014").state is gu


@pytest.mark.parametrize(
    ("now", "gu"),
    [(1.11, FunctionState.STABLE), (1.1101, FunctionState.FALLEN), (1.12, FunctionState.FALLEN)],
)
def test_gu_2014_allows_creatinine_up_to_111_percent(now: float, gu: FunctionState) -> None:
    assert _function(scr(0, 1.0), scr(200, now), profile="gu-2014").state is gu
    assert _function(scr(0, 1.0), scr(200, now)).state is FunctionState.STABLE
