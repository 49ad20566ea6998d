"""gu-2014 (clinical.md §7): the trial's function rule and its cohort visits."""

from __future__ import annotations

import pytest

from cds.assessment import Status
from cds.profiles import load_profile
from cds.rules.visits import visit_day
from tests.rules.builders import criterion, day, egfr, mmf, p, record, run


def test_egfr_at_88_percent_is_complete_response_for_kdigo_but_not_gu() -> None:
    rec = record(mmf(0, 400), p(0, 2.0), egfr(0, 100), p(60, 0.3), egfr(60, 88), as_of=70)
    assert run(rec).status is Status.COMPLETE_RESPONSE
    assert run(rec, profile="gu-2014").status is Status.ACTIVE


@pytest.mark.parametrize(("month", "days"), [(1, 30), (3, 91), (6, 183), (9, 274), (12, 365)])
def test_visit_days_are_months_times_30_44_rounded(month: int, days: int) -> None:
    visits = load_profile("gu-2014").visits
    assert visits is not None
    assert visit_day(month, visits) == days


def test_each_visit_takes_the_proteinuria_closest_to_its_day() -> None:
    rec = record(
        mmf(0, 400),
        p(0, 2.0),
        p(25, 1.5),  # month 1 (day 30): 5 days off
        p(40, 1.4),
        p(61, 0.9),  # month 3 (day 91): 30 days before …
        p(121, 0.4),  # … and 30 days after: the tie goes to the earlier value
        as_of=200,
    )
    assessment = run(rec, profile="gu-2014")
    m1, m3 = assessment.value("P month 1"), assessment.value("P month 3")
    assert m1 is not None
    assert m1.date == day(25)
    assert m3 is not None
    assert m3.date == day(61)
    assert criterion(assessment, "Response at month 3").met is True  # 0.9 ≤ 0.5 × 2.0
    assert criterion(assessment, "Response at month 1").met is False
    # month 6 (day 183 ± 30): day 121 is 62 days off: no value, not met
    assert assessment.value("P month 6") is None
    assert criterion(assessment, "Response at month 6").met is False


@pytest.mark.parametrize(("as_of", "months"), [(60, [1]), (61, [1, 3])])
def test_visits_are_listed_once_their_window_opens(as_of: int, months: list[int]) -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), p(25, 1.5), as_of=as_of), profile="gu-2014")
    names = [c.name for c in assessment.criteria if c.name.startswith("Response at month")]
    assert names == [f"Response at month {m}" for m in months]


def test_kdigo_2024_has_no_cohort_visits() -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), p(25, 1.5), as_of=200))
    assert not any(c.name.startswith("Response at month") for c in assessment.criteria)
