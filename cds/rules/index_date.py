"""The index date T0 (clinical.md §3): start of the current induction run, or a diagnosis.

Induction courses (MPAA, CYC, CNI, biologic) at most 90 days apart form a *run*; T0 is
the start of the most recent run starting ≤ as_of. A later course in the run that follows
a flare re-treats a new episode, so T0 moves to that course's start (responses are timed
from the treatment of the current episode). A lupus nephritis Condition dated more than 90
days after the run ended is a new episode without recorded treatment: T0 is its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cds.profiles import Profile
from cds.rules.flare import FlareDetector, NephriticSediment
from cds.rules.response import ResponseHistory
from cds.rules.timeline import Timeline, days
from fhir_mapping.record import INDUCTION_CLASSES, ConditionFact, Course, PatientRecord


@dataclass(frozen=True, slots=True)
class Run:
    """Induction courses chained when ≤ run_gap_days apart (end of the chain → next start)."""

    courses: tuple[Course, ...]  # by start
    end: date  # the latest course end, clipped to as_of

    @property
    def start(self) -> date:
        return self.courses[0].start


@dataclass(frozen=True, slots=True)
class IndexReset:
    """T0 moved to `course.start` because §6 was met on `flare_day` after `previous_t0`."""

    course: Course
    previous_t0: date
    flare_day: date


@dataclass(frozen=True, slots=True)
class IndexDate:
    t0: date
    source: str  # "medication" | "condition"
    run: Run | None
    resets: tuple[IndexReset, ...] = ()
    condition: ConditionFact | None = None


def induction_runs(courses: tuple[Course, ...], as_of: date, gap_days: int) -> list[Run]:
    """Every run of induction courses starting ≤ as_of, oldest first."""
    induction = sorted(
        (c for c in courses if c.drug_class in INDUCTION_CLASSES and c.start <= as_of),
        key=lambda c: (c.start, c.end),
    )
    runs: list[Run] = []
    chain: list[Course] = []
    end: date | None = None
    for course in induction:
        course_end = min(course.end, as_of)
        if end is not None and (course.start - end).days <= gap_days:
            chain.append(course)
            end = max(end, course_end)
            continue
        if chain and end is not None:
            runs.append(Run(tuple(chain), end))
        chain, end = [course], course_end
    if chain and end is not None:
        runs.append(Run(tuple(chain), end))
    return runs


def latest_ln_condition(record: PatientRecord, as_of: date) -> ConditionFact | None:
    dated = [c for c in record.ln_conditions if c.date is not None and c.date <= as_of]
    return max(dated, key=lambda c: (c.date or as_of, c.source.reference), default=None)


def find_index_date(
    record: PatientRecord, timeline: Timeline, profile: Profile
) -> IndexDate | None:
    as_of = timeline.as_of
    runs = induction_runs(record.courses, as_of, profile.index.run_gap_days)
    run = runs[-1] if runs else None
    condition = latest_ln_condition(record, as_of)
    if condition is not None and condition.date is not None:
        after_run = run is None or condition.date > run.end + days(
            profile.index.condition_after_run_days
        )
        if after_run:
            return IndexDate(condition.date, "condition", run, (), condition)
    if run is None:
        return None
    t0, resets = _reset_after_flares(run, timeline, profile)
    return IndexDate(t0, "medication", run, resets)


def _reset_after_flares(
    run: Run, timeline: Timeline, profile: Profile
) -> tuple[date, tuple[IndexReset, ...]]:
    """For each later course in start order: if §6 (confirmed or not) is met on any
    laboratory date in (T0, course start], T0 becomes that course's start.

    While T0 is unchanged the days already checked for an earlier course need not be
    checked again (whether §6 is met on a day does not depend on the course)."""
    t0 = run.start
    resets: list[IndexReset] = []
    detector: FlareDetector | None = None
    sediment = NephriticSediment(timeline, profile.flare)
    checked_to = t0
    for course in run.courses[1:]:
        if course.start <= t0:
            continue
        if detector is None:
            history = ResponseHistory(timeline, t0, profile)
            detector = FlareDetector(timeline, history, profile, sediment)
        flare_day = next(
            (
                d
                for d in _lab_days(timeline, max(t0, checked_to), course.start)
                if detector.met_on(d)
            ),
            None,
        )
        checked_to = max(checked_to, course.start)
        if flare_day is not None:
            resets.append(IndexReset(course, t0, flare_day))
            t0 = course.start
            checked_to = t0
            detector = None
    return t0, tuple(resets)


def _lab_days(timeline: Timeline, after: date, until: date) -> list[date]:
    """Dates in (after, until] with a result in a series a flare is judged on."""
    found: set[date] = set()
    for series in (timeline.p, timeline.scr, timeline.rbc, timeline.casts):
        found.update(m.date for m in series.after(after, until))
    return sorted(found)
