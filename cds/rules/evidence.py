"""`ValueUsed` builders: every value a finding relies on, as reported and as normalised.

The card's evidence table and the CLI print these; each carries the source resource ids so
a clinician can find the original result.
"""

from __future__ import annotations

from datetime import date

from cds.assessment import ValueUsed
from fhir_mapping.record import EgfrPoint, Measurement, ProteinuriaKind, Series

# The test names of the evidence table (`ValueUsed.test`); cds.cards.builder maps them to
# the orders that repeat them.
TEST_NAMES: dict[Series, str] = {
    Series.PROTEINURIA: "Urine protein",
    Series.UACR: "Urine albumin/creatinine ratio",
    Series.CREATININE: "Serum creatinine",
    Series.EGFR_REPORTED: "eGFR (reported)",
    Series.ALBUMIN: "Serum albumin",
    Series.URINE_RBC: "Urine RBC per HPF",
    Series.URINE_WBC: "Urine WBC per HPF",
    Series.RBC_CASTS: "Urine RBC casts",
    Series.C3: "Complement C3",
    Series.C4: "Complement C4",
    Series.ANTI_DSDNA: "Anti-dsDNA",
    Series.PLATELETS: "Platelets",
    Series.LEUKOCYTES: "Leukocytes",
    Series.HEIGHT: "Height",
    Series.SLEDAI2K_RECORDED: "SLEDAI-2K (recorded)",
}

PROTEINURIA_NAMES: dict[ProteinuriaKind, str] = {
    ProteinuriaKind.UPCR_24H: "Urine protein/creatinine ratio (24-h)",
    ProteinuriaKind.PROTEIN_24H: "Urine protein (24-h)",
    ProteinuriaKind.UPCR_SPOT: "Urine protein/creatinine ratio (spot)",
}

EGFR_TEST = "eGFR"  # a point of the eGFR series, computed or reported (`egfr_used`)
EGFR_UNIT = "mL/min/{1.73_m2}"


def test_name(m: Measurement) -> str:
    if m.series is Series.PROTEINURIA and m.kind is not None:
        return PROTEINURIA_NAMES[m.kind]
    return TEST_NAMES.get(m.series, str(m.series))


def _as_reported(value: str, comparator: str | None, unit: str | None) -> str:
    """A value and unit exactly as the lab wrote them, the comparator in front ("<0.1 g/g")."""
    if comparator and not value.startswith(comparator):
        value = f"{comparator}{value}"
    return f"{value} {unit or ''}".strip()


def reported(m: Measurement) -> str:
    """The value and unit exactly as the lab reported them (comparator included)."""
    return _as_reported(m.reported_value, m.comparator, m.reported_unit)


def measurement_used(label: str, m: Measurement, detail: str | None = None) -> ValueUsed:
    # a qualitative result (a coded positive cast, a flagged complement) shows 1 = flag set
    value = m.value if m.value is not None else (1.0 if m.flag else 0.0)
    return ValueUsed(
        label=label,
        test=test_name(m),
        date=m.date,
        value=value,
        unit=m.unit,
        reported=reported(m),
        sources=(m.source.reference,),
        detail=detail,
    )


def egfr_used(label: str, point: EgfrPoint) -> ValueUsed:
    how = "computed" if point.computed else "reported"
    if point.reported_value:  # a lab's eGFR: exactly as written (84.9 is not 85; ">90")
        shown = _as_reported(point.reported_value, point.comparator, point.reported_unit)
    else:  # computed here from a creatinine: rounded, as labs report eGFR
        shown = f"{point.value:.0f} {EGFR_UNIT}"
    return ValueUsed(
        label=label,
        test=EGFR_TEST,
        date=point.date,
        value=point.value,
        unit=EGFR_UNIT,
        reported=shown,
        sources=tuple(s.reference for s in point.sources),
        detail=f"{how}: {point.equation}",
    )


def treatment_used(
    label: str,
    *,
    ingredients: tuple[str, ...],
    start: date,
    end: date,
    daily_doses_mg: tuple[float | None, ...],
    sources: tuple[str, ...],
    doses: int | None = None,
) -> ValueUsed:
    """A treatment span counted for a criterion; `value` is its length in days."""
    known = sorted({d for d in daily_doses_mg if d is not None})
    if not known:
        dose = "dose unknown"
    else:
        dose = "/".join(f"{d:g}" for d in known) + " mg/day"
        if any(d is None for d in daily_doses_mg):
            dose += " (some doses unknown)"
    detail = f"{start.isoformat()} to {end.isoformat()}"
    if doses is not None:
        detail += f", {doses} doses"
    return ValueUsed(
        label=label,
        test=", ".join(sorted(set(ingredients))),
        date=start,
        value=float((end - start).days),
        unit="d",
        reported=dose,
        sources=sources,
        detail=detail,
    )
