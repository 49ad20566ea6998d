"""Small builders for `PatientRecord` and `Assessment` values in view tests.

The trend builder is pure (record + assessment → JSON), so its tests construct both directly
instead of going through FHIR: each test states exactly the values it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from cds.assessment import Assessment, Response, Sledai2kLab, Status, ValueUsed
from fhir_mapping.record import (
    Course,
    Demographics,
    DrugClass,
    EgfrPoint,
    Measurement,
    MedicationRecord,
    PatientRecord,
    ProteinuriaKind,
    Series,
    Source,
)

AS_OF = date(2025, 6, 30)
_CANONICAL = {
    Series.PROTEINURIA: "g/g",
    Series.CREATININE: "mg/dL",
    Series.URINE_RBC: "/[HPF]",
    Series.URINE_WBC: "/[HPF]",
    Series.C3: "g/L",
    Series.C4: "g/L",
    Series.ANTI_DSDNA: "[IU]/mL",
    Series.RBC_CASTS: "/[LPF]",
}


def obs(
    series: Series,
    day: date,
    value: float | None,
    *,
    reported_value: str | None = None,
    reported_unit: str = "",
    obs_id: str | None = None,
    flag: bool | None = None,
    kind: ProteinuriaKind | None = None,
    comparator: str | None = None,
) -> Measurement:
    return Measurement(
        series=series,
        date=day,
        value=value,
        unit=_CANONICAL.get(series, ""),
        reported_value=reported_value if reported_value is not None else f"{value}",
        reported_unit=reported_unit,
        code="0-0",
        source=Source("Observation", obs_id or f"{series}-{day.isoformat()}"),
        flag=flag,
        kind=kind,
        comparator=comparator,
    )


def egfr(
    day: date, value: float, *, computed: bool = True, source_id: str | None = None
) -> EgfrPoint:
    return EgfrPoint(
        date=day,
        value=value,
        computed=computed,
        equation="CKD-EPI 2021" if computed else "CKD-EPI 2009",
        sources=(Source("Observation", source_id or f"scr-{day.isoformat()}"),),
        creatinine_mg_dl=1.0 if computed else None,
    )


def course(drug_class: DrugClass, start: date, end: date, ingredient: str, rid: str) -> Course:
    record = MedicationRecord(
        source=Source("MedicationRequest", rid),
        drug_class=drug_class,
        ingredient=ingredient,
        start=start,
        end=end,
        daily_dose_mg=None,
        dose_count=1,
        status="active",
    )
    return Course(drug_class=drug_class, start=start, end=end, records=(record,))


def record(
    measurements: Iterable[Measurement] = (),
    *,
    egfr_points: Iterable[EgfrPoint] = (),
    courses: Iterable[Course] = (),
    as_of: date = AS_OF,
) -> PatientRecord:
    by_series: dict[Series, list[Measurement]] = {}
    for m in measurements:
        by_series.setdefault(m.series, []).append(m)
    return PatientRecord(
        patient_id="p1",
        as_of=as_of,
        demographics=Demographics(birth_date=date(1990, 1, 1), gender="female"),
        measurements={k: tuple(sorted(v, key=lambda m: m.date)) for k, v in by_series.items()},
        egfr=tuple(sorted(egfr_points, key=lambda p: p.date)),
        sle_conditions=(),
        ln_conditions=(),
        kidney_failure_conditions=(),
        medications=tuple(r for c in courses for r in c.records),
        courses=tuple(sorted(courses, key=lambda c: c.start)),
    )


def used(label: str, m: Measurement) -> ValueUsed:
    assert m.value is not None
    return ValueUsed(
        label=label,
        test="Urine protein/creatinine ratio (spot)",
        date=m.date,
        value=m.value,
        unit=m.unit,
        reported=f"{m.reported_value} {m.reported_unit}",
        sources=(m.source.reference,),
    )


def assessment(**changes: Any) -> Assessment:
    base = Assessment(
        patient="p1",
        as_of=AS_OF,
        profile="kdigo-2024",
        status=Status.PARTIAL_RESPONSE,
        response=Response.PARTIAL,
        refractory=False,
        function_assessed=True,
        index_date=None,
        index_source=None,
        ln_classes=("IV",),
        flare=None,
        reason=None,
        values=(),
        criteria=(),
        sledai2k_lab=Sledai2kLab(items=()),
        notes=(),
    )
    return replace(base, **changes)
