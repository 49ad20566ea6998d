"""Kidney failure (clinical.md §2, §8): from Conditions, or from a sustained eGFR < 15.

A patient in kidney failure (dialysis, transplant, CKD G5) has no meaningful proteinuric
response or flare to report, so the status is `kidney-failure` and nothing else is judged.
From labs: ≥ 2 eGFR values in [as_of − 90 d, as_of], all < 15, the first and last at least
30 days apart (a single low value during an acute illness does not count).
"""

from __future__ import annotations

from dataclasses import dataclass

from cds.profiles import KidneyFailureRules
from cds.rules.compare import lt
from cds.rules.timeline import Timeline, days
from fhir_mapping.record import ConditionFact, EgfrPoint, PatientRecord


@dataclass(frozen=True, slots=True)
class KidneyFailure:
    conditions: tuple[ConditionFact, ...]
    egfr: tuple[EgfrPoint, ...]  # the eGFR values that show it (empty if not from labs)

    @property
    def from_labs(self) -> bool:
        return bool(self.egfr)


def egfr_kidney_failure(timeline: Timeline, rules: KidneyFailureRules) -> tuple[EgfrPoint, ...]:
    """The window's eGFR values if they show sustained kidney failure, else ()."""
    values = timeline.egfr.between(timeline.as_of - days(rules.window_days), timeline.as_of)
    if len(values) < rules.min_values:
        return ()
    if not all(lt(v.value, rules.egfr_below) for v in values):
        return ()
    if (values[-1].date - values[0].date).days < rules.min_span_days:
        return ()
    return tuple(values)


def kidney_failure(
    record: PatientRecord, timeline: Timeline, rules: KidneyFailureRules
) -> KidneyFailure | None:
    """Kidney failure on `timeline.as_of`, or None. `record` holds no Condition dated after
    that day (`assess` drops them first)."""
    conditions = record.kidney_failure_conditions
    labs = egfr_kidney_failure(timeline, rules)
    if not conditions and not labs:
        return None
    return KidneyFailure(conditions, labs)
