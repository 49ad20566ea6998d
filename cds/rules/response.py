"""Complete, partial and no response (clinical.md §4; §7 for gu-2014's function rule).

A response is judged at every proteinuria value (P) dated after T0. The *current* response
is the one at the latest P; no response (NR) needs six months of follow-up and no CR or PR
at any P after T0. A response reached and later lost is reported as `lost`, not as NR.

`ResponseHistory` also answers "what was the first CR/PR as known on an earlier date",
needed by the index-date reset (§3) which asks whether a flare was met on past lab dates.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cds.assessment import Response
from cds.profiles import Profile, ResponseRules
from cds.rules import messages
from cds.rules.baselines import Baselines, baselines_at, settled_on
from cds.rules.compare import ge, le, lt
from cds.rules.kidney_function import FunctionState, KidneyFunction, function_at
from cds.rules.timeline import Timeline, days, value_of
from fhir_mapping.record import Measurement


class Outcome(StrEnum):
    """The response at one P."""

    COMPLETE = "CR"
    PARTIAL = "PR"
    NEITHER = "neither"
    UNDECIDABLE = "undecidable"  # could be PR, but there is no P0 to compare with

    @property
    def reached(self) -> bool:
        return self in (Outcome.COMPLETE, Outcome.PARTIAL)


@dataclass(frozen=True, slots=True)
class ResponseAt:
    p: Measurement
    outcome: Outcome
    function: KidneyFunction
    baselines: Baselines


def judge(p: float, function: FunctionState, p0: float | None, rules: ResponseRules) -> Outcome:
    """CR / PR / neither at one P. A measured fall in function rules out both; unknown
    function does not (the response is then decided on P alone)."""
    if function is FunctionState.FALLEN:
        return Outcome.NEITHER
    if lt(p, rules.cr_p_below):
        return Outcome.COMPLETE
    if ge(p, rules.pr_p_below):
        return Outcome.NEITHER
    if p0 is None:
        return Outcome.UNDECIDABLE
    if le(p, rules.pr_fraction_of_p0 * p0):
        return Outcome.PARTIAL
    return Outcome.NEITHER


def response_at(
    p: Measurement, timeline: Timeline, base: Baselines, profile: Profile
) -> ResponseAt:
    function = function_at(p.date, timeline, base, profile.index, profile.response)
    p0 = value_of(base.p0) if base.p0 is not None else None
    outcome = judge(value_of(p), function.state, p0, profile.response)
    return ResponseAt(p=p, outcome=outcome, function=function, baselines=base)


class ResponseHistory:
    """Responses at every P after T0, evaluated once and reused.

    The response at t depends only on data dated ≤ max(t + function window, T0 + baseline
    window): after that date it is *settled*, and the value computed with all data is also
    what was known then. Asking what was known on an earlier day therefore only recomputes
    the responses not yet settled on that day, and only those whose proteinuria alone could
    be a CR or PR (a kidney-function check can only take a response away).
    """

    def __init__(self, timeline: Timeline, t0: date, profile: Profile) -> None:
        self._timeline = timeline
        self._t0 = t0
        self._profile = profile
        self._ps = timeline.p.after(t0, timeline.as_of)
        self._dates = [p.date for p in self._ps]
        self._baselines = baselines_at(timeline, t0, profile.index)
        self._judged: list[ResponseAt] = []  # responses[0 .. n), computed on demand
        self._first: int | None = None  # index of the first CR/PR among them
        p0 = value_of(self._baselines.p0) if self._baselines.p0 is not None else None
        self._candidates = [i for i in range(len(self._ps)) if self._could_respond(i, p0)]

    @property
    def t0(self) -> date:
        return self._t0

    @property
    def baselines(self) -> Baselines:
        return self._baselines

    def _judge_up_to(self, n: int) -> None:
        """Judge responses[0 .. n) with all data, stopping early at the first CR/PR."""
        while len(self._judged) < min(n, len(self._ps)) and self._first is None:
            judged = response_at(
                self._ps[len(self._judged)], self._timeline, self._baselines, self._profile
            )
            if judged.outcome.reached:
                self._first = len(self._judged)
            self._judged.append(judged)

    @property
    def responses(self) -> Sequence[ResponseAt]:
        """The response at every P in (T0, as_of], in date order."""
        self._judge_up_to(len(self._ps))
        while len(self._judged) < len(self._ps):  # past the first CR/PR
            p = self._ps[len(self._judged)]
            self._judged.append(response_at(p, self._timeline, self._baselines, self._profile))
        return self._judged

    def first_reached(self, day: date | None = None) -> ResponseAt | None:
        """The first CR or PR after T0, as known on `day` (default: as_of)."""
        if day is None or day >= self._timeline.as_of:
            self._judge_up_to(len(self._ps))
            return self._judged[self._first] if self._first is not None else None
        stop = bisect_right(self._dates, day)
        settled = 0
        if day >= settled_on(self._t0, self._profile.index):
            last_settled = day - days(self._profile.index.function_window_days)
            settled = bisect_right(self._dates, last_settled, 0, stop)
        self._judge_up_to(settled)
        if self._first is not None and self._first < settled:
            return self._judged[self._first]
        # nothing reached among the settled values: judge the others as known on `day`,
        # skipping those whose proteinuria alone rules out a CR or PR
        view = self._timeline.at(day)
        view_baselines = baselines_at(view, self._t0, self._profile.index)
        if view_baselines.p0 is self._baselines.p0:
            candidates = self._candidates[bisect_left(self._candidates, settled) :]
        else:  # before the baseline window closes P0 may not be known yet
            p0 = value_of(view_baselines.p0) if view_baselines.p0 is not None else None
            candidates = [i for i in range(settled, stop) if self._could_respond(i, p0)]
        for i in candidates:
            if i >= stop:
                break
            judged = response_at(self._ps[i], view, view_baselines, self._profile)
            if judged.outcome.reached:
                return judged
        return None

    def _could_respond(self, i: int, p0: float | None) -> bool:
        """Could P alone be a CR/PR? (Kidney function can only take one away.)"""
        value = value_of(self._ps[i])
        return judge(value, FunctionState.UNKNOWN, p0, self._profile.response).reached


@dataclass(frozen=True, slots=True)
class CurrentResponse:
    """The response at as_of and why, when it cannot be given."""

    response: Response
    reason: str | None
    current_p: Measurement | None  # latest P ≤ as_of (may be stale or before T0)
    at_current: ResponseAt | None  # the response at the current P, if it is after T0
    first_reached: ResponseAt | None
    stale: bool


def current_response(
    history: ResponseHistory, timeline: Timeline, profile: Profile
) -> CurrentResponse:
    """§4 with the order of checks that decides `not-yet-due` versus `undetermined`:

    stale/absent P → undetermined; CR/PR at the current P → complete/partial; PR
    undecidable for lack of P0 → undetermined (whether the patient responds is unknown, at
    any time, and a P that could be a PR is not "neither", so an earlier CR/PR is not yet
    lost); a CR/PR reached earlier and now neither → lost; before T0 + 183 d →
    not-yet-due (the current P is decidably neither, or none is dated after T0 yet); current
    P before T0 + 150 d → undetermined ("no proteinuria measured at 6 months"); otherwise
    → none.
    """
    rules = profile.response
    t0 = history.t0
    as_of = timeline.as_of
    current = timeline.p.latest()
    first = history.first_reached()
    responses = history.responses
    at_current = (
        responses[-1]
        if responses and current is not None and responses[-1].p.date == current.date
        else None
    )

    def result(response: Response, reason: str | None, stale: bool = False) -> CurrentResponse:
        return CurrentResponse(response, reason, current, at_current, first, stale)

    if current is None:
        return result(Response.UNDETERMINED, messages.NO_P)
    if (as_of - current.date).days > rules.stale_days:
        return result(Response.UNDETERMINED, messages.P_STALE, stale=True)
    if at_current is not None and at_current.outcome is Outcome.COMPLETE:
        return result(Response.COMPLETE, None)
    if at_current is not None and at_current.outcome is Outcome.PARTIAL:
        return result(Response.PARTIAL, None)
    if at_current is not None and at_current.outcome is Outcome.UNDECIDABLE:
        return result(Response.UNDETERMINED, messages.PR_NEEDS_P0)
    if first is not None:
        return result(Response.LOST, messages.LOST)
    if as_of < t0 + days(rules.nr_due_days):
        return result(Response.NOT_YET_DUE, messages.NOT_YET_DUE)
    if at_current is None or current.date < t0 + days(rules.nr_min_p_days):
        return result(Response.UNDETERMINED, messages.NO_P_AT_6_MONTHS)
    return result(Response.NONE, None)
