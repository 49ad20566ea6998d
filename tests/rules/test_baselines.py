"""Baselines P0, eGFR0, Scr0 (clinical.md §3): latest in [T0 − 90, T0], else earliest in
(T0, T0 + 14], each chosen independently."""

from __future__ import annotations

import pytest

from tests.rules.builders import day, egfr, mmf, p, record, run, scr


@pytest.mark.parametrize(("offset", "found"), [(-90, True), (-91, False), (0, True)])
def test_p0_window_before_t0_is_inclusive(offset: int, found: bool) -> None:
    assessment = run(record(mmf(0, 100), p(offset, 2.0), as_of=100))
    p0 = assessment.value("P0")
    assert (p0 is not None and p0.date == day(offset)) is found


@pytest.mark.parametrize(("offset", "found"), [(1, True), (14, True), (15, False)])
def test_p0_falls_back_to_the_first_value_after_t0_up_to_14_days(offset: int, found: bool) -> None:
    assessment = run(record(mmf(0, 100), p(offset, 2.0), as_of=100))
    p0 = assessment.value("P0")
    assert (p0 is not None and p0.date == day(offset)) is found


def test_p0_is_the_latest_value_before_t0_not_the_earliest() -> None:
    assessment = run(record(mmf(0, 100), p(-60, 2.0), p(-10, 3.0), p(5, 4.0), as_of=100))
    p0 = assessment.value("P0")
    assert p0 is not None
    assert p0.value == 3.0


def test_value_on_t0_itself_beats_a_value_in_the_first_14_days() -> None:
    assessment = run(record(mmf(0, 100), p(0, 2.0), p(5, 4.0), as_of=100))
    p0 = assessment.value("P0")
    assert p0 is not None
    assert p0.value == 2.0


def test_fallback_takes_the_earliest_value_after_t0() -> None:
    assessment = run(record(mmf(0, 100), p(3, 2.0), p(10, 4.0), as_of=100))
    p0 = assessment.value("P0")
    assert p0 is not None
    assert p0.value == 2.0


def test_baselines_are_chosen_independently() -> None:
    rec = record(mmf(0, 100), p(-20, 2.0), egfr(-100, 90), egfr(10, 70), scr(12, 1.1), as_of=100)
    assessment = run(rec)
    p0, egfr0, scr0 = (assessment.value(label) for label in ("P0", "eGFR0", "Scr0"))
    assert p0 is not None
    assert p0.date == day(-20)
    assert egfr0 is not None
    assert (egfr0.date, egfr0.value) == (day(10), 70)
    assert scr0 is not None
    assert scr0.date == day(12)


def test_no_baseline_in_either_window_leaves_it_out() -> None:
    assessment = run(record(mmf(0, 100), p(-91, 2.0), p(15, 2.0), as_of=100))
    assert assessment.value("P0") is None
