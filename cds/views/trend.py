"""Trend data for one patient: `PatientRecord` + `Assessment` → the JSON the trend page draws.

Pure (no Flask, no clock, no I/O) so that what the nephrologist sees can be pinned by unit
tests: every plotted point, threshold, course bar and milestone comes from the record or the
assessment, never from the browser. The page's JavaScript only draws this object.

Dates travel twice: as ISO strings (for tables and tooltips) and as `t`, milliseconds since
the Unix epoch at UTC midnight, so the browser can place them on a linear axis without a date
adapter and without time-zone shifts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cds.assessment import Assessment, ValueUsed
from cds.cards.text import number
from fhir_mapping.record import (
    DrugClass,
    EgfrPoint,
    Measurement,
    PatientRecord,
    ProteinuriaKind,
    Series,
)

JsonObject = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Treatment rows in display order (clinical.md §2 classes): short axis label (the axis must
# fit a ~350 px side panel) and the full name for tooltips and tables.
COURSE_ROWS: tuple[tuple[DrugClass, str, str], ...] = (
    (DrugClass.MPAA, "MPAA", "Mycophenolate (MPAA)"),
    (DrugClass.CYC, "CYC", "Cyclophosphamide"),
    (DrugClass.CNI, "CNI", "Calcineurin inhibitor"),
    (DrugClass.BIOLOGIC, "Biologic", "Biologic"),
    (DrugClass.GLUCOCORTICOID, "GC", "Glucocorticoid"),
)

# Secondary rows in display order: series, short axis label, full name.
SECONDARY_ROWS: tuple[tuple[Series, str, str], ...] = (
    (Series.C3, "C3", "Complement C3"),
    (Series.C4, "C4", "Complement C4"),
    (Series.ANTI_DSDNA, "dsDNA", "Anti-dsDNA"),
    (Series.URINE_RBC, "RBC", "Urine RBC per HPF"),
    (Series.RBC_CASTS, "Casts", "Urine RBC casts"),
    (Series.URINE_WBC, "WBC", "Urine WBC per HPF"),
)

_TEST_NAMES: dict[Series, str] = {
    Series.PROTEINURIA: "Proteinuria",
    Series.CREATININE: "Creatinine",
    Series.EGFR_REPORTED: "eGFR (reported)",
    Series.C3: "C3",
    Series.C4: "C4",
    Series.ANTI_DSDNA: "Anti-dsDNA",
    Series.URINE_RBC: "Urine RBC",
    Series.URINE_WBC: "Urine WBC",
    Series.RBC_CASTS: "Urine RBC casts",
}

_PROTEINURIA_KIND_NAMES: dict[ProteinuriaKind, str] = {
    ProteinuriaKind.UPCR_24H: "24-h UPCR",
    ProteinuriaKind.PROTEIN_24H: "24-h protein",
    ProteinuriaKind.UPCR_SPOT: "spot UPCR",
}

# Hematuria and pyuria thresholds of clinical.md §2 (> 5 per HPF); fixed by the spec, not
# by a profile, so they live here for the colouring of the sediment rows only.
_SEDIMENT_ABNORMAL_ABOVE = 5.0

# Days of margin either side of the plotted range, so the first and last points and the
# as-of marker are not drawn on the frame.
_MARGIN_DAYS = 14


@dataclass(frozen=True, slots=True)
class TrendThresholds:
    """The profile's thresholds the trend view draws (clinical.md §4 and §7).

    Built from the profile file by the caller, so the page shows exactly the lines the rules
    used: CR below `complete_below`, PR at most `partial_fraction` x P0 and below
    `partial_below`, kidney function stable at eGFR ≥ `egfr_stable_fraction` x eGFR0.
    """

    complete_below: float = 0.5
    partial_below: float = 3.0
    partial_fraction: float = 0.5
    egfr_stable_fraction: float = 0.85


def display_unit(unit: str) -> str:
    """A canonical UCUM unit as a clinician reads it: `mL/min/{1.73_m2}` → `mL/min/1.73 m²`."""
    text = unit.replace("{1.73_m2}", "1.73 m²").replace("(24.h)", "24 h").replace("10*9", "10⁹")
    return text.replace("[", "").replace("]", "")


def epoch_ms(day: date) -> int:
    """Milliseconds since 1970-01-01 at UTC midnight of `day` (what the chart's x axis uses)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int((moment - _EPOCH).total_seconds()) * 1000


def _fmt(value: float) -> str:
    """A value rounded for display exactly as the card rounds it (compare unrounded, §1)."""
    return number(value)


def _reported(m: Measurement) -> str:
    parts = [f"{m.comparator}{m.reported_value}" if m.comparator else m.reported_value]
    if m.reported_unit:
        parts.append(m.reported_unit)
    return " ".join(p for p in parts if p)


# What the assessment's value labels mean on the page (labels are part of the §10 contract).
_ROLE_NAMES = {"P": "current P", "eGFR": "current eGFR", "Scr": "current Scr"}
_EGFR_TEST = "eGFR"

RoleIndex = dict[tuple[str, str, bool], list[str]]


def _roles_by_source(assessment: Assessment) -> RoleIndex:
    """(source reference, ISO date, is eGFR) → the roles the value played in the assessment.

    Roles are the labels of `Assessment.values` ("P0", "current P", "eGFR0", …) plus the flare
    evidence and reference. A computed eGFR shares its creatinine's source, so the eGFR flag
    keeps "Scr0" off the eGFR row and "eGFR0" off the creatinine row.
    """
    roles: RoleIndex = {}

    def add(used: ValueUsed, role: str) -> None:
        for ref in used.sources:
            key = (ref, used.date.isoformat(), used.test == _EGFR_TEST)
            found = roles.setdefault(key, [])
            if role not in found:
                found.append(role)

    for used in assessment.values:
        add(used, _ROLE_NAMES.get(used.label, used.label))
    if assessment.flare is not None:
        for used in assessment.flare.evidence:
            add(used, "flare")
        if assessment.flare.reference is not None:
            add(assessment.flare.reference, "flare reference")
    return roles


def _roles(roles: RoleIndex, refs: Iterable[str], day: date, *, egfr: bool = False) -> list[str]:
    found: list[str] = []
    for ref in refs:
        for label in roles.get((ref, day.isoformat(), egfr), ()):
            if label not in found:
                found.append(label)
    return found


def _proteinuria_points(record: PatientRecord, roles: RoleIndex) -> list[JsonObject]:
    points: list[JsonObject] = []
    for m in record.series(Series.PROTEINURIA):
        if m.value is None:
            continue
        points.append(
            {
                "t": epoch_ms(m.date),
                "date": m.date.isoformat(),
                "value": m.value,
                "display": _fmt(m.value),
                "reported": _reported(m),
                "kind": _PROTEINURIA_KIND_NAMES.get(m.kind, "proteinuria")
                if m.kind
                else "proteinuria",
                "source": m.source.reference,
                "roles": _roles(roles, [m.source.reference], m.date),
            }
        )
    return points


def _egfr_points(record: PatientRecord, roles: RoleIndex) -> list[JsonObject]:
    points: list[JsonObject] = []
    for p in record.egfr:
        refs = [s.reference for s in p.sources]
        points.append(
            {
                "t": epoch_ms(p.date),
                "date": p.date.isoformat(),
                "value": p.value,
                "display": _fmt(p.value),
                "method": _egfr_method(p),
                "computed": p.computed,
                "sources": refs,
                "roles": _roles(roles, refs, p.date, egfr=True),
            }
        )
    return points


def _egfr_method(p: EgfrPoint) -> str:
    if p.computed:
        scr = f" from creatinine {_fmt(p.creatinine_mg_dl)} mg/dL" if p.creatinine_mg_dl else ""
        return f"computed, {p.equation}{scr}"
    return f"reported, {p.equation}"


def _secondary_state(m: Measurement) -> str:
    """'abnormal', 'normal' or 'unknown' for one secondary-row result (clinical.md §2)."""
    if m.series in (Series.C3, Series.C4, Series.ANTI_DSDNA, Series.RBC_CASTS):
        if m.flag is None:
            return "unknown"
        return "abnormal" if m.flag else "normal"
    if m.value is None:
        return "unknown"
    return "abnormal" if m.value > _SEDIMENT_ABNORMAL_ABOVE else "normal"


_STATE_WORDS: dict[Series, dict[str, str]] = {
    Series.C3: {"abnormal": "low", "normal": "not low", "unknown": "no reference range"},
    Series.C4: {"abnormal": "low", "normal": "not low", "unknown": "no reference range"},
    Series.ANTI_DSDNA: {"abnormal": "raised", "normal": "not raised", "unknown": "no range"},
    Series.URINE_RBC: {"abnormal": "hematuria (> 5)", "normal": "≤ 5", "unknown": "unknown"},
    Series.RBC_CASTS: {"abnormal": "positive", "normal": "negative", "unknown": "unknown"},
    Series.URINE_WBC: {"abnormal": "pyuria (> 5)", "normal": "≤ 5", "unknown": "unknown"},
}


def _secondary(record: PatientRecord) -> list[JsonObject]:
    rows: list[JsonObject] = []
    for series, label, name in SECONDARY_ROWS:
        points = []
        for m in record.series(series):
            state = _secondary_state(m)
            points.append(
                {
                    "t": epoch_ms(m.date),
                    "date": m.date.isoformat(),
                    "state": state,
                    "meaning": _STATE_WORDS[series][state],
                    "reported": _reported(m),
                    "source": m.source.reference,
                }
            )
        rows.append({"series": str(series), "label": label, "name": name, "points": points})
    return rows


def _courses(record: PatientRecord) -> list[JsonObject]:
    labels = {drug_class: (label, name) for drug_class, label, name in COURSE_ROWS}
    out: list[JsonObject] = []
    for course in sorted(record.courses, key=lambda c: (c.start, str(c.drug_class))):
        ingredients: list[str] = []
        for r in course.records:
            if r.ingredient not in ingredients:
                ingredients.append(r.ingredient)
        out.append(
            {
                "class": str(course.drug_class),
                "row": labels[course.drug_class][0],
                "name": labels[course.drug_class][1],
                "start": course.start.isoformat(),
                "end": course.end.isoformat(),
                "t_start": epoch_ms(course.start),
                # A one-day course is drawn one day wide, not as an invisible zero-width bar.
                "t_end": epoch_ms(course.end + timedelta(days=1)),
                "ingredients": ingredients,
                "sources": [s.reference for s in course.sources],
            }
        )
    return out


def _value_used(assessment: Assessment, label: str) -> float | None:
    used = assessment.value(label)
    return used.value if used else None


def _table(record: PatientRecord, roles: RoleIndex) -> list[JsonObject]:
    """Every value the view shows, one row each, oldest first: the chart's text alternative."""
    rows: list[JsonObject] = []
    table_series = (
        Series.PROTEINURIA,
        Series.CREATININE,
        Series.EGFR_REPORTED,
        Series.C3,
        Series.C4,
        Series.ANTI_DSDNA,
        Series.URINE_RBC,
        Series.RBC_CASTS,
        Series.URINE_WBC,
    )
    for series in table_series:
        for m in record.series(series):
            test = _TEST_NAMES[series]
            if series is Series.PROTEINURIA and m.kind:
                test = f"Proteinuria ({_PROTEINURIA_KIND_NAMES[m.kind]})"
            parts = []
            if m.value is not None:
                parts.append(f"{_fmt(m.value)} {display_unit(m.unit)}".strip())
            if series in _STATE_WORDS:
                parts.append(_STATE_WORDS[series][_secondary_state(m)])
            normalised = " · ".join(parts)
            rows.append(
                {
                    "date": m.date.isoformat(),
                    "test": test,
                    "reported_value": f"{m.comparator or ''}{m.reported_value}",
                    "reported_unit": m.reported_unit,
                    "normalised": normalised,
                    "roles": _roles(
                        roles,
                        [m.source.reference],
                        m.date,
                        egfr=series is Series.EGFR_REPORTED,
                    ),
                    "sources": [m.source.reference],
                }
            )
    for p in record.egfr:
        if not p.computed:
            continue  # reported eGFR rows come from the EGFR_REPORTED series above
        refs = [s.reference for s in p.sources]
        rows.append(
            {
                "date": p.date.isoformat(),
                "test": f"eGFR ({p.equation}, computed)",
                "reported_value": "",
                "reported_unit": "",
                "normalised": f"{_fmt(p.value)} mL/min/1.73 m²",
                "roles": _roles(roles, refs, p.date, egfr=True),
                "sources": refs,
            }
        )
    rows.sort(key=lambda r: (r["date"], r["test"]))
    return rows


def _x_range(record: PatientRecord, assessment: Assessment) -> tuple[date, date]:
    days: list[date] = [m.date for m in record.series(Series.PROTEINURIA)]
    days += [p.date for p in record.egfr]
    days += [c.start for c in record.courses]
    for series, _, _ in SECONDARY_ROWS:
        days += [m.date for m in record.series(series)]
    days += [d for _, d in assessment.milestones]
    if assessment.index_date:
        days.append(assessment.index_date)
    first = min(days) if days else record.as_of - timedelta(days=365)
    return first - timedelta(days=_MARGIN_DAYS), record.as_of + timedelta(days=_MARGIN_DAYS)


def _describe(points: Sequence[JsonObject], what: str, unit: str) -> str:
    """One sentence describing a plotted series, for screen readers (the chart's alt text)."""
    if not points:
        return f"No {what} values."
    first, last = points[0], points[-1]
    values = [p["value"] for p in points]
    return (
        f"{len(points)} {what} value{'s' if len(points) != 1 else ''} from {first['date']} to "
        f"{last['date']}; latest {last['display']} {unit}; "
        f"range {_fmt(min(values))} to {_fmt(max(values))} {unit}."
    )


def build_trend(
    record: PatientRecord,
    assessment: Assessment,
    *,
    thresholds: TrendThresholds | None = None,
) -> JsonObject:
    """The trend view's chart data for one patient (see module docstring)."""
    limits = thresholds or TrendThresholds()
    roles = _roles_by_source(assessment)
    proteinuria = _proteinuria_points(record, roles)
    egfr = _egfr_points(record, roles)
    p0 = _value_used(assessment, "P0")
    egfr0 = _value_used(assessment, "eGFR0")
    start, end = _x_range(record, assessment)

    lines: list[JsonObject] = [
        {
            "value": limits.complete_below,
            "label": f"CR < {_fmt(limits.complete_below)}",
            "short": f"CR {_fmt(limits.complete_below)}",
            "kind": "complete",
        },
        {
            "value": limits.partial_below,
            "label": f"{_fmt(limits.partial_below)} g/g",
            "short": f"{_fmt(limits.partial_below)} g/g",
            "kind": "partial-ceiling",
        },
    ]
    if p0 is not None:
        half = limits.partial_fraction * p0
        lines.append(
            {
                "value": half,
                "label": f"{round(limits.partial_fraction * 100)} % of P0 ({_fmt(half)})",
                "short": f"{round(limits.partial_fraction * 100)}% P0",
                "kind": "partial-fraction",
            }
        )

    band: JsonObject | None = None
    if egfr0 is not None:
        band = {
            "baseline": egfr0,
            "lower": limits.egfr_stable_fraction * egfr0,
            "label": (
                f"stable ≥ {round(limits.egfr_stable_fraction * 100)} % of baseline {_fmt(egfr0)}"
            ),
        }

    index: JsonObject | None = None
    if assessment.index_date:
        index = {
            "date": assessment.index_date.isoformat(),
            "t": epoch_ms(assessment.index_date),
            "source": assessment.index_source,
        }

    milestones = [
        {"event": event, "date": day.isoformat(), "t": epoch_ms(day)}
        for event, day in sorted(assessment.milestones, key=lambda m: (m[1], m[0]))
    ]

    return {
        "patient": record.patient_id,
        "as_of": record.as_of.isoformat(),
        "t_as_of": epoch_ms(record.as_of),
        "profile": assessment.profile,
        "status": str(assessment.status),
        "x_min": epoch_ms(start),
        "x_max": epoch_ms(end),
        "proteinuria": {
            "unit": "g/g",
            "points": proteinuria,
            "lines": lines,
            "p0": p0,
            "description": _describe(proteinuria, "proteinuria", "g/g"),
        },
        "egfr": {
            "unit": "mL/min/1.73 m²",
            "points": egfr,
            "band": band,
            "description": _describe(egfr, "eGFR", "mL/min/1.73 m²"),
        },
        "index": index,
        "courses": _courses(record),
        "course_rows": [label for _, label, _ in COURSE_ROWS],
        "milestones": milestones,
        "secondary": _secondary(record),
        "table": _table(record, roles),
    }
