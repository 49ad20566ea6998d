"""Renal flare after a response (clinical.md §6).

R is the date of the first CR or PR after T0. For each series (P, Scr, urine RBC, RBC
casts) the values in [R, as_of] are read newest first: W_k is the last k values, ref_k the
minimum of the values in [R, first date of W_k), and the flare window is the largest W_k
whose every value meets the rule against ref_k. The values judged must all be dated within
the look-back (180 days) before as_of: older evidence is history, not a current flare.

Every numeric rule here has the form "value ≥ (or >) a bound that does not fall as ref
rises" (KDIGO table, 1.30 × ref, > 15 with ref ≤ 5). Hence "every value in W_k meets the
rule" is the same as "the smallest value in W_k meets it", and the scan keeps the window
minimum as k grows instead of re-reading the window. And as k grows the window minimum can
only fall while ref_k (a minimum over fewer values) can only rise, so once W_k fails every
larger window fails too: the scan stops there. Per-value conditions that do not depend on
ref (nephritic sediment, a positive cast) likewise stop the scan at the first value that
lacks them. The cast rule's condition on the results *before* the window is not monotone
(a positive result can move from "before" into the window), so that scan goes on. A
property test checks the scan against a word-for-word implementation.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cds.assessment import FlareType
from cds.profiles import FlareRules, Profile
from cds.rules.compare import ge, gt, le, lt
from cds.rules.response import ResponseAt, ResponseHistory
from cds.rules.timeline import DatedSeries, Timeline, cast_positive, days, value_of
from fhir_mapping.record import Measurement

TYPE_ORDER = (FlareType.NEPHRITIC, FlareType.PROTEINURIC, FlareType.MILD)
SEVERITY_ORDER = ("mild", "moderate", "severe")


class FlareSeries(StrEnum):
    PROTEINURIA = "proteinuria"
    CREATININE = "creatinine"
    HEMATURIA = "hematuria"
    RBC_CASTS = "RBC casts"


@dataclass(frozen=True, slots=True)
class FlareWindow:
    """One flare type met: the window of values, the reference, and what it means."""

    type: FlareType
    series: FlareSeries
    window: tuple[Measurement, ...]
    reference: Measurement
    sediment: tuple[Measurement, ...]  # nephritic: the sediment results that support it
    confirmed: bool
    severity: str

    @property
    def date(self) -> date:
        return self.window[0].date


@dataclass(frozen=True, slots=True)
class FlareFinding:
    """The flare reported (§6): the primary type, the others met, the worst severity."""

    reached: ResponseAt  # the first CR/PR after T0 (R)
    primary: FlareWindow
    others: tuple[FlareWindow, ...]

    @property
    def type(self) -> FlareType:
        return self.primary.type

    @property
    def confirmed(self) -> bool:
        return self.primary.confirmed

    @property
    def date(self) -> date:
        return self.primary.date

    @property
    def severity(self) -> str:
        return max((w.severity for w in (self.primary, *self.others)), key=SEVERITY_ORDER.index)

    @property
    def also_met(self) -> tuple[str, ...]:
        return tuple(str(w.type) for w in self.others)


@dataclass(frozen=True, slots=True)
class FlareEvaluation:
    """What §6 found on one day: R (if any) and every type met."""

    day: date
    reached: ResponseAt | None
    windows: tuple[FlareWindow, ...]

    @property
    def finding(self) -> FlareFinding | None:
        if self.reached is None or not self.windows:
            return None
        ordered = sorted(self.windows, key=lambda w: (not w.confirmed, TYPE_ORDER.index(w.type)))
        return FlareFinding(reached=self.reached, primary=ordered[0], others=tuple(ordered[1:]))


# --- the rules against a reference -------------------------------------------------------


def proteinuric_meets(p: float, ref: float, rules: FlareRules) -> bool:
    """KDIGO 2012 relapse table: ref < 0.5 → P ≥ 1.0; 0.5 ≤ ref ≤ 1.0 → P ≥ 2.0;
    ref > 1.0 → P ≥ 2 × ref."""
    r = rules.proteinuric
    if lt(ref, r.low_ref_below):
        return ge(p, r.low_ref_p_at_least)
    if le(ref, r.mid_ref_at_most):
        return ge(p, r.mid_ref_p_at_least)
    return ge(p, r.high_ref_factor * ref)


def proteinuric_severity(latest: float, ref: float, rules: FlareRules) -> str:
    return "severe" if gt(latest - ref, rules.proteinuric.severe_rise_above) else "moderate"


def nephritic_meets(scr: float, ref: float, rules: FlareRules) -> bool:
    """Moroni: Scr ≥ 1.30 × ref (the sediment condition is checked per value)."""
    return ge(scr, rules.nephritic.scr_factor * ref)


def nephritic_severity(latest: float, ref: float, rules: FlareRules) -> str:
    n = rules.nephritic
    limit = (
        n.severe_rise_above_high_ref
        if ge(ref, n.high_ref_at_least)
        else n.severe_rise_above_low_ref
    )
    return "severe" if gt(latest - ref, limit) else "moderate"


def hematuria_meets(rbc: float, ref: float, rules: FlareRules) -> bool:
    """KDIGO 2012 mild relapse: RBC > 15/HPF with a reference ≤ 5/HPF."""
    return gt(rbc, rules.mild.rbc_above) and le(ref, rules.mild.ref_rbc_at_most)


# --- the W_k scan --------------------------------------------------------------------------


class _FromR:
    """One series' values from R onwards (all data to as_of), with prefix minima."""

    def __init__(
        self, series: DatedSeries[Measurement], r: date, as_of: date, numeric: bool
    ) -> None:
        self.items: Sequence[Measurement] = series.between(r, as_of)
        self.dates = [m.date for m in self.items]
        self.values = [value_of(m) for m in self.items] if numeric else []
        # prefix_min[i] = index of the smallest value in items[0..i] (the latest on ties)
        self.prefix_min: list[int] = []
        best = 0
        for i, v in enumerate(self.values):
            if v <= self.values[best]:
                best = i
            self.prefix_min.append(best)
        self.positive = [] if numeric else [cast_positive(m) is True for m in self.items]
        # prefix_positive[i] = any positive among items[0..i]
        self.prefix_positive: list[bool] = []
        seen = False
        for flag in self.positive:
            seen = seen or flag
            self.prefix_positive.append(seen)

    def stop(self, day: date) -> int:
        return bisect_right(self.dates, day)


def _numeric_window(
    data: _FromR,
    day: date,
    judged_from: date,
    meets: Callable[[float, float], bool],
    value_ok: Callable[[Measurement], bool] | None = None,
) -> tuple[int, int, int] | None:
    """(start, stop, ref index) of the largest window meeting `meets`, or None."""
    stop = data.stop(day)
    best: tuple[int, int, int] | None = None
    window_min = math.inf
    for start in range(stop - 1, 0, -1):  # start ≥ 1: at least one value before the window
        m = data.items[start]
        if m.date < judged_from:
            break
        if value_ok is not None and not value_ok(m):
            break
        window_min = min(window_min, data.values[start])
        ref = data.prefix_min[start - 1]
        if not meets(window_min, data.values[ref]):
            break  # monotone rules: no larger window can meet it either
        best = (start, stop, ref)
    return best


def _casts_window(data: _FromR, day: date, judged_from: date) -> tuple[int, int] | None:
    """(start, stop): every result in the window positive, and at least one result
    before it in [R, window), none of them positive."""
    stop = data.stop(day)
    best: tuple[int, int] | None = None
    for start in range(stop - 1, 0, -1):
        if data.items[start].date < judged_from or not data.positive[start]:
            break
        if not data.prefix_positive[start - 1]:
            best = (start, stop)
    return best


class NephriticSediment:
    """Hematuria above the nephritic threshold and positive RBC casts, by date (all data
    to as_of; it does not depend on T0, so one index serves every T0 tried)."""

    def __init__(self, timeline: Timeline, rules: FlareRules) -> None:
        above = rules.nephritic.hematuria_above
        found = [m for m in timeline.rbc if gt(value_of(m), above)]
        found += [m for m in timeline.casts if cast_positive(m) is True]
        found.sort(key=lambda m: m.date)
        self._items = found
        self._dates = [m.date for m in found]
        self._window = days(rules.nephritic.sediment_window_days)

    def near(self, scr: Measurement, r: date, day: date) -> Sequence[Measurement]:
        """Sediment dated in [R, day] within ± the window of a creatinine."""
        lo = bisect_left(self._dates, max(r, scr.date - self._window))
        hi = bisect_right(self._dates, min(day, scr.date + self._window))
        return self._items[lo:hi]


class FlareDetector:
    """§6 for one T0, on any day up to as_of (the reset of §3 asks about past days)."""

    def __init__(
        self,
        timeline: Timeline,
        history: ResponseHistory,
        profile: Profile,
        sediment: NephriticSediment | None = None,
    ) -> None:
        self._timeline = timeline
        self._history = history
        self._rules = profile.flare
        self._cache: dict[tuple[FlareSeries, date], _FromR] = {}
        self._sediment = sediment or NephriticSediment(timeline, profile.flare)

    def _from_r(self, series: FlareSeries, r: date) -> _FromR:
        key = (series, r)
        if key not in self._cache:
            source = {
                FlareSeries.PROTEINURIA: self._timeline.p,
                FlareSeries.CREATININE: self._timeline.scr,
                FlareSeries.HEMATURIA: self._timeline.rbc,
                FlareSeries.RBC_CASTS: self._timeline.casts,
            }[series]
            numeric = series is not FlareSeries.RBC_CASTS
            self._cache[key] = _FromR(source, r, self._timeline.as_of, numeric)
        return self._cache[key]

    def evaluate(self, day: date | None = None) -> FlareEvaluation:
        day = self._timeline.as_of if day is None else min(day, self._timeline.as_of)
        reached = self._history.first_reached(day)
        if reached is None:
            return FlareEvaluation(day, None, ())
        r = reached.p.date
        judged_from = day - days(self._rules.lookback_days)
        windows = [
            w
            for w in (
                self._nephritic(r, day, judged_from),
                self._proteinuric(r, day, judged_from),
                self._mild(r, day, judged_from),
            )
            if w is not None
        ]
        return FlareEvaluation(day, reached, tuple(windows))

    def met_on(self, day: date) -> bool:
        """Is §6 (confirmed or not) met on this day?"""
        return bool(self.evaluate(day).windows)

    def _window(
        self,
        *,
        flare_type: FlareType,
        series: FlareSeries,
        data: _FromR,
        found: tuple[int, int, int],
        severity: Callable[[float, float], str],
        sediment: tuple[Measurement, ...] = (),
    ) -> FlareWindow:
        start, stop, ref = found
        window = tuple(data.items[start:stop])
        span = (window[-1].date - window[0].date).days
        return FlareWindow(
            type=flare_type,
            series=series,
            window=window,
            reference=data.items[ref],
            sediment=sediment,
            confirmed=span >= self._rules.confirm_days,
            severity=severity(data.values[stop - 1], data.values[ref]),
        )

    def _proteinuric(self, r: date, day: date, judged_from: date) -> FlareWindow | None:
        data = self._from_r(FlareSeries.PROTEINURIA, r)
        rules = self._rules
        found = _numeric_window(
            data, day, judged_from, lambda v, ref: proteinuric_meets(v, ref, rules)
        )
        if found is None:
            return None
        return self._window(
            flare_type=FlareType.PROTEINURIC,
            series=FlareSeries.PROTEINURIA,
            data=data,
            found=found,
            severity=lambda latest, ref: proteinuric_severity(latest, ref, rules),
        )

    def _nephritic(self, r: date, day: date, judged_from: date) -> FlareWindow | None:
        data = self._from_r(FlareSeries.CREATININE, r)
        rules = self._rules
        found = _numeric_window(
            data,
            day,
            judged_from,
            lambda v, ref: nephritic_meets(v, ref, rules),
            value_ok=lambda m: bool(self._sediment.near(m, r, day)),
        )
        if found is None:
            return None
        start, stop, _ = found
        support: dict[str, Measurement] = {}
        for scr in data.items[start:stop]:
            for m in self._sediment.near(scr, r, day):
                support.setdefault(m.source.reference, m)
        sediment = tuple(sorted(support.values(), key=lambda m: (m.date, m.source.reference)))
        return self._window(
            flare_type=FlareType.NEPHRITIC,
            series=FlareSeries.CREATININE,
            data=data,
            found=found,
            severity=lambda latest, ref: nephritic_severity(latest, ref, rules),
            sediment=sediment,
        )

    def _mild(self, r: date, day: date, judged_from: date) -> FlareWindow | None:
        rules = self._rules
        candidates: list[FlareWindow] = []
        rbc = self._from_r(FlareSeries.HEMATURIA, r)
        found = _numeric_window(
            rbc, day, judged_from, lambda v, ref: hematuria_meets(v, ref, rules)
        )
        if found is not None:
            candidates.append(
                self._window(
                    flare_type=FlareType.MILD,
                    series=FlareSeries.HEMATURIA,
                    data=rbc,
                    found=found,
                    severity=lambda _latest, _ref: "mild",
                )
            )
        casts = self._from_r(FlareSeries.RBC_CASTS, r)
        found_casts = _casts_window(casts, day, judged_from)
        if found_casts is not None:
            start, stop = found_casts
            window = tuple(casts.items[start:stop])
            candidates.append(
                FlareWindow(
                    type=FlareType.MILD,
                    series=FlareSeries.RBC_CASTS,
                    window=window,
                    reference=casts.items[start - 1],  # the last negative result before
                    sediment=(),
                    confirmed=(window[-1].date - window[0].date).days >= rules.confirm_days,
                    severity="mild",
                )
            )
        if not candidates:
            return None
        # confirmed first, then the longer-standing window; hematuria before casts on a tie
        return min(candidates, key=lambda w: (not w.confirmed, w.date))
