"""`ResponseHistory.first_reached(day)` reuses settled responses; it must equal judging
every proteinuria with only the data known on that day (what §3's reset asks)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.profiles import load_profile
from cds.rules.baselines import baselines_at
from cds.rules.response import Outcome, ResponseHistory, response_at
from cds.rules.timeline import Timeline
from tests.rules.builders import D0, day, egfr, mmf, p, record

PROFILE = load_profile()


def _naive(timeline: Timeline, query: int) -> tuple[date, Outcome] | None:
    view = timeline.at(day(query))
    base = baselines_at(view, D0, PROFILE.index)
    for m in view.p.after(D0, view.as_of):
        judged = response_at(m, view, base, PROFILE)
        if judged.outcome.reached:
            return judged.p.date, judged.outcome
    return None


@settings(max_examples=120, deadline=None)
@given(
    ps=st.lists(
        st.tuples(st.integers(-20, 200), st.sampled_from([0.2, 0.45, 0.9, 1.4, 2.5, 3.5])),
        max_size=12,
    ),
    egfrs=st.lists(
        st.tuples(st.integers(-20, 230), st.sampled_from([50.0, 70.0, 85.0, 100.0])), max_size=8
    ),
    queries=st.lists(st.integers(0, 230), min_size=1, max_size=8),
)
def test_first_response_known_on_a_day_matches_judging_with_that_days_data(
    ps: list[tuple[int, float]], egfrs: list[tuple[int, float]], queries: list[int]
) -> None:
    rec = record(
        mmf(0, 300),
        *{d: p(d, v) for d, v in ps}.values(),
        *{d: egfr(d, v) for d, v in egfrs}.values(),
        as_of=230,
    )
    timeline = Timeline.of(rec, day(230))
    history = ResponseHistory(timeline, D0, PROFILE)
    for query in sorted(queries):
        found = history.first_reached(day(query))
        got = (found.p.date, found.outcome) if found is not None else None
        assert got == _naive(timeline, query)
