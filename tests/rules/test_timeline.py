"""The as-of view of the record: inclusive windows, closest-value ties, later data hidden."""

from __future__ import annotations

import pytest

from cds.rules.timeline import Timeline
from fhir_mapping.record import Series
from tests.rules.builders import cast, day, egfr, measurement, p, record


def test_data_dated_after_as_of_is_not_seen() -> None:
    timeline = Timeline.of(record(p(10, 1.0), p(20, 2.0), as_of=15), day(15))
    assert [m.date for m in timeline.p] == [day(10)]


def test_between_is_inclusive_at_both_ends() -> None:
    timeline = Timeline.of(record(p(10, 1.0), p(20, 2.0), p(30, 3.0)), day(365))
    assert [m.value for m in timeline.p.between(day(10), day(30))] == [1.0, 2.0, 3.0]
    assert [m.value for m in timeline.p.after(day(10), day(30))] == [2.0, 3.0]


@pytest.mark.parametrize(("offset", "found"), [(30, True), (31, False), (-30, True), (-31, False)])
def test_closest_looks_within_plus_minus_window_inclusive(offset: int, found: bool) -> None:
    timeline = Timeline.of(record(egfr(100 + offset, 60)), day(365))
    assert (timeline.egfr.closest(day(100), 30) is not None) is found


def test_closest_tie_takes_the_earlier_value() -> None:
    timeline = Timeline.of(record(egfr(95, 50), egfr(105, 70)), day(365))
    closest = timeline.egfr.closest(day(100), 30)
    assert closest is not None
    assert closest.value == 50


def test_closest_prefers_the_nearer_value() -> None:
    timeline = Timeline.of(record(egfr(90, 50), egfr(104, 70)), day(365))
    closest = timeline.egfr.closest(day(100), 30)
    assert closest is not None
    assert closest.value == 70


def test_at_an_earlier_day_hides_later_values_without_copying_the_rule_inputs() -> None:
    timeline = Timeline.of(record(p(10, 1.0), p(20, 2.0), p(30, 3.0)), day(365))
    earlier = timeline.at(day(20))
    assert earlier.as_of == day(20)
    assert [m.value for m in earlier.p] == [1.0, 2.0]
    assert timeline.at(day(400)) is timeline


def test_casts_of_unknown_positivity_are_left_out() -> None:
    unknown = measurement(Series.RBC_CASTS, 10, None, unit="", code="5807-3")
    counted = measurement(Series.RBC_CASTS, 11, 2.0, unit="/[LPF]", code="5807-3")
    timeline = Timeline.of(record(unknown, counted, cast(12, False)), day(365))
    assert [m.date for m in timeline.casts] == [day(11), day(12)]
