"""Baselines P0, eGFR0 and Scr0 around the index date T0 (clinical.md §3).

Each baseline is chosen independently: the latest value in [T0 − 90 d, T0], else the
earliest in (T0, T0 + 14 d]. The fallback accepts a value taken just after the start of
treatment, because labs are often drawn in the first days of induction rather than before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cds.profiles import IndexRules
from cds.rules.timeline import DatedSeries, T, Timeline, days
from fhir_mapping.record import EgfrPoint, Measurement


@dataclass(frozen=True, slots=True)
class Baselines:
    t0: date
    p0: Measurement | None
    egfr0: EgfrPoint | None
    scr0: Measurement | None


def baseline(series: DatedSeries[T], t0: date, rules: IndexRules) -> T | None:
    """The latest value in [T0 − before, T0], else the earliest in (T0, T0 + after]."""
    before = series.latest_in(t0 - days(rules.baseline_before_days), t0)
    if before is not None:
        return before
    return series.earliest_in(t0 + days(1), t0 + days(rules.baseline_after_days))


def baselines_at(timeline: Timeline, t0: date, rules: IndexRules) -> Baselines:
    return Baselines(
        t0=t0,
        p0=baseline(timeline.p, t0, rules),
        egfr0=baseline(timeline.egfr, t0, rules),
        scr0=baseline(timeline.scr, t0, rules),
    )


def settled_on(t0: date, rules: IndexRules) -> date:
    """The first date from which later data can no longer change the baselines."""
    return t0 + days(rules.baseline_after_days)
