"""Kidney function at a date t, relative to baseline (clinical.md §3–4).

eGFR is preferred: the eGFR closest to t within ± 30 days (ties: the earlier) against
eGFR0. If eGFR0 or eGFR(t) is missing, creatinine is used the same way against Scr0. If
neither pair exists the function is unknown and responses are judged on proteinuria alone
(the card then says kidney function was not assessed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cds.profiles import IndexRules, ResponseRules
from cds.rules.baselines import Baselines
from cds.rules.compare import ge, le
from cds.rules.timeline import Timeline, value_of
from fhir_mapping.record import EgfrPoint, Measurement


class FunctionState(StrEnum):
    STABLE = "stable"
    FALLEN = "fallen"
    UNKNOWN = "unknown"


class FunctionBasis(StrEnum):
    EGFR = "eGFR"
    CREATININE = "creatinine"


@dataclass(frozen=True, slots=True)
class KidneyFunction:
    """Function at `t`: the pair compared (if any) and the verdict."""

    t: date
    state: FunctionState
    basis: FunctionBasis | None
    egfr: EgfrPoint | None  # eGFR(t), whether or not it was the pair used
    scr: Measurement | None  # Scr(t), whether or not it was the pair used

    @property
    def assessed(self) -> bool:
        return self.state is not FunctionState.UNKNOWN


def function_at(
    t: date,
    timeline: Timeline,
    base: Baselines,
    index_rules: IndexRules,
    rules: ResponseRules,
) -> KidneyFunction:
    window = index_rules.function_window_days
    egfr_t = timeline.egfr.closest(t, window)
    scr_t = timeline.scr.closest(t, window)
    if base.egfr0 is not None and egfr_t is not None:
        stable = ge(egfr_t.value, rules.egfr_stable_fraction * base.egfr0.value)
        basis: FunctionBasis | None = FunctionBasis.EGFR
    elif base.scr0 is not None and scr_t is not None:
        stable = le(value_of(scr_t), rules.scr_stable_fraction * value_of(base.scr0))
        basis = FunctionBasis.CREATININE
    else:
        return KidneyFunction(t, FunctionState.UNKNOWN, None, egfr_t, scr_t)
    state = FunctionState.STABLE if stable else FunctionState.FALLEN
    return KidneyFunction(t, state, basis, egfr_t, scr_t)
