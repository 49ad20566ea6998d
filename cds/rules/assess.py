"""`assess(record, as_of, profile) -> Assessment`: every rule, in the order of clinical.md §8.

This module only sequences the rule modules and gathers their evidence into the
`Assessment` (values, criteria, caveats, suggestions, milestones, notes); each clinical
decision lives in its own module. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from cds.assessment import (
    Assessment,
    Criterion,
    Flare,
    FlareType,
    Response,
    Sledai2kLab,
    Status,
    ValueUsed,
)
from cds.profiles import KdigoRefractoryRules, Profile
from cds.rules import criteria_text as text
from cds.rules import messages
from cds.rules.compare import ge
from cds.rules.evidence import egfr_used, measurement_used, treatment_used
from cds.rules.flare import FlareDetector, FlareEvaluation, FlareFinding, FlareWindow
from cds.rules.index_date import IndexDate, find_index_date
from cds.rules.kidney_failure import KidneyFailure, kidney_failure
from cds.rules.kidney_function import FunctionState, KidneyFunction
from cds.rules.possible_ln import possible_ln
from cds.rules.refractory import TreatmentCheck, gu_adequate, kdigo_adequate
from cds.rules.response import CurrentResponse, Outcome, ResponseHistory, current_response
from cds.rules.sledai import sledai2k_lab
from cds.rules.timeline import Timeline, days, value_of
from cds.rules.visits import cohort_visits, visit_day
from fhir_mapping.record import ConditionFact, Note, PatientRecord, ProteinuriaKind, Series


@dataclass
class _Evidence:
    """What the assessment will show besides its verdict, gathered as rules run."""

    values: list[ValueUsed] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    suggestions: set[str] = field(default_factory=set)
    notes: list[Note] = field(default_factory=list)
    milestones: list[tuple[str, date]] = field(default_factory=list)

    def value(self, used: ValueUsed | None) -> None:
        if used is not None and all(v.label != used.label for v in self.values):
            self.values.append(used)

    def caveat(self, caveat: str) -> None:
        if caveat not in self.caveats:
            self.caveats.append(caveat)


@dataclass(frozen=True, slots=True)
class _Verdict:
    status: Status
    response: Response = Response.UNDETERMINED
    reason: str | None = None
    index: IndexDate | None = None
    flare: Flare | None = None
    refractory: bool = False
    function_assessed: bool = False


def assess(record: PatientRecord, as_of: date, profile: Profile) -> Assessment:
    """The patient's LN status on `as_of` under `profile`, with its evidence."""
    record = _diagnoses_known_on(record, as_of)
    timeline = Timeline.of(record, as_of)
    sledai = sledai2k_lab(timeline, profile.sledai2k)
    ev = _Evidence(notes=list(record.notes))
    if not record.has_sle:
        verdict = _Verdict(Status.NOT_APPLICABLE, reason=messages.NOT_SLE)
        return _assessment(
            record, as_of=as_of, profile=profile, verdict=verdict, ev=ev, sledai=sledai
        )
    failure = kidney_failure(record, timeline, profile.kidney_failure)
    ev.criteria.append(_kidney_failure_criterion(failure, profile))
    if failure is not None:
        _latest_values(ev, timeline, profile)
        verdict = _Verdict(Status.KIDNEY_FAILURE, reason=messages.KIDNEY_FAILURE)
    elif not record.has_ln:
        verdict = _sle_without_ln(ev, timeline, profile)
    else:
        verdict = _lupus_nephritis(record, ev, timeline, profile)
    _uacr_shown(ev, record, as_of)
    return _assessment(record, as_of=as_of, profile=profile, verdict=verdict, ev=ev, sledai=sledai)


def _uacr_shown(ev: _Evidence, record: PatientRecord, as_of: date) -> None:
    """§2: the latest albumin/creatinine ratio is shown, and never used for a response."""
    known = [m for m in record.series(Series.UACR) if m.date <= as_of and m.value is not None]
    if known:
        ev.value(measurement_used("UACR", known[-1], "shown only: never used for the response"))


def _diagnoses_known_on(record: PatientRecord, as_of: date) -> PatientRecord:
    """The record without Conditions dated after `as_of` (§1), should it hold any: the
    mapping drops them for its own as_of, but the rules may be asked about an earlier day."""
    if as_of >= record.as_of:
        return record  # nothing in a record is dated after its own as_of

    def known(facts: tuple[ConditionFact, ...]) -> tuple[ConditionFact, ...]:
        return tuple(c for c in facts if c.date is None or c.date <= as_of)

    sle, ln = known(record.sle_conditions), known(record.ln_conditions)
    failure = known(record.kidney_failure_conditions)
    if (sle, ln, failure) == (
        record.sle_conditions,
        record.ln_conditions,
        record.kidney_failure_conditions,
    ):
        return record
    return replace(record, sle_conditions=sle, ln_conditions=ln, kidney_failure_conditions=failure)


def _assessment(
    record: PatientRecord,
    *,
    as_of: date,
    profile: Profile,
    verdict: _Verdict,
    ev: _Evidence,
    sledai: Sledai2kLab,
) -> Assessment:
    index = verdict.index
    return Assessment(
        patient=record.patient_id,
        as_of=as_of,
        profile=profile.name,
        status=verdict.status,
        response=verdict.response,
        refractory=verdict.refractory,
        function_assessed=verdict.function_assessed,
        index_date=index.t0 if index else None,
        index_source=index.source if index else None,
        ln_classes=record.ln_classes,
        flare=verdict.flare,
        reason=verdict.reason,
        values=tuple(ev.values),
        criteria=tuple(ev.criteria),
        sledai2k_lab=sledai,
        notes=tuple(ev.notes),
        caveats=tuple(ev.caveats),
        suggestions=tuple(k for k in messages.SUGGESTION_ORDER if k in ev.suggestions),
        response_lost=verdict.response is Response.LOST,
        milestones=tuple(sorted(ev.milestones, key=lambda m: m[1])),
    )


# --- kidney failure and SLE without LN ---------------------------------------------------


def _kidney_failure_criterion(failure: KidneyFailure | None, profile: Profile) -> Criterion:
    evidence = (
        tuple(egfr_used(f"eGFR {p.date.isoformat()}", p) for p in failure.egfr) if failure else ()
    )
    return Criterion(
        name="Kidney failure",
        rule=text.kidney_failure(profile),
        source=profile.source("kidney_failure"),
        met=failure is not None,
        evidence=evidence,
    )


def _sle_without_ln(ev: _Evidence, timeline: Timeline, profile: Profile) -> _Verdict:
    found = possible_ln(timeline, profile.possible_ln)
    evidence: tuple[ValueUsed, ...] = ()
    if found is not None:
        evidence = tuple(
            measurement_used(f"{m.series} {m.date.isoformat()}", m)
            for m in (*found.proteinuria, *found.sediment)
        )
    ev.criteria.append(
        Criterion(
            name="Possible lupus nephritis",
            rule=text.possible_ln(profile),
            source=profile.source("possible_ln"),
            met=found is not None,
            evidence=evidence,
        )
    )
    _latest_values(ev, timeline, profile)
    if found is None:
        return _Verdict(Status.NOT_APPLICABLE, reason=messages.SLE_WITHOUT_RENAL_FINDINGS)
    ev.suggestions.add(messages.UPCR)
    window_start = timeline.as_of - days(profile.possible_ln.window_days)
    if not timeline.rbc.between(window_start, timeline.as_of):
        ev.suggestions.add(messages.URINALYSIS)
    _suggest_overdue_function(ev, timeline, profile)
    if found.proteinuria and found.proteinuria[-1].kind is ProteinuriaKind.UPCR_SPOT:
        ev.caveat(messages.SPOT_RATIO)
    return _Verdict(Status.POSSIBLE_LN)


# --- lupus nephritis -----------------------------------------------------------------------


def _lupus_nephritis(
    record: PatientRecord, ev: _Evidence, timeline: Timeline, profile: Profile
) -> _Verdict:
    index = find_index_date(record, timeline, profile)
    if index is None:
        _latest_values(ev, timeline, profile)
        _suggest_monitoring(
            ev, timeline, profile, stale_or_missing_p=_p_missing_or_stale(timeline, profile)
        )
        return _Verdict(Status.INSUFFICIENT_DATA, reason=messages.NO_INDEX_DATE)
    _index_notes(ev, index)
    history = ResponseHistory(timeline, index.t0, profile)
    base = history.baselines
    ev.value(measurement_used("P0", base.p0) if base.p0 else None)
    ev.value(egfr_used("eGFR0", base.egfr0) if base.egfr0 else None)
    ev.value(measurement_used("Scr0", base.scr0) if base.scr0 else None)
    current = current_response(history, timeline, profile)
    _current_values(ev, current, timeline, profile)
    _response_caveats(ev, current)
    if base.p0 is not None and base.p0.kind is ProteinuriaKind.UPCR_SPOT:
        ev.caveat(messages.SPOT_RATIO)
    # kidney function counts as assessed only when it entered a response judgement
    function_assessed = (
        current.at_current is not None
        and current.at_current.function.assessed
        and current.response is not Response.UNDETERMINED
    )

    if profile.entry is not None:
        entered = base.p0 is not None and ge(value_of(base.p0), profile.entry.p0_at_least)
        ev.criteria.append(
            Criterion(
                name="Trial entry proteinuria",
                rule=text.entry(profile),
                source=profile.source("entry"),
                met=entered,
                evidence=_present(ev, "P0"),
            )
        )
        if not entered:
            _suggest_monitoring(
                ev, timeline, profile, stale_or_missing_p=current.current_p is None or current.stale
            )
            return _Verdict(
                Status.INSUFFICIENT_DATA,
                reason=messages.ENTRY_BELOW if base.p0 is not None else messages.ENTRY_NO_P0,
                index=index,
            )

    _response_criteria(ev, current, index, profile)
    _response_milestones(ev, history, current)
    _visits(ev, history, timeline, profile)

    evaluation = FlareDetector(timeline, history, profile).evaluate()
    finding = evaluation.finding
    _flare_criteria(ev, evaluation, profile)
    flare = _flare(ev, finding) if finding is not None else None

    refractory = (
        _refractory(ev, record, index=index, current=current, timeline=timeline, profile=profile)
        and finding is None
    )
    active = _active(ev, index, current, timeline, profile)

    _suggest_monitoring(
        ev,
        timeline,
        profile,
        stale_or_missing_p=current.current_p is None
        or current.stale
        or current.reason == messages.NO_P_AT_6_MONTHS
        or current.response is Response.LOST,
    )
    if current.at_current is not None and not current.at_current.function.assessed:
        ev.suggestions.add(messages.CREATININE)

    response = current.response
    reason: str | None = None
    if flare is not None:
        status = Status.FLARE
    elif refractory:
        status = Status.REFRACTORY
    elif response is Response.LOST:
        status, reason = Status.NO_RESPONSE, messages.LOST
    elif response is Response.NONE:
        status = Status.NO_RESPONSE
    elif response is Response.COMPLETE:
        status = Status.COMPLETE_RESPONSE
    elif response is Response.PARTIAL:
        status = Status.PARTIAL_RESPONSE
    elif active:
        status = Status.ACTIVE
    else:
        status, reason = (
            Status.INSUFFICIENT_DATA,
            _insufficient_reason(index, current, timeline, profile),
        )
    return _Verdict(
        status=status,
        response=response,
        reason=reason,
        index=index,
        flare=flare,
        refractory=status is Status.REFRACTORY,
        function_assessed=function_assessed,
    )


def _insufficient_reason(
    index: IndexDate, current: CurrentResponse, timeline: Timeline, profile: Profile
) -> str:
    if current.response is Response.UNDETERMINED and current.reason:
        return current.reason
    lookback = index.t0 - days(profile.active.p_lookback_days)
    if not timeline.p.between(lookback, timeline.as_of):
        return messages.NO_RECENT_P
    return current.reason or messages.NOT_YET_DUE


def _index_notes(ev: _Evidence, index: IndexDate) -> None:
    if index.source == "condition":
        ev.caveat(messages.INDEX_FROM_CONDITION)
    for reset in index.resets:
        ev.notes.append(
            Note(
                code="index-date-reset",
                message="index date moved to the start of a later induction course after a flare",
                source=reset.course.records[0].source if reset.course.records else None,
            )
        )


def _present(ev: _Evidence, *labels: str) -> tuple[ValueUsed, ...]:
    return tuple(v for v in ev.values if v.label in labels)


def _function_values(ev: _Evidence, function: KidneyFunction) -> None:
    ev.value(egfr_used("eGFR", function.egfr) if function.egfr else None)
    ev.value(measurement_used("Scr", function.scr) if function.scr else None)


def _current_values(
    ev: _Evidence, current: CurrentResponse, timeline: Timeline, profile: Profile
) -> None:
    p = current.current_p
    if p is not None:
        detail = f"older than {profile.response.stale_days} days" if current.stale else None
        ev.value(measurement_used("P", p, detail))
    if current.at_current is not None:
        _function_values(ev, current.at_current.function)
        return
    window = profile.index.function_window_days
    if p is not None:
        egfr, scr = timeline.egfr.closest(p.date, window), timeline.scr.closest(p.date, window)
    else:
        egfr, scr = timeline.egfr.latest(), timeline.scr.latest()
    ev.value(egfr_used("eGFR", egfr) if egfr else None)
    ev.value(measurement_used("Scr", scr) if scr else None)


def _latest_values(ev: _Evidence, timeline: Timeline, profile: Profile) -> None:
    p = timeline.p.latest()
    if p is not None:
        stale = (timeline.as_of - p.date).days > profile.response.stale_days
        ev.value(
            measurement_used(
                "P", p, f"older than {profile.response.stale_days} days" if stale else None
            )
        )
    egfr, scr = timeline.egfr.latest(), timeline.scr.latest()
    ev.value(egfr_used("eGFR", egfr) if egfr else None)
    ev.value(measurement_used("Scr", scr) if scr else None)


def _response_caveats(ev: _Evidence, current: CurrentResponse) -> None:
    p, at = current.current_p, current.at_current
    if p is not None and p.kind is ProteinuriaKind.UPCR_SPOT:
        ev.caveat(messages.SPOT_RATIO)
    if current.stale:
        ev.caveat(messages.P_STALE)
    if at is not None and not at.function.assessed:
        ev.caveat(messages.FUNCTION_NOT_ASSESSED)
    if at is not None and at.outcome is Outcome.UNDECIDABLE:
        ev.caveat(messages.PR_NEEDS_P0)
    if p is not None and at is None and not current.stale:
        ev.caveat(messages.CURRENT_P_BEFORE_INDEX)
    if current.response is Response.LOST:
        ev.caveat(messages.RESPONSE_LOST)


def _response_criteria(
    ev: _Evidence, current: CurrentResponse, index: IndexDate, profile: Profile
) -> None:
    at = current.at_current
    source = profile.source("response")
    if at is not None and not current.stale:
        evidence = _present(ev, "P", "P0", "eGFR", "eGFR0", "Scr", "Scr0")
        if at.function.assessed:
            ev.criteria.append(
                Criterion(
                    "Kidney function stable",
                    text.function_stable(profile),
                    source,
                    at.function.state is FunctionState.STABLE,
                    evidence,
                )
            )
        ev.criteria.append(
            Criterion(
                "Complete response",
                text.complete_response(profile),
                source,
                at.outcome is Outcome.COMPLETE,
                evidence,
            )
        )
        ev.criteria.append(
            Criterion(
                "Partial response",
                text.partial_response(profile),
                source,
                at.outcome is Outcome.PARTIAL,
                evidence,
            )
        )
    if current.response is Response.NONE or (
        current.response is Response.UNDETERMINED
        and current.reason in (messages.NO_P_AT_6_MONTHS, messages.PR_NEEDS_P0)
    ):
        ev.criteria.append(
            Criterion(
                "No response",
                text.no_response(profile),
                profile.source("no_response"),
                current.response is Response.NONE,
                _present(ev, "P", "P0"),
            )
        )


def _response_milestones(ev: _Evidence, history: ResponseHistory, current: CurrentResponse) -> None:
    previous: Outcome | None = None
    for r in history.responses:
        if r.outcome.reached and r.outcome is not previous:
            ev.milestones.append((r.outcome.value, r.p.date))
        previous = r.outcome
    if current.response is Response.NONE and current.current_p is not None:
        ev.milestones.append(("NR", current.current_p.date))


def _visits(ev: _Evidence, history: ResponseHistory, timeline: Timeline, profile: Profile) -> None:
    if profile.visits is None:
        return
    for visit in cohort_visits(history, timeline, profile.visits):
        label = f"P month {visit.month}"
        evidence: tuple[ValueUsed, ...] = ()
        if visit.response is not None:
            used = measurement_used(
                label, visit.response.p, f"visit day {visit_day(visit.month, profile.visits)}"
            )
            ev.value(used)
            evidence = (used,)
        ev.criteria.append(
            Criterion(
                f"Response at month {visit.month}",
                text.visit(profile, visit.month, visit_day(visit.month, profile.visits)),
                profile.source("response"),
                visit.response is not None and visit.response.outcome.reached,
                evidence,
            )
        )


# --- flare ---------------------------------------------------------------------------------

_FLARE_SOURCES = {
    FlareType.PROTEINURIC: "flare_proteinuric",
    FlareType.NEPHRITIC: "flare_nephritic",
    FlareType.MILD: "flare_mild",
}


def _window_evidence(window: FlareWindow) -> tuple[ValueUsed, ...]:
    label = f"flare {window.series.value}"
    values = [measurement_used(f"{label} {m.date.isoformat()}", m) for m in window.window]
    values += [measurement_used(f"sediment {m.date.isoformat()}", m) for m in window.sediment]
    return tuple(values)


def _flare_criteria(ev: _Evidence, evaluation: FlareEvaluation, profile: Profile) -> None:
    if evaluation.reached is None:
        return
    met = {w.type: w for w in evaluation.windows}
    rules = {
        FlareType.NEPHRITIC: text.nephritic_flare(profile),
        FlareType.PROTEINURIC: text.proteinuric_flare(profile),
        FlareType.MILD: text.mild_flare(profile),
    }
    for flare_type, rule in rules.items():
        window = met.get(flare_type)
        ev.criteria.append(
            Criterion(
                f"{flare_type.value.capitalize()} flare",
                f"{rule}; {text.flare_confirmation(profile)}",
                profile.source(_FLARE_SOURCES[flare_type]),
                window is not None,
                _window_evidence(window) if window else (),
            )
        )


def _flare(ev: _Evidence, finding: FlareFinding) -> Flare:
    primary = finding.primary
    if not finding.confirmed:
        ev.caveat(
            messages.FLARE_SINGLE_VALUE if len(primary.window) == 1 else messages.FLARE_SHORT_WINDOW
        )
        ev.suggestions.add(messages.UPCR)
        if primary.type is FlareType.NEPHRITIC:
            ev.suggestions.update((messages.CREATININE, messages.URINALYSIS))
        if primary.type is FlareType.MILD:
            ev.suggestions.add(messages.URINALYSIS)
    ev.milestones.append(("flare", finding.date))
    return Flare(
        type=finding.type,
        severity=finding.severity,
        confirmed=finding.confirmed,
        date=finding.date,
        also_met=finding.also_met,
        evidence=_window_evidence(primary),
        reference=measurement_used(f"flare reference {primary.series.value}", primary.reference),
    )


# --- refractory and active -------------------------------------------------------------------


def _refractory(
    ev: _Evidence,
    record: PatientRecord,
    *,
    index: IndexDate,
    current: CurrentResponse,
    timeline: Timeline,
    profile: Profile,
) -> bool:
    rules = profile.refractory
    as_of = timeline.as_of
    check: TreatmentCheck | None = None
    refractory = False
    if isinstance(rules, KdigoRefractoryRules):
        if current.response is Response.NONE:
            check = kdigo_adequate(record, index.run, index.t0, as_of, rules)
            refractory = check.adequate
    else:
        at = current.at_current
        if at is not None and not current.stale:
            check = gu_adequate(record, index.t0, as_of, rules)
            still_active = (
                ge(value_of(at.p), rules.current_p_at_least) and at.outcome is Outcome.NEITHER
            )
            refractory = still_active and check.adequate and current.response is not Response.LOST
    if check is None:
        return False
    ev.notes.extend(check.notes)
    treatment = _treatment_evidence(check, index.t0, as_of)
    for used in treatment:
        ev.value(used)
    ev.criteria.append(
        Criterion(
            "Refractory lupus nephritis",
            text.refractory(profile),
            profile.source("refractory"),
            refractory,
            (*_present(ev, "P", "P0"), *treatment),
        )
    )
    if current.response is Response.NONE and not check.treatment_found:
        ev.caveat(messages.TREATMENT_HISTORY_NOT_FOUND)
    return refractory


def _treatment_evidence(check: TreatmentCheck, t0: date, as_of: date) -> tuple[ValueUsed, ...]:
    """The course that made (or came closest to making) treatment adequate, and the
    glucocorticoid counted (gu-2014), as evidence rows."""
    out: list[ValueUsed] = []
    exposure = check.exposure
    if exposure is not None:
        label = "adequate course" if check.adequate else "longest course"
        out.append(
            treatment_used(
                label,
                ingredients=tuple(r.ingredient for r in exposure.records),
                start=exposure.start,
                end=exposure.end,
                daily_doses_mg=tuple(r.daily_dose_mg for r in exposure.records),
                sources=exposure.sources,
                doses=exposure.doses,
            )
        )
    steroid = check.glucocorticoid
    if steroid is not None:
        out.append(
            treatment_used(
                "glucocorticoid",
                ingredients=(steroid.ingredient,),
                start=max(steroid.start, t0),
                end=min(steroid.end, as_of),
                daily_doses_mg=(steroid.daily_dose_mg,),
                sources=(steroid.source.reference,),
            )
        )
    return tuple(out)


def _active(
    ev: _Evidence, index: IndexDate, current: CurrentResponse, timeline: Timeline, profile: Profile
) -> bool:
    rules = profile.active
    if (timeline.as_of - index.t0).days >= rules.days_since_index_below:
        return False
    measured = bool(timeline.p.between(index.t0 - days(rules.p_lookback_days), timeline.as_of))
    responding = current.at_current is not None and current.at_current.outcome.reached
    active = measured and current.current_p is not None and not responding
    ev.criteria.append(
        Criterion(
            "Active lupus nephritis",
            text.active(profile),
            profile.source("active"),
            active,
            _present(ev, "P", "P0"),
        )
    )
    return active


# --- suggestions -------------------------------------------------------------------------------


def _p_missing_or_stale(timeline: Timeline, profile: Profile) -> bool:
    p = timeline.p.latest()
    return p is None or (timeline.as_of - p.date).days > profile.response.stale_days


def _suggest_overdue_function(ev: _Evidence, timeline: Timeline, profile: Profile) -> None:
    start = timeline.as_of - days(profile.monitoring.overdue_days)
    if not timeline.scr.between(start, timeline.as_of) and not timeline.egfr.between(
        start, timeline.as_of
    ):
        ev.suggestions.add(messages.CREATININE)


def _suggest_monitoring(
    ev: _Evidence, timeline: Timeline, profile: Profile, *, stale_or_missing_p: bool
) -> None:
    """Tests missing or overdue for an LN patient (none within the monitoring interval)."""
    as_of = timeline.as_of
    start = as_of - days(profile.monitoring.overdue_days)
    if stale_or_missing_p:
        ev.suggestions.add(messages.UPCR)
    _suggest_overdue_function(ev, timeline, profile)
    if not timeline.rbc.between(start, as_of):
        ev.suggestions.add(messages.URINALYSIS)
    if not timeline.c3.between(start, as_of) and not timeline.c4.between(start, as_of):
        ev.suggestions.add(messages.COMPLEMENT)
    if not timeline.dsdna.between(start, as_of):
        ev.suggestions.add(messages.ANTI_DSDNA)
