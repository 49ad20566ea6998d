"""Cohort visits of the gu-2014 profile (clinical.md §7): months 1, 3, 6, 9, 12 after T0.

The trial reported CR/PR "at each follow-up"; to reproduce its table each visit takes the
proteinuria closest to round(m × 30.44) days after T0 within ± 30 days (ties: the earlier).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from cds.profiles import VisitRules
from cds.rules.response import ResponseAt, ResponseHistory
from cds.rules.timeline import Timeline, days


@dataclass(frozen=True, slots=True)
class Visit:
    month: int
    target: date
    response: ResponseAt | None  # the response at the P chosen, if one exists after T0


def visit_day(month: int, rules: VisitRules) -> int:
    """round(m × days_per_month), halves rounded up (no banker's rounding)."""
    return math.floor(month * rules.days_per_month + 0.5)


def cohort_visits(
    history: ResponseHistory, timeline: Timeline, rules: VisitRules
) -> tuple[Visit, ...]:
    """Visits whose window has opened by as_of."""
    by_date = {r.p.date: r for r in history.responses}
    visits: list[Visit] = []
    for month in rules.months:
        target = history.t0 + days(visit_day(month, rules))
        if target - days(rules.window_days) > timeline.as_of:
            break
        p = timeline.p.closest(target, rules.window_days)
        response = by_date.get(p.date) if p is not None else None
        visits.append(Visit(month, target, response))
    return tuple(visits)
