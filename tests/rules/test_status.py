"""Exactly one status, by the precedence of clinical.md §8; active (§5); gu-2014 entry (§7)."""

from __future__ import annotations

import pytest

from cds.assessment import Response, Status
from cds.rules import messages
from tests.rules.builders import Item, criterion, egfr, has_criterion, mmf, p, record, run


@pytest.mark.parametrize(("as_of", "status"), [(182, Status.ACTIVE), (183, Status.NO_RESPONSE)])
def test_active_for_fewer_than_183_days_after_t0(as_of: int, status: Status) -> None:
    rec = record(mmf(0, 400, dose=1000), p(0, 2.0), p(170, 1.8), as_of=as_of)
    assert run(rec).status is status


@pytest.mark.parametrize(
    ("measured", "status"), [(-90, Status.ACTIVE), (-91, Status.INSUFFICIENT_DATA)]
)
def test_active_needs_proteinuria_from_90_days_before_t0(measured: int, status: Status) -> None:
    assessment = run(record(mmf(0, 400), p(measured, 2.0), as_of=60))
    assert assessment.status is status
    if status is Status.INSUFFICIENT_DATA:
        assert assessment.reason == messages.NO_RECENT_P


def test_active_includes_a_partial_response_undecidable_without_p0() -> None:
    assessment = run(record(mmf(0, 400), p(50, 1.0), as_of=60))
    assert assessment.status is Status.ACTIVE
    assert assessment.response is Response.UNDETERMINED  # not "not yet due": unknown
    assert criterion(assessment, "Active lupus nephritis").met is True


def test_active_is_not_judged_after_183_days() -> None:
    assessment = run(record(mmf(0, 400, dose=1000), p(0, 2.0), p(190, 1.8), as_of=200))
    assert not has_criterion(assessment, "Active lupus nephritis")


def test_complete_response_wins_over_active() -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), p(50, 0.2), as_of=60))
    assert assessment.status is Status.COMPLETE_RESPONSE


def test_lupus_nephritis_without_index_date_is_insufficient_data() -> None:
    assessment = run(record(p(100, 2.0), as_of=120))
    assert assessment.status is Status.INSUFFICIENT_DATA
    assert assessment.reason == messages.NO_INDEX_DATE
    assert assessment.index_date is None


# --- gu-2014 entry -------------------------------------------------------------------------


@pytest.mark.parametrize(("p0", "judged"), [(1.0, True), (0.99, False)])
def test_gu_2014_requires_baseline_proteinuria_of_1(p0: float, judged: bool) -> None:
    assessment = run(record(mmf(0, 400), p(0, p0), p(60, 0.2), as_of=70), profile="gu-2014")
    assert criterion(assessment, "Trial entry proteinuria").met is judged
    if judged:
        assert assessment.status is Status.COMPLETE_RESPONSE
    else:
        assert assessment.status is Status.INSUFFICIENT_DATA
        assert assessment.reason == messages.ENTRY_BELOW
        assert assessment.response is Response.UNDETERMINED
        assert assessment.flare is None


def test_gu_2014_without_p0_is_below_entry() -> None:
    assessment = run(record(mmf(0, 400), p(60, 0.2), as_of=70), profile="gu-2014")
    assert assessment.status is Status.INSUFFICIENT_DATA
    assert assessment.reason == messages.ENTRY_NO_P0
    assert "below the trial's entry proteinuria" in assessment.reason


def test_kdigo_2024_has_no_entry_criterion() -> None:
    assessment = run(record(mmf(0, 400), p(0, 0.6), p(60, 0.2), as_of=70))
    assert assessment.status is Status.COMPLETE_RESPONSE
    assert not has_criterion(assessment, "Trial entry proteinuria")


@pytest.mark.parametrize("profile", ["kdigo-2024", "gu-2014"])
def test_every_assessment_has_exactly_one_status_and_carries_its_profile(profile: str) -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), p(60, 0.2), as_of=70), profile=profile)
    assert isinstance(assessment.status, Status)
    assert assessment.profile == profile


def test_stale_proteinuria_early_in_induction_is_still_active_and_asks_for_a_new_test() -> None:
    # T0 day 0; the only P is 85 days before T0 and 185 days before as_of
    assessment = run(record(mmf(0, 400), p(-85, 2.0), as_of=100))
    assert assessment.status is Status.ACTIVE
    assert assessment.response is Response.UNDETERMINED
    assert messages.P_STALE in assessment.caveats
    assert "upcr" in assessment.suggestions


@pytest.mark.parametrize(
    ("name", "items", "diagnosis", "status"),
    [
        ("no lupus", [], "none", Status.NOT_APPLICABLE),
        ("possible LN", [p(300, 0.6), p(310, 0.7)], "sle", Status.POSSIBLE_LN),
        ("kidney failure", [egfr(300, 10), egfr(340, 9)], "ln", Status.KIDNEY_FAILURE),
        ("flare", [mmf(0, 400), p(0, 2.0), p(60, 0.3), p(300, 1.5)], "ln", Status.FLARE),
        ("refractory", [mmf(0, 400), p(0, 2.0), p(300, 1.8)], "ln", Status.REFRACTORY),
        ("no response", [mmf(0, 400, dose=1000), p(0, 2.0), p(300, 1.8)], "ln", Status.NO_RESPONSE),
        ("complete", [mmf(0, 400), p(0, 2.0), p(300, 0.3)], "ln", Status.COMPLETE_RESPONSE),
        ("partial", [mmf(0, 400), p(0, 2.0), p(300, 0.9)], "ln", Status.PARTIAL_RESPONSE),
        ("active", [mmf(250, 400), p(250, 2.0), p(300, 1.8)], "ln", Status.ACTIVE),
        ("insufficient", [mmf(0, 400), p(0, 2.0)], "ln", Status.INSUFFICIENT_DATA),
    ],
)
def test_each_status_is_reached_by_its_own_situation(
    name: str, items: list[Item], diagnosis: str, status: Status
) -> None:
    rec = record(*items, ln=diagnosis == "ln", sle=diagnosis != "none", as_of=350)
    assert run(rec).status is status, name


def test_diagnoses_dated_after_the_assessment_date_are_not_seen() -> None:
    # §1: only data dated ≤ as_of; the record may hold later Conditions (built as of 365)
    rec = record(
        mmf(0, 400), p(0, 2.0), p(190, 0.3), ln=300, sle=False, ln_classes=("IV",), as_of=365
    )
    before = run(rec, as_of=200)
    assert before.status is Status.NOT_APPLICABLE
    assert before.ln_classes == ()
    assert run(rec, as_of=300).status is Status.COMPLETE_RESPONSE
