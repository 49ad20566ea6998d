"""SLEDAI-2K laboratory items (Gladman 2002; clinical.md §9), shown, never used for status.

An item is present if any value in [as_of − 30 d, as_of] meets it. Clinical items (rash,
arthritis, ...) cannot be read from labs, so the score is a lower bound of the true
SLEDAI-2K. A clinician-recorded SLEDAI-2K is shown as recorded, never recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence

from cds.assessment import Sledai2kLab, SledaiItem, ValueUsed
from cds.profiles import SledaiItemRule, SledaiRules, SledaiTest
from cds.rules.compare import gt, lt
from cds.rules.evidence import measurement_used
from cds.rules.timeline import DatedSeries, Timeline, cast_positive, days
from fhir_mapping.record import Measurement, Series


def _series(timeline: Timeline, series: Series) -> DatedSeries[Measurement]:
    by_series = {
        Series.PROTEINURIA: timeline.p,
        Series.URINE_RBC: timeline.rbc,
        Series.URINE_WBC: timeline.wbc,
        Series.RBC_CASTS: timeline.casts,
        Series.C3: timeline.c3,
        Series.C4: timeline.c4,
        Series.ANTI_DSDNA: timeline.dsdna,
        Series.PLATELETS: timeline.platelets,
        Series.LEUKOCYTES: timeline.leukocytes,
        Series.CREATININE: timeline.scr,
    }
    return by_series[series]


def item_met(m: Measurement, rule: SledaiItemRule) -> bool:
    if rule.test is SledaiTest.POSITIVE:
        return cast_positive(m) is True
    if rule.test is SledaiTest.FLAG:
        return m.flag is True
    if m.value is None or rule.threshold is None:
        return False
    if rule.test is SledaiTest.ABOVE:
        return gt(m.value, rule.threshold)
    return lt(m.value, rule.threshold)


def sledai2k_lab(timeline: Timeline, rules: SledaiRules) -> Sledai2kLab:
    start = timeline.as_of - days(rules.window_days)
    items: list[SledaiItem] = []
    for rule in rules.items:
        values: list[Measurement] = []
        for series in rule.series:
            values.extend(_series(timeline, series).between(start, timeline.as_of))
        values.sort(key=lambda m: m.date)
        meeting = [m for m in values if item_met(m, rule)]
        # evidence: what met the item, else the latest value checked (shows it was measured)
        shown: Sequence[Measurement] = meeting or values[-1:]
        evidence: tuple[ValueUsed, ...] = tuple(measurement_used(rule.item, m) for m in shown)
        items.append(SledaiItem(rule.item, rule.points, rule.renal, bool(meeting), evidence))
    latest_recorded = timeline.sledai_recorded.latest()
    recorded = (latest_recorded,) if latest_recorded is not None else ()
    return Sledai2kLab(items=tuple(items), recorded=recorded)
