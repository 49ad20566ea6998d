"""Adequate induction therapy, for refractory LN (clinical.md §4; §7 for gu-2014).

kdigo-2024: no response *and* an adequate course counted within [T0, as_of]: MPAA at a
full dose (≥ 2 g/day MMF, ≥ 1.44 g/day MPA) for ≥ 183 days, cyclophosphamide for ≥ 183
days or ≥ 6 doses, or a CNI / biologic from its first start to the end of the run ≥ 183
days. gu-2014 (NCT01741857): prednisone > 20 mg/day-equivalent plus cyclophosphamide
≥ 183 days or full-dose MPAA ≥ 91 days, with the current proteinuria still ≥ 1.0.

Unknown doses count as adequate (a prescription without a structured dose is common, and
the alternative would hide refractory disease); each such record gets a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from cds.profiles import GuRefractoryRules, KdigoRefractoryRules
from cds.rules.compare import ge, gt
from cds.rules.index_date import Run
from fhir_mapping.record import DrugClass, MedicationRecord, Note, PatientRecord, Source


@dataclass(frozen=True, slots=True)
class Exposure:
    """A span of treatment counted within [T0, as_of], with the records behind it."""

    drug_class: DrugClass
    start: date
    end: date
    records: tuple[MedicationRecord, ...]
    doses: int | None = None  # cyclophosphamide doses counted, where doses decided it

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(r.source.reference for r in self.records)


@dataclass(frozen=True, slots=True)
class TreatmentCheck:
    """Whether treatment since T0 was adequate, with the exposure that made it so."""

    adequate: bool
    exposure: Exposure | None  # the adequate exposure (or the longest one, if none)
    treatment_found: bool  # any induction course overlapping [T0, as_of]
    glucocorticoid: MedicationRecord | None = None  # gu-2014
    notes: tuple[Note, ...] = ()


def _overlapping(
    records: Iterable[MedicationRecord], t0: date, as_of: date
) -> list[MedicationRecord]:
    return [r for r in records if r.start <= as_of and r.end >= t0]


def _mpaa_full_dose(
    record: MedicationRecord, thresholds: Mapping[str, float], default_ingredient: str
) -> bool | None:
    """True if ≥ the ingredient's threshold, None if the dose is unknown."""
    if record.daily_dose_mg is None:
        return None
    threshold = thresholds.get(record.ingredient.lower(), thresholds[default_ingredient])
    return ge(record.daily_dose_mg, threshold)


def joined_spans(
    records: Iterable[MedicationRecord], t0: date, as_of: date, gap_days: int, drug_class: DrugClass
) -> list[Exposure]:
    """Records clipped to [T0, as_of] and joined when ≤ gap_days apart (as courses are, §2)."""
    clipped = sorted(
        ((max(r.start, t0), min(r.end, as_of), r) for r in _overlapping(records, t0, as_of)),
        key=lambda x: (x[0], x[1]),
    )
    spans: list[Exposure] = []
    for start, end, record in clipped:
        if spans and (start - spans[-1].end).days <= gap_days:
            last = spans[-1]
            spans[-1] = Exposure(
                drug_class, last.start, max(last.end, end), (*last.records, record)
            )
        else:
            spans.append(Exposure(drug_class, start, end, (record,)))
    return spans


def _unknown_dose_notes(records: Iterable[MedicationRecord], what: str) -> tuple[Note, ...]:
    return tuple(
        Note(
            code="dose-unknown-counted-adequate",
            message=f"{what} daily dose unknown: counted as adequate",
            source=r.source,
        )
        for r in records
        if r.daily_dose_mg is None
    )


def _records(record: PatientRecord, drug_class: DrugClass) -> list[MedicationRecord]:
    return [m for c in record.courses if c.drug_class is drug_class for m in c.records]


def _mpaa_exposure(
    record: PatientRecord,
    t0: date,
    as_of: date,
    rules: KdigoRefractoryRules | GuRefractoryRules,
) -> tuple[Exposure | None, tuple[Note, ...]]:
    """The longest span of full-dose (or unknown-dose) MPAA, and notes for unknown doses."""
    full = [
        r
        for r in _records(record, DrugClass.MPAA)
        if _mpaa_full_dose(r, rules.mpaa_min_daily_mg, rules.mpaa_default_ingredient) is not False
    ]
    spans = joined_spans(full, t0, as_of, rules.join_gap_days, DrugClass.MPAA)
    best = max(spans, key=lambda s: s.days, default=None)
    notes = _unknown_dose_notes(best.records, "MPAA") if best is not None else ()
    return best, notes


def _course_span(
    record: PatientRecord, drug_class: DrugClass, t0: date, as_of: date
) -> Exposure | None:
    """The longest course of a class clipped to [T0, as_of]."""
    spans = [
        Exposure(drug_class, max(c.start, t0), min(c.end, as_of), c.records)
        for c in record.courses
        if c.drug_class is drug_class and c.start <= as_of and c.end >= t0
    ]
    return max(spans, key=lambda s: s.days, default=None)


def _treatment_found(record: PatientRecord, t0: date, as_of: date) -> bool:
    return any(
        c.start <= as_of and c.end >= t0
        for c in record.courses
        if c.drug_class is not DrugClass.GLUCOCORTICOID
    )


def kdigo_adequate(
    record: PatientRecord, run: Run | None, t0: date, as_of: date, rules: KdigoRefractoryRules
) -> TreatmentCheck:
    found = _treatment_found(record, t0, as_of)
    candidates: list[Exposure] = []

    mpaa, mpaa_notes = _mpaa_exposure(record, t0, as_of, rules)
    if mpaa is not None and mpaa.days >= rules.mpaa_min_days:
        return TreatmentCheck(True, mpaa, found, notes=mpaa_notes)
    if mpaa is not None:
        candidates.append(mpaa)

    cyc = _course_span(record, DrugClass.CYC, t0, as_of)
    if cyc is not None:
        dosed = [r for r in _records(record, DrugClass.CYC) if t0 <= r.start <= as_of]
        doses = sum(r.dose_count for r in dosed)
        if doses >= rules.cyc_min_doses:
            return TreatmentCheck(
                True, Exposure(cyc.drug_class, cyc.start, cyc.end, tuple(dosed), doses), found
            )
        cyc = Exposure(cyc.drug_class, cyc.start, cyc.end, cyc.records, doses)
        if cyc.days >= rules.cyc_min_days:
            return TreatmentCheck(True, cyc, found)
        candidates.append(cyc)

    run_end = run.end if run is not None else as_of
    for drug_class in (DrugClass.CNI, DrugClass.BIOLOGIC):
        courses = [
            c
            for c in record.courses
            if c.drug_class is drug_class and c.start <= as_of and c.end >= t0
        ]
        if not courses:
            continue
        first_start = max(min(c.start for c in courses), t0)
        exposure = Exposure(
            drug_class,
            first_start,
            min(run_end, as_of),
            tuple(r for c in courses for r in c.records),
        )
        if exposure.days >= rules.cni_biologic_min_days:
            return TreatmentCheck(True, exposure, found)
        candidates.append(exposure)

    longest = max(candidates, key=lambda e: e.days, default=None)
    return TreatmentCheck(False, longest, found)


def prednisone_equivalent_mg(
    record: MedicationRecord, factors: Mapping[str, float]
) -> float | None:
    factor = factors.get(record.ingredient.lower())
    if record.daily_dose_mg is None or factor is None:
        return None
    return record.daily_dose_mg * factor


def gu_adequate(
    record: PatientRecord, t0: date, as_of: date, rules: GuRefractoryRules
) -> TreatmentCheck:
    """NCT01741857: glucocorticoid > 20 mg/day prednisone-equivalent overlapping [T0, as_of],
    and cyclophosphamide ≥ 183 days or full-dose MPAA ≥ 91 days within [T0, as_of]."""
    found = _treatment_found(record, t0, as_of)
    notes: list[Note] = []
    steroid: MedicationRecord | None = None
    unknown: MedicationRecord | None = None
    for med in _overlapping(
        (m for m in record.medications if m.drug_class is DrugClass.GLUCOCORTICOID), t0, as_of
    ):
        if med.ingredient.lower() not in rules.prednisone_equivalence:
            notes.append(
                Note(
                    code="glucocorticoid-not-converted",
                    message="glucocorticoid without a prednisone equivalence: not counted",
                    source=med.source,
                )
            )
            continue
        mg = prednisone_equivalent_mg(med, rules.prednisone_equivalence)
        if mg is None:
            unknown = unknown or med
        elif gt(mg, rules.glucocorticoid_above_mg):
            steroid = steroid or med
    if steroid is None and unknown is not None:
        steroid = unknown
        notes.extend(_unknown_dose_notes([unknown], "Glucocorticoid"))

    exposure: Exposure | None = None
    cyc = _course_span(record, DrugClass.CYC, t0, as_of)
    mpaa, mpaa_notes = _mpaa_exposure(record, t0, as_of, rules)
    if cyc is not None and cyc.days >= rules.cyc_min_days:
        exposure = cyc
    elif mpaa is not None and mpaa.days >= rules.mpaa_min_days:
        exposure = mpaa
        notes.extend(mpaa_notes)
    adequate = steroid is not None and exposure is not None
    if exposure is None:
        exposure = max(
            (e for e in (cyc, mpaa) if e is not None), key=lambda e: e.days, default=None
        )
    return TreatmentCheck(adequate, exposure, found, steroid, tuple(notes))


def sources_of(exposure: Exposure | None) -> tuple[Source, ...]:
    return tuple(r.source for r in exposure.records) if exposure is not None else ()
