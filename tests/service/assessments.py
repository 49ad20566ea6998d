"""`Assessment` objects for card tests, one per status, built the way the rules report them.

Card tests construct assessments directly (cds/assessment.py) so that every status → card
rule is pinned without depending on the rules' own scenarios. Values mirror the clinical
situations named in each function's docstring.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cds.assessment import (
    Assessment,
    Criterion,
    Flare,
    FlareType,
    Response,
    Sledai2kLab,
    SledaiItem,
    Status,
    ValueUsed,
)
from cds.rules import messages
from fhir_mapping.record import Note

AS_OF = date(2025, 3, 14)
T0 = date(2024, 3, 1)
SPOT = "Urine protein/creatinine ratio (spot)"


def upcr(
    label: str, when: date, value: float, source: str, reported: str | None = None
) -> ValueUsed:
    return ValueUsed(
        label=label,
        test=SPOT,
        date=when,
        value=value,
        unit="g/g",
        reported=reported or f"{value * 1000:g} mg/g",
        sources=(f"Observation/{source}",),
    )


def creatinine(label: str, when: date, value: float, source: str) -> ValueUsed:
    return ValueUsed(
        label=label,
        test="Serum creatinine",
        date=when,
        value=value,
        unit="mg/dL",
        reported=f"{value * 88.4:.0f} umol/L",
        sources=(f"Observation/{source}",),
    )


def egfr(label: str, when: date, value: float, source: str) -> ValueUsed:
    return ValueUsed(
        label=label,
        test="eGFR",
        date=when,
        value=value,
        unit="mL/min/{1.73_m2}",
        reported=f"{value:.0f} mL/min/{{1.73_m2}}",
        sources=(f"Observation/{source}",),
        detail="computed: CKD-EPI 2021",
    )


P0 = upcr("P0", date(2024, 2, 20), 3.2, "upcr-0")
EGFR0 = egfr("eGFR0", date(2024, 2, 20), 88.0, "scr-0")
SCR0 = creatinine("Scr0", date(2024, 2, 20), 0.9, "scr-0")

SLEDAI = Sledai2kLab(
    items=(
        SledaiItem(
            "proteinuria",
            4,
            renal=True,
            present=True,
            evidence=(upcr("P", date(2025, 3, 1), 1.5, "upcr-9"),),
        ),
        SledaiItem("hematuria", 4, renal=True, present=False),
        SledaiItem("RBC casts", 4, renal=True, present=False),
        SledaiItem("pyuria", 4, renal=True, present=False),
        SledaiItem("low complement", 2, renal=False, present=True),
        SledaiItem("raised anti-dsDNA", 2, renal=False, present=False),
        SledaiItem("thrombocytopenia", 1, renal=False, present=False),
        SledaiItem("leukopenia", 1, renal=False, present=False),
    )
)


def base(status: Status, **changes: object) -> Assessment:
    a = Assessment(
        patient="pat-1",
        as_of=AS_OF,
        profile="kdigo-2024",
        status=status,
        response=Response.UNDETERMINED,
        refractory=False,
        function_assessed=True,
        index_date=T0,
        index_source="medication",
        ln_classes=("IV",),
        flare=None,
        reason=None,
        values=(P0, EGFR0, SCR0),
        criteria=(),
        sledai2k_lab=SLEDAI,
        notes=(),
    )
    return replace(a, **changes)  # type: ignore[arg-type]


def proteinuric_flare(*, confirmed: bool) -> Assessment:
    """UPCR 0.3 g/g at complete response in 2024-09, then 1.5 g/g (and 1.6 a week earlier)."""
    window: tuple[ValueUsed, ...] = (upcr("P", date(2025, 3, 1), 1.5, "upcr-9"),)
    if confirmed:
        window = (upcr("P-1", date(2025, 2, 20), 1.6, "upcr-8"), *window)
    reference = upcr("ref", date(2024, 9, 10), 0.3, "upcr-5")
    flare = Flare(
        type=FlareType.PROTEINURIC,
        severity="moderate",
        confirmed=confirmed,
        date=window[0].date,
        also_met=(),
        evidence=window,
        reference=reference,
    )
    criterion = Criterion(
        name="Proteinuric flare",
        rule="ref < 0.5 g/g and P ≥ 1.0 g/g",
        source="KDIGO 2012 relapse table",
        met=True,
        evidence=(reference, *window),
    )
    return base(
        Status.FLARE,
        flare=flare,
        values=(P0, EGFR0, SCR0, window[-1]),
        criteria=(criterion,),
        caveats=(messages.SPOT_RATIO,)
        if confirmed
        else (messages.SPOT_RATIO, messages.FLARE_SINGLE_VALUE),
        milestones=(("CR", date(2024, 9, 10)),),
        response=Response.LOST,
    )


def nephritic_flare() -> Assessment:
    """Creatinine 0.9 → 1.4 mg/dL with 20 RBC/HPF, confirmed over two weeks."""
    ref = creatinine("ref", date(2024, 9, 10), 0.9, "scr-5")
    window = (
        creatinine("Scr-1", date(2025, 2, 20), 1.3, "scr-8"),
        creatinine("Scr", date(2025, 3, 5), 1.4, "scr-9"),
    )
    flare = Flare(
        type=FlareType.NEPHRITIC,
        severity="moderate",
        confirmed=True,
        date=window[0].date,
        also_met=("proteinuric",),
        evidence=window,
        reference=ref,
    )
    return base(Status.FLARE, flare=flare, milestones=(("PR", date(2024, 9, 10)),))


def status_assessment(status: Status) -> Assessment:
    """A plausible assessment of each status (the flare one possible, not confirmed)."""
    current = upcr("P", date(2025, 3, 1), 1.1, "upcr-9")
    if status is Status.FLARE:
        return proteinuric_flare(confirmed=False)
    if status is Status.REFRACTORY:
        return base(status, response=Response.NONE, refractory=True, values=(P0, current))
    if status is Status.NO_RESPONSE:
        return base(
            status,
            response=Response.NONE,
            values=(P0, current),
            caveats=(messages.TREATMENT_HISTORY_NOT_FOUND,),
            suggestions=(messages.UPCR,),
        )
    if status is Status.COMPLETE_RESPONSE:
        cr = Criterion(
            "Complete response",
            "P < 0.5 g/g and eGFR ≥ 85 % of baseline",
            "KDIGO 2024",
            met=True,
            evidence=(upcr("P", date(2025, 3, 1), 0.3, "upcr-9"),),
        )
        return base(
            status,
            response=Response.COMPLETE,
            values=(P0, upcr("P", date(2025, 3, 1), 0.3, "upcr-9")),
            criteria=(cr,),
        )
    if status is Status.PARTIAL_RESPONSE:
        return base(status, response=Response.PARTIAL, values=(P0, current))
    if status is Status.ACTIVE:
        return base(
            status,
            index_date=date(2024, 12, 1),
            values=(P0, upcr("P", date(2025, 3, 1), 2.5, "upcr-9")),
            function_assessed=False,
            suggestions=(messages.CREATININE, messages.COMPLEMENT, messages.ANTI_DSDNA),
        )
    if status is Status.POSSIBLE_LN:
        return base(
            status,
            index_date=None,
            index_source=None,
            ln_classes=(),
            values=(upcr("P", date(2025, 3, 1), 0.8, "upcr-9"),),
            suggestions=(messages.URINALYSIS, messages.UPCR),
        )
    if status is Status.INSUFFICIENT_DATA:
        return base(
            status,
            reason=messages.NO_P_AT_6_MONTHS,
            values=(P0,),
            suggestions=(messages.UPCR,),
            notes=(Note("unknown-unit", "unit not recognised", None),),
        )
    return base(
        status,
        reason=messages.NOT_SLE if status is Status.NOT_APPLICABLE else messages.KIDNEY_FAILURE,
    )
