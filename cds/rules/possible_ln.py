"""Possible lupus nephritis in SLE without an LN diagnosis (clinical.md §8).

Within [as_of − 180 d, as_of]: two proteinuria values ≥ 0.5 at least 7 days apart
(persistent proteinuria), or one with hematuria > 5 RBC/HPF or a positive RBC cast within
± 30 days of it (the sediment also within the 180-day window). These are the findings that
prompt a kidney biopsy (ACR 2012, EULAR/ERA-EDTA 2012).
"""

from __future__ import annotations

from dataclasses import dataclass

from cds.profiles import PossibleLnRules
from cds.rules.compare import ge, gt
from cds.rules.timeline import Timeline, cast_positive, days, value_of
from fhir_mapping.record import Measurement


@dataclass(frozen=True, slots=True)
class PossibleLn:
    proteinuria: tuple[Measurement, ...]  # the P values ≥ threshold that decided it
    sediment: tuple[Measurement, ...]  # supporting hematuria / casts (may be empty)


def possible_ln(timeline: Timeline, rules: PossibleLnRules) -> PossibleLn | None:
    start = timeline.as_of - days(rules.window_days)
    raised = [
        m for m in timeline.p.between(start, timeline.as_of) if ge(value_of(m), rules.p_at_least)
    ]
    if not raised:
        return None
    first, last = raised[0], raised[-1]
    if (last.date - first.date).days >= rules.min_days_apart:
        return PossibleLn((first, last), ())
    window = days(rules.sediment_window_days)
    for p in reversed(raised):  # the most recent supported value
        lo, hi = max(start, p.date - window), min(timeline.as_of, p.date + window)
        sediment = [
            m for m in timeline.rbc.between(lo, hi) if gt(value_of(m), rules.hematuria_above)
        ]
        sediment += [m for m in timeline.casts.between(lo, hi) if cast_positive(m) is True]
        if sediment:
            return PossibleLn((p,), tuple(sorted(sediment, key=lambda m: m.date)))
    return None
