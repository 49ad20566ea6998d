"""Concise `PatientRecord` builders for rule tests.

Dates are given as day offsets from `D0` (or as dates): `p(183, 0.4)` is a proteinuria of
0.4 g/g on day 183. Values are already in canonical units (the mapping's job is tested
elsewhere); the reported value/unit are filled in so evidence strings can be checked.
Courses are joined from medication records the way clinical.md §2 describes, so tests can
list records and get the record's `courses` right.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, timedelta

from cds.assessment import Assessment, Criterion
from cds.profiles import load_profile
from cds.rules import assess
from fhir_mapping.record import (
    ConditionFact,
    Course,
    Demographics,
    DrugClass,
    EgfrPoint,
    Measurement,
    MedicationRecord,
    Note,
    PatientRecord,
    ProteinuriaKind,
    Series,
    Source,
)

D0 = date(2024, 1, 1)
_ids = itertools.count(1)

Day = int | date
Item = Measurement | EgfrPoint | MedicationRecord | ConditionFact

SNOMED_LN = "http://snomed.info/sct|68815009"
SNOMED_SLE = "http://snomed.info/sct|55464009"
SNOMED_ESKD = "http://snomed.info/sct|46177005"


def day(n: Day) -> date:
    return n if isinstance(n, date) else D0 + timedelta(days=n)


def _source(resource_type: str = "Observation") -> Source:
    return Source(resource_type, f"t{next(_ids)}")


def measurement(
    series: Series,
    when: Day,
    value: float | None,
    *,
    unit: str,
    code: str,
    flag: bool | None = None,
    kind: ProteinuriaKind | None = None,
    reported_value: str | None = None,
    reported_unit: str | None = None,
    comparator: str | None = None,
) -> Measurement:
    return Measurement(
        series=series,
        date=day(when),
        value=value,
        unit=unit,
        reported_value=reported_value
        if reported_value is not None
        else f"{value:g}"
        if value is not None
        else "positive",
        reported_unit=reported_unit if reported_unit is not None else unit,
        code=code,
        source=_source(),
        flag=flag,
        kind=kind,
        comparator=comparator,
    )


def p(when: Day, value: float, kind: ProteinuriaKind = ProteinuriaKind.UPCR_24H) -> Measurement:
    code = {"24h-upcr": "13801-6", "24h-protein": "2889-4", "spot-upcr": "2890-2"}[kind.value]
    return measurement(Series.PROTEINURIA, when, value, unit="g/g", code=code, kind=kind)


def spot(when: Day, value: float) -> Measurement:
    return p(when, value, ProteinuriaKind.UPCR_SPOT)


def scr(when: Day, value: float) -> Measurement:
    return measurement(Series.CREATININE, when, value, unit="mg/dL", code="2160-0")


def rbc(when: Day, value: float) -> Measurement:
    return measurement(Series.URINE_RBC, when, value, unit="/[HPF]", code="13945-1")


def wbc(when: Day, value: float) -> Measurement:
    return measurement(Series.URINE_WBC, when, value, unit="/[HPF]", code="5821-4")


def cast(when: Day, positive: bool) -> Measurement:
    return measurement(
        Series.RBC_CASTS,
        when,
        None,
        unit="",
        code="5807-3",
        flag=positive,
        reported_value="positive" if positive else "negative",
        reported_unit="",
    )


def c3(when: Day, low: bool | None, value: float = 0.7) -> Measurement:
    return measurement(Series.C3, when, value, unit="g/L", code="4485-9", flag=low)


def c4(when: Day, low: bool | None, value: float = 0.1) -> Measurement:
    return measurement(Series.C4, when, value, unit="g/L", code="4498-2", flag=low)


def dsdna(when: Day, raised: bool | None, value: float = 50.0) -> Measurement:
    return measurement(Series.ANTI_DSDNA, when, value, unit="[IU]/mL", code="5130-0", flag=raised)


def platelets(when: Day, value: float) -> Measurement:
    return measurement(Series.PLATELETS, when, value, unit="10*9/L", code="777-3")


def leukocytes(when: Day, value: float) -> Measurement:
    return measurement(Series.LEUKOCYTES, when, value, unit="10*9/L", code="6690-2")


def sledai_recorded(when: Day, value: float) -> Measurement:
    return measurement(Series.SLEDAI2K_RECORDED, when, value, unit="{score}", code="sledai-2k")


def egfr(when: Day, value: float, *, computed: bool = True) -> EgfrPoint:
    return EgfrPoint(
        date=day(when),
        value=value,
        computed=computed,
        equation="CKD-EPI 2021" if computed else "CKD-EPI 2009",
        sources=(_source(),),
    )


_INGREDIENT = {
    DrugClass.MPAA: "mycophenolate mofetil",
    DrugClass.CYC: "cyclophosphamide",
    DrugClass.CNI: "tacrolimus",
    DrugClass.BIOLOGIC: "rituximab",
    DrugClass.GLUCOCORTICOID: "prednisone",
}


def med(
    drug_class: DrugClass,
    start: Day,
    end: Day | None = None,
    *,
    dose: float | None = None,
    ingredient: str | None = None,
    doses: int = 1,
    resource_type: str = "MedicationRequest",
) -> MedicationRecord:
    """A medication record; `end` defaults to the start (a one-day record)."""
    return MedicationRecord(
        source=_source(resource_type),
        drug_class=drug_class,
        ingredient=ingredient or _INGREDIENT[drug_class],
        start=day(start),
        end=day(end if end is not None else start),
        daily_dose_mg=dose,
        dose_count=doses,
        status="active",
    )


def mmf(start: Day, end: Day | None = None, dose: float | None = 2000) -> MedicationRecord:
    return med(DrugClass.MPAA, start, end, dose=dose)


def cyc(start: Day, end: Day | None = None, *, doses: int = 1) -> MedicationRecord:
    return med(
        DrugClass.CYC, start, end, dose=500, doses=doses, resource_type="MedicationAdministration"
    )


def tacrolimus(start: Day, end: Day | None = None) -> MedicationRecord:
    return med(DrugClass.CNI, start, end, dose=4)


def rituximab(start: Day, end: Day | None = None) -> MedicationRecord:
    return med(DrugClass.BIOLOGIC, start, end, dose=1000)


def prednisone(
    start: Day, end: Day | None = None, dose: float | None = 40, ingredient: str = "prednisone"
) -> MedicationRecord:
    return med(DrugClass.GLUCOCORTICOID, start, end, dose=dose, ingredient=ingredient)


def join_courses(records: Iterable[MedicationRecord], gap_days: int = 90) -> tuple[Course, ...]:
    """Same-class records ≤ gap_days apart (running end → next start) form one course."""
    courses: list[Course] = []
    by_class: dict[DrugClass, list[MedicationRecord]] = {}
    for r in records:
        by_class.setdefault(r.drug_class, []).append(r)
    for drug_class, recs in by_class.items():
        recs.sort(key=lambda r: (r.start, r.end))
        chain: list[MedicationRecord] = []
        end: date | None = None
        for r in recs:
            if end is not None and (r.start - end).days <= gap_days:
                chain.append(r)
                end = max(end, r.end)
                continue
            if chain and end is not None:
                courses.append(Course(drug_class, chain[0].start, end, tuple(chain)))
            chain, end = [r], r.end
        if chain and end is not None:
            courses.append(Course(drug_class, chain[0].start, end, tuple(chain)))
    return tuple(sorted(courses, key=lambda c: (c.start, c.drug_class.value)))


def condition(code: str, when: Day | None, *, classes: tuple[str, ...] = ()) -> ConditionFact:
    return ConditionFact(
        source=_source("Condition"),
        codes=(code,),
        date=day(when) if when is not None else None,
        clinical_status="active",
        ln_classes=classes,
    )


def record(
    *items: Item,
    as_of: Day = 365,
    ln: bool | Day = True,
    sle: bool = True,
    ln_classes: tuple[str, ...] = (),
    kidney_failure: Iterable[ConditionFact] = (),
    notes: tuple[Note, ...] = (),
    patient_id: str = "p1",
) -> PatientRecord:
    """A record from loose items. `ln=True` adds an undated LN Condition, `ln=<day>` a dated
    one, `ln=False` none; `sle=True` adds an SLE Condition. Extra Conditions can be passed
    as items (LN if their code is the LN code)."""
    measurements: dict[Series, list[Measurement]] = {}
    egfrs: list[EgfrPoint] = []
    meds: list[MedicationRecord] = []
    ln_conditions: list[ConditionFact] = []
    for item in items:
        if isinstance(item, Measurement):
            measurements.setdefault(item.series, []).append(item)
        elif isinstance(item, EgfrPoint):
            egfrs.append(item)
        elif isinstance(item, MedicationRecord):
            meds.append(item)
        else:
            ln_conditions.append(item)
    if ln is not False:
        ln_conditions.append(condition(SNOMED_LN, None if ln is True else ln, classes=ln_classes))
    sle_conditions = (condition(SNOMED_SLE, None),) if sle else ()
    return PatientRecord(
        patient_id=patient_id,
        as_of=day(as_of),
        demographics=Demographics(birth_date=date(1990, 1, 1), gender="female"),
        measurements={k: tuple(sorted(v, key=lambda m: m.date)) for k, v in measurements.items()},
        egfr=tuple(sorted(egfrs, key=lambda e: e.date)),
        sle_conditions=sle_conditions,
        ln_conditions=tuple(ln_conditions),
        kidney_failure_conditions=tuple(kidney_failure),
        medications=tuple(sorted(meds, key=lambda m: m.start)),
        courses=join_courses(meds),
        notes=notes,
    )


def long_record(days: int, proteinuria: float) -> PatientRecord:
    """Years of daily results, the worst case of the index-date reset (clinical.md §3).

    Mycophenolate throughout, a rituximab course every 180 days, and every day a proteinuria
    (4.0 on day 0, then `proteinuria`), creatinine, eGFR and sediment: a long run with many
    later courses, every lab day one on which the flare rules must be checked. Used by
    tests/rules/test_performance.py and benchmarks/rules_scaling.py.
    """
    items: list[Item] = [mmf(0, days)]
    items += [rituximab(k * 180) for k in range(1, days // 180)]
    for i in range(days):
        items += [p(i, proteinuria if i else 4.0), scr(i, 1.0), egfr(i, 80), rbc(i, 2)]
    return record(*items, as_of=days)


def run(rec: PatientRecord, as_of: Day | None = None, profile: str = "kdigo-2024") -> Assessment:
    """Assess `rec` on `as_of` (default: the record's as_of) under a named profile."""
    return assess(rec, day(as_of) if as_of is not None else rec.as_of, load_profile(profile))


def criterion(assessment: Assessment, name: str) -> Criterion:
    found = [c for c in assessment.criteria if c.name == name]
    if len(found) != 1:
        raise LookupError(f"{len(found)} criteria named {name!r}")
    return found[0]


def has_criterion(assessment: Assessment, name: str) -> bool:
    return any(c.name == name for c in assessment.criteria)
