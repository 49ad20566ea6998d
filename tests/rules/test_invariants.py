"""Property tests over arbitrary records: `assess` never raises, gives one consistent status,
and every remission it reports rests on the values §4 requires (a wrong "remission" card is
worse than none).

The records mix every series the rules read, induction and glucocorticoid records, and
SLE / LN / kidney failure Conditions, on both profiles and on any assessment date. Most
have an induction course with a baseline proteinuria, so that responses are often judged.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assessment import Assessment, Response, Status
from cds.profiles import PROFILE_NAMES, load_profile
from fhir_mapping.record import ConditionFact
from tests.rules.builders import (
    SNOMED_ESKD,
    Item,
    cast,
    condition,
    cyc,
    day,
    egfr,
    mmf,
    p,
    prednisone,
    rbc,
    record,
    rituximab,
    run,
    scr,
    spot,
)

DAYS = st.integers(-200, 500)
P_VALUES = st.sampled_from([0.1, 0.3, 0.49, 0.5, 0.8, 1.0, 1.2, 2.0, 2.5, 3.0, 4.0, 7.0])
EGFR_VALUES = st.sampled_from([8.0, 40.0, 70.0, 84.0, 85.0, 90.0, 95.0, 100.0, 100.0, 110.0, 120.0])
SCR_VALUES = st.sampled_from([0.7, 0.9, 1.2, 1.6, 3.0])


@st.composite
def items(draw: st.DrawFn) -> list[Item]:
    out: list[Item] = []
    p_days: dict[int, float] = draw(st.dictionaries(DAYS, P_VALUES, max_size=10))
    if draw(st.sampled_from([True] * 4 + [False])):  # most: induction from T0 with a P0
        t0 = draw(st.integers(-100, 300))
        out.append(mmf(t0, t0 + draw(st.integers(0, 500))))
        p_days[t0] = draw(P_VALUES)
    out += [p(d, v) if draw(st.booleans()) else spot(d, v) for d, v in p_days.items()]
    out += [scr(d, v) for d, v in draw(st.dictionaries(DAYS, SCR_VALUES, max_size=6)).items()]
    out += [egfr(d, v) for d, v in draw(st.dictionaries(DAYS, EGFR_VALUES, max_size=6)).items()]
    out += [rbc(d, v) for d, v in draw(st.dictionaries(DAYS, st.sampled_from([2, 8, 20]))).items()]
    out += [cast(d, v) for d, v in draw(st.dictionaries(DAYS, st.booleans(), max_size=4)).items()]
    for start, length, kind in draw(
        st.lists(st.tuples(DAYS, st.integers(0, 400), st.integers(0, 3)), max_size=4)
    ):
        if kind == 0:
            out.append(mmf(start, start + length, dose=draw(st.sampled_from([None, 1000, 2000]))))
        elif kind == 1:
            out.append(cyc(start, doses=draw(st.integers(1, 6))))
        elif kind == 2:
            out.append(rituximab(start, start + length))
        else:
            out.append(prednisone(start, start + length, dose=draw(st.sampled_from([10, 30]))))
    return out


@st.composite
def kidney_failure_conditions(draw: st.DrawFn) -> list[ConditionFact]:
    if not draw(st.sampled_from([False] * 9 + [True])):  # one record in ten
        return []
    return [condition(SNOMED_ESKD, draw(st.one_of(st.none(), DAYS)))]


def check_remission_rests_on_its_evidence(a: Assessment, profile: str) -> None:
    rules = load_profile(profile).response
    current = a.value("P")
    assert current is not None
    assert a.index_date is not None
    assert a.flare is None
    assert not a.refractory
    assert current.date > a.index_date  # judged only at a P after T0
    assert (a.as_of - current.date).days <= rules.stale_days  # never on a stale P
    if a.status is Status.COMPLETE_RESPONSE:
        assert a.response is Response.COMPLETE
        assert current.value < rules.cr_p_below
    else:
        assert a.response is Response.PARTIAL
        p0 = a.value("P0")
        assert p0 is not None  # a PR needs a baseline
        assert current.value <= rules.pr_fraction_of_p0 * p0.value + 1e-9
        assert current.value < rules.pr_p_below
    if a.function_assessed:  # a measured fall rules a remission out
        egfr0, egfr_t = a.value("eGFR0"), a.value("eGFR")
        scr0, scr_t = a.value("Scr0"), a.value("Scr")
        if egfr0 is not None and egfr_t is not None:  # the eGFR pair is used when it exists
            assert egfr_t.value >= rules.egfr_stable_fraction * egfr0.value - 1e-9
        else:
            assert scr0 is not None
            assert scr_t is not None
            assert scr_t.value <= rules.scr_stable_fraction * scr0.value + 1e-9


@settings(max_examples=400, deadline=None)
@given(
    found=items(),
    kidney_failure=kidney_failure_conditions(),
    diagnosis=st.tuples(st.sampled_from([True, True, True, False, -30, 250]), st.booleans()),
    as_of=st.integers(0, 500),
    profile=st.sampled_from(PROFILE_NAMES),
)
def test_every_assessment_is_one_consistent_status(
    found: list[Item],
    kidney_failure: list[ConditionFact],
    diagnosis: tuple[bool | int, bool],
    as_of: int,
    profile: str,
) -> None:
    ln, sle = diagnosis  # ln: True (undated), False (none) or its date; sle: an SLE Condition
    rec = record(*found, kidney_failure=kidney_failure, ln=ln, sle=sle, as_of=500)
    a = run(rec, as_of=as_of, profile=profile)
    assert a.as_of == day(as_of)
    assert a.refractory is (a.status is Status.REFRACTORY)
    assert (a.flare is not None) is (a.status is Status.FLARE)
    if a.response is Response.UNDETERMINED:
        assert not a.function_assessed
    if a.status in (Status.KIDNEY_FAILURE, Status.NOT_APPLICABLE, Status.POSSIBLE_LN):
        assert a.response is Response.UNDETERMINED
        assert a.index_date is None
    if a.status in (Status.COMPLETE_RESPONSE, Status.PARTIAL_RESPONSE):
        check_remission_rests_on_its_evidence(a, profile)
    latest: date = a.as_of
    assert all(v.date <= latest for v in a.values)  # nothing dated after as_of is used
