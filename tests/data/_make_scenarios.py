"""Write the clinical scenario folders under tests/data/ (bundle.json, expected.json, README.md).

Run from the repository root: `python tests/data/_make_scenarios.py`. The generated JSON is
committed; this script only exists so the bundles stay small and consistent.

Why a generator and not hand-written JSON: 77 FHIR bundles share a lot of boilerplate (Patient,
Condition and Observation envelopes). The *clinical content* of every scenario — each date,
value and unit in the bundle, and every expected result — is still written out below as a
literal. The expected results are the oracle: each was derived by hand from
/work/shared/spec/clinical.md (section numbers in the comments) and is never computed by
calling the project's code, so the suite catches mistakes in the mapping and the rules.

Conventions used below (all scenarios unless a scenario says otherwise):
- Patient: female, born 1984-03-15 (39 years old until 2024-03-14, 40 after).
- "Standard" LN course: SNOMED 36402006 (class IV) Condition with onset 2023-11-24 (the
  biopsy), mycophenolate mofetil (RxNorm 68149) MedicationRequest active since 2023-12-01,
  so T0 = 2023-12-01 (§3, index_source "medication"), baselines come from 2023-11-28.
- as_of 2024-06-30 is T0 + 212 days (≥ T0 + 183, so NR is due, §4).
- Kidney function is usually a *reported* eGFR (LOINC 98979-8) so the expected ratio is exact;
  scenarios that exercise the creatinine equations say so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

LOINC_DISPLAY = {
    "13801-6": "Protein/Creatinine [Mass Ratio] in 24 hour Urine",
    "40486-3": "Protein/Creatinine [Mass Ratio] in 24 hour Urine",
    "2889-4": "Protein [Mass/time] in 24 hour Urine",
    "2890-2": "Protein/Creatinine [Mass Ratio] in Urine",
    "34366-5": "Protein/Creatinine [Ratio] in Urine",
    "2160-0": "Creatinine [Mass/volume] in Serum or Plasma",
    "14682-9": "Creatinine [Moles/volume] in Serum or Plasma",
    "98979-8": "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, "
    "Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
    "13945-1": "Erythrocytes [#/area] in Urine sediment by Microscopy high power field",
    "5807-3": "Erythrocyte casts [#/area] in Urine sediment by Microscopy low power field",
    "777-3": "Platelets [#/volume] in Blood by Automated count",
    "6690-2": "Leukocytes [#/volume] in Blood by Automated count",
    "1751-7": "Albumin [Mass/volume] in Serum or Plasma",
    "8302-2": "Body height",
    "9318-7": "Albumin/Creatinine [Mass Ratio] in Urine",
    "4485-9": "Complement C3 [Mass/volume] in Serum or Plasma",
    "4498-2": "Complement C4 [Mass/volume] in Serum or Plasma",
    "5130-0": "DNA double strand Ab [Units/volume] in Serum",
    "5821-4": "Leukocytes [#/area] in Urine sediment by Microscopy high power field",
    "26515-7": "Platelets [#/volume] in Blood",
    "26464-8": "Leukocytes [#/volume] in Blood",
    "32294-1": "Albumin/Creatinine [Ratio] in Urine",
}

RX = {
    "mmf": ("68149", "mycophenolate mofetil"),
    "cyc": ("3002", "cyclophosphamide"),
    "rituximab": ("121191", "rituximab"),
    "prednisone": ("8640", "prednisone"),
    "methylprednisolone": ("6902", "methylprednisolone"),
}

# ---------------------------------------------------------------------------------------------
# FHIR builders (envelopes only; every clinical value is passed in by the scenario)
# ---------------------------------------------------------------------------------------------


def patient(pid: str, birth: str = "1984-03-15", gender: str = "female") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": f"MRN-{pid}"}],
        "gender": gender,
        "birthDate": birth,
    }


def condition(
    cid: str,
    codings: list[tuple[str, str, str]],
    *,
    onset: str | None = None,
    recorded: str | None = None,
    clinical: str | None = "active",
    verification: str = "confirmed",
) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Condition", "id": cid}
    if clinical:
        res["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        }
    res["verificationStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": verification,
            }
        ]
    }
    res["category"] = [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                    "code": "problem-list-item",
                }
            ]
        }
    ]
    res["code"] = {
        "coding": [{"system": s, "code": c, "display": d} for s, c, d in codings],
        "text": codings[0][2],
    }
    res["subject"] = {"reference": "Patient/PID"}
    if onset:
        res["onsetDateTime"] = onset
    if recorded:
        res["recordedDate"] = recorded
    return res


def ln_class_iv(cid: str = "ln-class-iv", onset: str | None = "2023-11-24") -> dict[str, Any]:
    return condition(cid, [(SNOMED, "36402006", "Lupus nephritis - WHO Class IV")], onset=onset)


def obs(  # noqa: PLR0917 - positional order mirrors code, date, value, unit, UCUM code
    oid: str,
    loinc: str,
    date: str | None,
    value: float | None = None,
    unit: str | None = None,
    ucum: str | None = None,
    *,
    status: str = "final",
    time: str = "T09:00:00+01:00",
    effective: dict[str, Any] | None = None,
    comparator: str | None = None,
    coded: tuple[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An Observation. `ucum` given → valueQuantity carries system UCUM + code; else only `unit`."""
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs" if loinc == "8302-2" else "laboratory",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": LOINC, "code": loinc, "display": LOINC_DISPLAY[loinc]}],
        },
        "subject": {"reference": "Patient/PID"},
    }
    if effective is not None:
        res.update(effective)
    elif date is not None:
        res["effectiveDateTime"] = f"{date}{time}"
    if coded is not None:
        res["valueCodeableConcept"] = {
            "coding": [{"system": SNOMED, "code": coded[0], "display": coded[1]}],
            "text": coded[1],
        }
    elif value is not None:
        q: dict[str, Any] = {"value": value}
        if comparator:
            q["comparator"] = comparator
        if unit is not None:
            q["unit"] = unit
        if ucum is not None:
            q["system"] = UCUM
            q["code"] = ucum
        res["valueQuantity"] = q
    if extra:
        res.update(extra)
    return res


# Shorthands for the common series (value in the unit named by the function).
def upcr(oid: str, date: str | None, gg: float, **kw: Any) -> dict[str, Any]:
    """Spot UPCR (2890-2) in g/g."""
    return obs(oid, "2890-2", date, gg, "g/g", "g/g", **kw)


def upcr24(oid: str, date: str | None, gg: float, **kw: Any) -> dict[str, Any]:
    """24-h UPCR (13801-6) in g/g."""
    return obs(oid, "13801-6", date, gg, "g/g", "g/g", **kw)


def prot24(oid: str, date: str | None, g_per_24h: float, **kw: Any) -> dict[str, Any]:
    """24-h urine protein (2889-4) in g/(24.h)."""
    return obs(oid, "2889-4", date, g_per_24h, "g/(24.h)", "g/(24.h)", **kw)


def egfr(oid: str, date: str, value: float) -> dict[str, Any]:
    """Reported eGFR, CKD-EPI 2021 (98979-8)."""
    return obs(oid, "98979-8", date, value, "mL/min/1.73m2", "mL/min/{1.73_m2}")


def scr(oid: str, date: str, mg_dl: float) -> dict[str, Any]:
    """Serum creatinine (2160-0) in mg/dL."""
    return obs(oid, "2160-0", date, mg_dl, "mg/dL", "mg/dL")


def rbc(oid: str, date: str, per_hpf: float) -> dict[str, Any]:
    """Urine RBC per high-power field (13945-1)."""
    return obs(oid, "13945-1", date, per_hpf, "/HPF", "/[HPF]")


def cast_positive(oid: str, date: str) -> dict[str, Any]:
    return obs(oid, "5807-3", date, coded=("10828004", "Positive"))


def dose_line(
    mg: float, *, frequency: int | None = None, period: float = 1, code: str | None = None
) -> dict[str, Any]:
    line: dict[str, Any] = {}
    if code is not None:
        line["timing"] = {
            "code": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                        "code": code,
                    }
                ]
            }
        }
    elif frequency is not None:
        line["timing"] = {"repeat": {"frequency": frequency, "period": period, "periodUnit": "d"}}
    line["doseAndRate"] = [
        {"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}
    ]
    return line


def rx_concept(drug: str) -> dict[str, Any]:
    code, display = RX[drug]
    return {"coding": [{"system": RXNORM, "code": code, "display": display}], "text": display}


def med_request(
    mid: str,
    authored: str,
    *,
    drug: str | None = None,
    text: str | None = None,
    reference: str | None = None,
    status: str = "active",
    dosage: list[dict[str, Any]] | None = None,
    contained: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "MedicationRequest", "id": mid}
    if contained:
        res["contained"] = contained
    res["status"] = status
    res["intent"] = "order"
    if drug is not None:
        res["medicationCodeableConcept"] = rx_concept(drug)
    elif text is not None:
        res["medicationCodeableConcept"] = {"text": text}
    elif reference is not None:
        res["medicationReference"] = {"reference": reference}
    res["subject"] = {"reference": "Patient/PID"}
    res["authoredOn"] = authored
    if dosage is not None:
        res["dosageInstruction"] = dosage
    return res


def mmf(mid: str = "mmf", authored: str = "2023-12-01", mg_bid: float = 1000) -> dict[str, Any]:
    """Mycophenolate mofetil, `mg_bid` twice a day (1000 → 2 g/day), active."""
    return med_request(mid, authored, drug="mmf", dosage=[dose_line(mg_bid, frequency=2)])


def cyc_administration(mid: str, date: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": mid,
        "status": "completed",
        "medicationCodeableConcept": rx_concept("cyc"),
        "subject": {"reference": "Patient/PID"},
        "effectiveDateTime": f"{date}T10:00:00+01:00",
        "dosage": {"dose": {"value": 750, "unit": "mg", "system": UCUM, "code": "mg"}},
    }


def med_statement(mid: str, drug: str, start: str, end: str, status: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": mid,
        "status": status,
        "medicationCodeableConcept": rx_concept(drug),
        "subject": {"reference": "Patient/PID"},
        "effectivePeriod": {"start": start, "end": end},
    }


# ---------------------------------------------------------------------------------------------
# Scenario registry
# ---------------------------------------------------------------------------------------------

SCENARIOS: list[dict[str, Any]] = []


def expect(
    *,
    status: str,
    response: str,
    refractory: bool,
    flare: dict[str, Any] | None,
    index_date: str | None,
    index_source: str | None,
    function_assessed: bool,
    ln_classes: list[str],
    **extra: Any,
) -> dict[str, Any]:
    """Only assembles the literals a scenario states (no computation)."""
    return {
        "status": status,
        "response": response,
        "refractory": refractory,
        "flare": flare,
        "index_date": index_date,
        "index_source": index_source,
        "function_assessed": function_assessed,
        "ln_classes": ln_classes,
        **extra,
    }


def flare(
    type_: str, severity: str, confirmed: bool, date: str, also_met: list[str]
) -> dict[str, Any]:
    return {
        "type": type_,
        "severity": severity,
        "confirmed": confirmed,
        "date": date,
        "also_met": also_met,
    }


def scenario(
    name: str,
    *,
    situation: str,
    why: str,
    spec: str,
    as_of: str,
    resources: list[dict[str, Any]],
    expected: dict[str, Any],
    profile: str = "kdigo-2024",
    bundle_type: str = "collection",
    notes: dict[str, list[str]] | None = None,
) -> None:
    SCENARIOS.append(
        {
            "name": name,
            "situation": situation,
            "why": why,
            "spec": spec,
            "as_of": as_of,
            "profile": profile,
            "resources": resources,
            "expected": expected,
            "bundle_type": bundle_type,
            "notes": notes,
        }
    )


# =============================================================================================
# Complete / partial response and their boundaries (§4)
# =============================================================================================

scenario(
    "cr_24h_upcr_g_per_g",
    situation="Class IV LN on MMF since 2023-12-01; 24-h UPCR 3.2 → 1.4 → 0.3 g/g, eGFR 92 → 90.",
    why="Current P 0.3 < 0.5 and eGFR 90 ≥ 0.85 × 92 = 78.2 → CR. The 1.4 on 2024-03-01 was a PR "
    "on P alone (no eGFR within ±30 d); 0.3 is not ≥ 2 × 1.4 so no flare.",
    spec="§3 T0/baselines, §4 CR, §6",
    as_of="2024-06-30",
    bundle_type="searchset",
    resources=[
        patient("pt-cr-basic"),
        ln_class_iv(),
        mmf(),
        upcr24("upcr24-p0", "2023-11-28", 3.2),
        egfr("egfr-0", "2023-11-28", 92),
        upcr24("upcr24-m3", "2024-03-01", 1.4),
        upcr24("upcr24-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 90),
    ],
    expected=expect(
        status="complete-response",  # §4 CR: 0.3 < 0.5, 90 ≥ 78.2
        response="complete",
        refractory=False,
        flare=None,  # §6: ref 1.4 > 1.0 needs ≥ 2.8
        index_date="2023-12-01",  # §3 run start (MMF authoredOn)
        index_source="medication",
        function_assessed=True,  # eGFR0 (11-28) and eGFR(t) (same day) both exist
        ln_classes=["IV"],
        values={
            # §3 P0 = latest P in [T0-90, T0] = 2023-11-28
            "P0": {
                "value": 3.2,
                "unit": "g/g",
                "date": "2023-11-28",
                "sources": ["Observation/upcr24-p0"],
            },
            "P": {
                "value": 0.3,
                "unit": "g/g",
                "date": "2024-06-20",
                "sources": ["Observation/upcr24-cur"],
            },
            "eGFR0": {"value": 92, "date": "2023-11-28"},
        },
    ),
)

scenario(
    "cr_p_just_below_0_5_mg_per_g_and_mg_per_mg",
    situation="Spot UPCR at baseline 2400 mg/g{creat} (printed unit, no system), now 0.49 mg/mg "
    "(LOINC 34366-5, UCUM).",
    why="mg/g ÷ 1000 → P0 2.4; mg/mg = g/g → P 0.49 < 0.5 with stable eGFR → CR (just below the "
    "0.5 threshold).",
    spec="§2 units, §4 CR",
    as_of="2024-06-30",
    resources=[
        patient("pt-cr-049"),
        ln_class_iv(),
        mmf(),
        obs("upcr-p0", "2890-2", "2023-11-28", 2400, "mg/g{creat}"),
        egfr("egfr-0", "2023-11-28", 95),
        obs("upcr-cur", "34366-5", "2024-06-20", 0.49, "mg/mg", "mg/mg"),
        egfr("egfr-cur", "2024-06-20", 94),
    ],
    expected=expect(
        status="complete-response",  # §4 CR: 0.49 < 0.5
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={
            "P0": {"value": 2.4, "unit": "g/g", "date": "2023-11-28"},  # 2400 mg/g ÷ 1000
            "P": {"value": 0.49, "unit": "g/g", "date": "2024-06-20"},  # mg/mg = g/g
        },
    ),
)

scenario(
    "pr_p_at_0_5_is_not_cr",
    situation="P0 1.2 g/g; current spot UPCR exactly 0.5 g/g, eGFR stable.",
    why="CR needs P < 0.5 (strict), so 0.5 is not CR; 0.5 ≤ 0.5 × 1.2 = 0.6 and < 3.0 → PR.",
    spec="§4 CR/PR thresholds",
    as_of="2024-06-30",
    resources=[
        patient("pt-pr-050"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 1.2),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 0.5),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="partial-response",  # §4: 0.5 not < 0.5; 0.5 ≤ 0.6 and < 3.0
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P0": {"value": 1.2, "date": "2023-11-28"}, "P": {"value": 0.5}},
    ),
)

scenario(
    "pr_mg_per_mmol_divides_by_100",
    situation="UPCR reported in mg/mmol: 320 at baseline, 52 now (the just-above-0.5 case).",
    why="mg/mmol ÷ 100 → P0 3.2, P 0.52: not CR (0.52 ≥ 0.5) but PR (0.52 ≤ 1.6). The chemical "
    "factor 113.12 would give 0.46 → CR, which the spec forbids.",
    spec="§2 mg/mmol ÷ 100, §4 PR",
    as_of="2024-06-30",
    resources=[
        patient("pt-pr-mmol"),
        ln_class_iv(),
        mmf(),
        obs("upcr-p0", "2890-2", "2023-11-28", 320, "mg/mmol", "mg/mmol"),
        egfr("egfr-0", "2023-11-28", 95),
        obs("upcr-cur", "2890-2", "2024-06-20", 52, "mg/mmol{creat}", "mg/mmol{creat}"),
        egfr("egfr-cur", "2024-06-20", 94),
    ],
    expected=expect(
        status="partial-response",  # §4 PR with §2 ÷ 100
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={
            "P0": {"value": 3.2, "unit": "g/g", "date": "2023-11-28"},
            "P": {"value": 0.52, "unit": "g/g", "date": "2024-06-20"},
        },
    ),
)

scenario(
    "pr_p_exactly_half_of_p0",
    situation="P0 4.0 g/g; current P exactly 2.0 g/g (a 50 % reduction), eGFR stable.",
    why="PR needs P ≤ 0.5 × P0 (inclusive): 2.0 ≤ 2.0 and 2.0 < 3.0 → PR.",
    spec="§4 PR",
    as_of="2024-06-30",
    resources=[
        patient("pt-pr-half"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 4.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.0),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="partial-response",  # §4 PR: 2.0 ≤ 0.5 × 4.0
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P0": {"value": 4.0}, "P": {"value": 2.0}},
    ),
)

scenario(
    "active_p_just_above_half_of_p0",
    situation="P0 4.0 g/g; at 4.5 months P is 2.01 g/g (49.75 % reduction), eGFR stable.",
    why="2.01 > 0.5 × 4.0 → not PR, not CR; as_of 2024-04-30 is T0 + 151 d (< 183) and a P exists "
    "→ active, NR not yet due.",
    spec="§4 PR, §5 active",
    as_of="2024-04-30",
    resources=[
        patient("pt-active-201"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 4.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-04-20", 2.01),
        egfr("egfr-cur", "2024-04-20", 93),
    ],
    expected=expect(
        status="active",  # §5: < 183 d since T0, P in window, neither CR nor PR
        response="not-yet-due",  # §4 NR needs as_of ≥ T0 + 183 d
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 2.01, "date": "2024-04-20"}},
    ),
)

scenario(
    "pr_p_just_below_3_0",
    situation="Nephrotic baseline P0 7.0 g/g; current P 2.99 g/g, eGFR stable.",
    why="2.99 ≤ 3.5 (half of P0) and 2.99 < 3.0 → PR.",
    spec="§4 PR (< 3.0)",
    as_of="2024-06-30",
    resources=[
        patient("pt-pr-299"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 7.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.99),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="partial-response",  # §4 PR: 2.99 < 3.0 and ≤ 3.5
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P0": {"value": 7.0}, "P": {"value": 2.99}},
    ),
)

scenario(
    "active_p_at_3_0_is_never_pr",
    situation="Nephrotic baseline P0 7.0 g/g; at 4.5 months P is exactly 3.0 g/g.",
    why="3.0 ≤ 3.5 (half of P0) but PR needs P < 3.0 (strict) → not PR; < 183 d since T0 → active.",
    spec="§4 PR (< 3.0), §5",
    as_of="2024-04-30",
    resources=[
        patient("pt-active-300"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 7.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-04-20", 3.0),
        egfr("egfr-cur", "2024-04-20", 93),
    ],
    expected=expect(
        status="active",  # §5
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 3.0}},
    ),
)

scenario(
    "cr_egfr_exactly_85_percent_of_baseline",
    situation="P 3.0 → 0.3 g/g; reported eGFR 100 at baseline, 85 now.",
    why="Function stable needs eGFR(t) ≥ 0.85 × eGFR0 (inclusive, 1e-9 tolerance): 85 ≥ 85 → CR.",
    spec="§1 tolerance, §4 function stable",
    as_of="2024-06-30",
    resources=[
        patient("pt-cr-egfr85"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 100),
        upcr("upcr-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 85),
    ],
    expected=expect(
        status="complete-response",  # §4: 85 ≥ 0.85 × 100
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"eGFR0": {"value": 100, "date": "2023-11-28"}},
    ),
)

scenario(
    "active_egfr_just_below_85_percent",
    situation="P 3.0 → 0.3 g/g at 4.5 months, but reported eGFR fell 100 → 84.9.",
    why="84.9 < 85 → a measured fall beyond tolerance rules out CR and PR; < 183 d → active.",
    spec="§4 function stable, §5",
    as_of="2024-04-30",
    resources=[
        patient("pt-active-egfr849"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 100),
        upcr("upcr-cur", "2024-04-20", 0.3),
        egfr("egfr-cur", "2024-04-20", 84.9),
    ],
    expected=expect(
        status="active",  # §5: current P is neither CR nor PR (function fell)
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        # §10: the value as reported (84.9, not rounded to 85 next to an 85 % threshold)
        values={"eGFR": {"value": 84.9, "reported": "84.9 mL/min/1.73m2"}},
    ),
)

scenario(
    "cr_creatinine_fallback_at_1_15_times_baseline",
    situation="Gender recorded as 'unknown' so no CKD-EPI eGFR can be computed; creatinine "
    "1.00 → 1.15 mg/dL; P 3.0 → 0.3.",
    why="No eGFR pair → Scr pair: 1.15 ≤ 1.15 × 1.00 → function stable → CR, function assessed.",
    spec="§2 eGFR equations need gender, §3 function at t, §4 Scr ≤ 1.15 × Scr0",
    as_of="2024-06-30",
    resources=[
        patient("pt-cr-scr115", gender="unknown"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        scr("scr-0", "2023-11-28", 1.00),
        upcr("upcr-cur", "2024-06-20", 0.3),
        scr("scr-cur", "2024-06-20", 1.15),
    ],
    expected=expect(
        status="complete-response",  # §4: 1.15 ≤ 1.15 × 1.00
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"Scr0": {"value": 1.0, "unit": "mg/dL", "date": "2023-11-28"}},
    ),
)

scenario(
    "active_creatinine_fallback_above_1_15_in_umol",
    situation="Gender 'unknown' (no eGFR); creatinine 88.4 'µmol/L' (printed, no system) at "
    "baseline, 102.544 umol/L (UCUM) at 4.5 months; P 3.0 → 0.3.",
    why="µmol/L ÷ 88.4 → Scr0 1.00, Scr(t) 1.16 > 1.15 → fallen → not CR/PR; < 183 d → active.",
    spec="§2 µmol/L ÷ 88.4 and µ = u, §4 function, §5",
    as_of="2024-04-30",
    resources=[
        patient("pt-active-scr116", gender="unknown"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        obs("scr-0", "14682-9", "2023-11-28", 88.4, "µmol/L"),
        upcr("upcr-cur", "2024-04-20", 0.3),
        obs("scr-cur", "14682-9", "2024-04-20", 102.544, "umol/L", "umol/L"),
    ],
    expected=expect(
        status="active",  # §5 (function fell: 1.16 > 1.15)
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"Scr0": {"value": 1.0, "unit": "mg/dL", "date": "2023-11-28"}},  # 88.4 ÷ 88.4
    ),
)

scenario(
    "pr_24h_protein_mg_per_24h_and_g_per_d",
    situation="24-h urine protein: 3000 'mg/24h' (printed unit, collection period ending "
    "2023-11-28) at baseline; 1.1 g/d (UCUM) now.",
    why="mg/24 h ÷ 1000 → P0 3.0 (dated by effectivePeriod.end); g/d = g/24 h → P 1.1 ≤ 1.5 and "
    "< 3.0, ≥ 0.5 → PR.",
    spec="§2 24-h protein units and date = effectivePeriod.end, §4 PR",
    as_of="2024-06-30",
    resources=[
        patient("pt-pr-24h"),
        ln_class_iv(),
        mmf(),
        obs(
            "prot24-p0",
            "2889-4",
            None,
            3000,
            "mg/24h",
            effective={
                "effectivePeriod": {
                    "start": "2023-11-27T08:00:00+01:00",
                    "end": "2023-11-28T08:00:00+01:00",
                }
            },
        ),
        egfr("egfr-0", "2023-11-28", 95),
        obs("prot24-cur", "2889-4", "2024-06-20", 1.1, "g/d", "g/d"),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="partial-response",  # §4 PR: 1.1 ≤ 1.5
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        # Values only: a 24-h protein counts as g/g for comparison (§2), but the display unit of
        # a 24-h collection is left to the implementation (g/g or g/(24.h)).
        values={
            "P0": {"value": 3.0, "date": "2023-11-28"},  # 3000 mg/24 h ÷ 1000
            "P": {"value": 1.1, "date": "2024-06-20"},  # g/d = g/24 h
        },
    ),
)

scenario(
    "cr_computed_ckd_epi_2021_wins_over_reported",
    situation="Woman aged 39 at baseline: creatinine 0.90 mg/dL and, the same day, a reported "
    "eGFR of 140; creatinine 0.95 mg/dL now (age 40); P 3.0 → 0.3.",
    why="Computed beats reported on a date with creatinine: eGFR0 = 142 × (0.9/0.7)^-1.2 × "
    "0.9938^39 × 1.012 = 83.3981; now 77.6744 ≥ 0.85 × 83.3981 = 70.89 → CR. Using the reported "
    "140 would make the function fall (77.7 < 119).",
    spec="§2 eGFR series (computed wins, CKD-EPI 2021), §4",
    as_of="2024-06-30",
    resources=[
        patient("pt-cr-ckdepi"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        scr("scr-0", "2023-11-28", 0.90),
        egfr("egfr-rep-0", "2023-11-28", 140),
        upcr("upcr-cur", "2024-06-20", 0.3),
        scr("scr-cur", "2024-06-20", 0.95),
    ],
    expected=expect(
        status="complete-response",  # §4 CR with computed eGFR
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        # §2 CKD-EPI 2021 female, Scr 0.9 (> κ 0.7), age 39: 83.39810787… → 83.3981
        values={"eGFR0": {"value": 83.3981, "date": "2023-11-28"}},
    ),
)

scenario(
    "cr_child_bedside_schwartz_creatinine_in_umol",
    situation="Boy aged 11 (born 2012-05-10): creatinine 53.04 µmol/L (0.60 mg/dL) with heights "
    "140 cm (180 d before) and 146 cm (12 d after); later 57.46 µmol/L with height 149 cm; "
    "UPCR 2000 → 200 mg/g.",
    why="Age < 18 → bedside Schwartz with the closest height within ±180 d: eGFR0 = 0.413 × 146 / "
    "0.60 = 100.4967; now 0.413 × 149 / 0.65 = 94.67 ≥ 85.4 → stable; P 0.2 < 0.5 → CR.",
    spec="§2 bedside Schwartz, height ± 180 d, µmol/L ÷ 88.4, §4",
    as_of="2024-06-30",
    resources=[
        patient("pt-child", birth="2012-05-10", gender="male"),
        ln_class_iv(),
        mmf(mg_bid=600),
        obs("height-old", "8302-2", "2023-06-01", 140, "cm", "cm"),
        obs("upcr-p0", "2890-2", "2023-11-28", 2000, "mg/g", "mg/g"),
        obs("scr-0", "14682-9", "2023-11-28", 53.04, "umol/L", "umol/L"),
        obs("height-0", "8302-2", "2023-12-10", 146, "cm", "cm"),
        obs("upcr-cur", "2890-2", "2024-06-20", 200, "mg/g", "mg/g"),
        obs("scr-cur", "14682-9", "2024-06-20", 57.46, "umol/L", "umol/L"),
        obs("height-cur", "8302-2", "2024-06-20", 149, "cm", "cm"),
    ],
    expected=expect(
        status="complete-response",  # §4 CR
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={
            "eGFR0": {"value": 100.4967, "date": "2023-11-28"},  # 0.413 × 146 / 0.6
            "P": {"value": 0.2, "date": "2024-06-20"},  # 200 mg/g ÷ 1000
        },
    ),
)

# =============================================================================================
# Kidney failure (§2, §8)
# =============================================================================================

scenario(
    "kf_condition_icd10cm_n18_6",
    situation="LN coded only in ICD-10-CM (M32.14, undated) and an active ICD-10-CM N18.6 "
    "(end-stage renal disease) Condition; heavy proteinuria.",
    why="SLE/LN plus a kidney-failure Condition (clinicalStatus active) → kidney-failure; nothing "
    "else is judged.",
    spec="§2 kidney failure, §8 precedence",
    as_of="2024-06-30",
    resources=[
        patient("pt-kf-icd"),
        condition("ln-icd", [(ICD10CM, "M32.14", "Glomerular disease in SLE")]),
        condition(
            "eskd",
            [(ICD10CM, "N18.6", "End stage renal disease")],
            onset="2024-01-10",
        ),
        upcr("upcr-1", "2024-06-20", 3.0),
    ],
    expected=expect(
        status="kidney-failure",  # §8
        response="undetermined",  # nothing else is judged
        refractory=False,
        flare=None,
        index_date=None,  # no medication run and the LN Condition is undated
        index_source=None,
        function_assessed=False,
        ln_classes=[],  # M32.14 names no ISN/RPS class
    ),
)

scenario(
    "kf_condition_snomed_overrides_possible_ln",
    situation="SLE (SNOMED 55464009) without an LN diagnosis, on dialysis for ESRD (SNOMED "
    "46177005, active); two UPCR ≥ 0.5 three weeks apart.",
    why="Would be possible-LN, but kidney-failure applies to 'SLE or LN' and nothing else is "
    "judged.",
    spec="§2 kidney failure codes, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-kf-sct"),
        condition(
            "sle", [(SNOMED, "55464009", "Systemic lupus erythematosus")], onset="2015-04-01"
        ),
        condition("esrd", [(SNOMED, "46177005", "End-stage renal disease")], onset="2023-02-01"),
        upcr("upcr-1", "2024-05-30", 0.9),
        upcr("upcr-2", "2024-06-20", 1.1),
    ],
    expected=expect(
        status="kidney-failure",  # §8 kidney-failure for SLE or LN
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "kf_labs_egfr_below_15_for_30_days",
    situation="LN (SNOMED 68815009, undated); reported eGFR 40 (120 d ago), 12 (40 d ago), 10 "
    "(10 d ago); no kidney-failure Condition.",
    why="In [as_of − 90, as_of]: two values, both < 15, first and last exactly 30 d apart (≥ 30) "
    "→ kidney failure from labs. The older 40 is outside the window.",
    spec="§2 kidney failure from labs",
    as_of="2024-06-30",
    resources=[
        patient("pt-kf-labs"),
        condition("ln", [(SNOMED, "68815009", "Lupus nephritis")]),
        egfr("egfr-1", "2024-03-02", 40),
        egfr("egfr-2", "2024-05-21", 12),
        egfr("egfr-3", "2024-06-20", 10),
        upcr("upcr-1", "2024-06-20", 2.5),
    ],
    expected=expect(
        status="kidney-failure",  # §2: 2024-05-21 → 2024-06-20 = 30 d, all < 15
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "insufficient_egfr_below_15_only_29_days_apart",
    situation="As kf_labs_egfr_below_15_for_30_days, but the two eGFR values < 15 are 29 days "
    "apart (2024-05-22 and 2024-06-20).",
    why="29 < 30 d → not kidney failure from labs; LN without a medication run or dated LN "
    "Condition → no T0 → insufficient-data.",
    spec="§2 kidney failure from labs, §3 no T0, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-kf-29"),
        condition("ln", [(SNOMED, "68815009", "Lupus nephritis")]),
        egfr("egfr-1", "2024-03-02", 40),
        egfr("egfr-2", "2024-05-22", 12),
        egfr("egfr-3", "2024-06-20", 10),
        upcr("upcr-1", "2024-06-20", 2.5),
    ],
    expected=expect(
        status="insufficient-data",  # §8: LN but no T0
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

# =============================================================================================
# Not applicable and possible LN (§2 Conditions, §8)
# =============================================================================================

scenario(
    "na_drug_induced_lupus",
    situation="Drug-induced lupus only (SNOMED 201436003 + ICD-10-CM M32.0 on one Condition) with "
    "proteinuria 1.2 and 1.5 g/g three weeks apart.",
    why="Drug-induced lupus is not SLE; no SLE and no LN → not-applicable (possible-LN needs SLE).",
    spec="§2 SLE codes, §8 not-applicable",
    as_of="2024-06-30",
    resources=[
        patient("pt-na-dil"),
        condition(
            "dil",
            [
                (SNOMED, "201436003", "Drug-induced systemic lupus erythematosus"),
                (ICD10CM, "M32.0", "Drug-induced systemic lupus erythematosus"),
            ],
            onset="2023-10-01",
        ),
        upcr("upcr-1", "2024-05-30", 1.2),
        upcr("upcr-2", "2024-06-20", 1.5),
    ],
    expected=expect(
        status="not-applicable",  # §8
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "na_refuted_lupus_nephritis_only",
    situation="A class IV LN Condition whose verificationStatus is refuted; no other SLE "
    "Condition; proteinuria 1.2 and 1.5 g/g.",
    why="Refuted Conditions do not count → no SLE, no LN → not-applicable; the refuted class is "
    "not reported.",
    spec="§2 Conditions (refuted), §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-na-refuted"),
        condition(
            "ln-refuted",
            [(SNOMED, "36402006", "Lupus nephritis - WHO Class IV")],
            onset="2023-11-24",
            verification="refuted",
        ),
        upcr("upcr-1", "2024-05-30", 1.2),
        upcr("upcr-2", "2024-06-20", 1.5),
    ],
    expected=expect(
        status="not-applicable",  # §8
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],  # refuted Condition does not count
    ),
)

scenario(
    "possible_ln_two_p_exactly_7_days_apart",
    situation="SLE (ICD-10-CM M32.9) without LN; spot UPCR 0.5 g/g then 0.6 g/g seven days later.",
    why="Two P ≥ 0.5 (0.5 counts, inclusive) at least 7 days apart within the last 180 d → "
    "possible-ln.",
    spec="§8 possible-ln (first route), §1 inclusive windows",
    as_of="2024-06-30",
    resources=[
        patient("pt-pln-7d"),
        condition(
            "sle",
            [(ICD10CM, "M32.9", "Systemic lupus erythematosus, unspecified")],
            onset="2019-05-01",
        ),
        upcr("upcr-1", "2024-05-31", 0.5),
        upcr("upcr-2", "2024-06-07", 0.6),
    ],
    expected=expect(
        status="possible-ln",  # §8: 0.5 and 0.6, 2024-05-31 → 06-07 = 7 d
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "na_sle_two_p_6_days_apart",
    situation="SLE (SNOMED 55464009) without LN; UPCR 0.9 g/g 200 days ago, then 0.5 and 0.6 g/g "
    "six days apart.",
    why="The recent pair is only 6 d apart; the 0.9 is outside [as_of − 180, as_of] → no "
    "possible-LN route met → not-applicable.",
    spec="§8 possible-ln / not-applicable",
    as_of="2024-06-30",
    resources=[
        patient("pt-na-6d"),
        condition(
            "sle", [(SNOMED, "55464009", "Systemic lupus erythematosus")], onset="2019-05-01"
        ),
        upcr("upcr-old", "2023-12-13", 0.9),
        upcr("upcr-1", "2024-05-31", 0.5),
        upcr("upcr-2", "2024-06-06", 0.6),
    ],
    expected=expect(
        status="not-applicable",  # §8
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "possible_ln_p_with_hematuria_within_30_days",
    situation="SLE (ICD-10-CM M32.19) without LN; UPCR 900 mg/g, and urine RBC 8/HPF 25 days "
    "later.",
    why="One P ≥ 0.5 (0.9 g/g) with hematuria > 5 RBC/HPF within ± 30 d, all in the last 180 d → "
    "possible-ln.",
    spec="§2 M32.1x is SLE, §8 possible-ln (second route)",
    as_of="2024-06-30",
    resources=[
        patient("pt-pln-rbc"),
        condition(
            "sle", [(ICD10CM, "M32.19", "Other organ involvement in SLE")], onset="2020-01-15"
        ),
        obs("upcr-1", "2890-2", "2024-05-01", 900, "mg/g", "mg/g"),
        rbc("rbc-1", "2024-05-26", 8),
    ],
    expected=expect(
        status="possible-ln",  # §8
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "possible_ln_refuted_ln_with_rbc_cast",
    situation="SLE (SNOMED 55464009) and a refuted LN Condition; UPCR 0.7 g/g and a coded "
    "'Positive' RBC cast result 10 days later.",
    why="The refuted LN does not count, so this is SLE without LN; P ≥ 0.5 with a positive RBC "
    "cast within ± 30 d → possible-ln.",
    spec="§2 refuted Conditions, RBC casts coded positive, §8 possible-ln",
    as_of="2024-06-30",
    resources=[
        patient("pt-pln-cast"),
        condition(
            "sle", [(SNOMED, "55464009", "Systemic lupus erythematosus")], onset="2018-03-01"
        ),
        condition(
            "ln-refuted",
            [(SNOMED, "68815009", "Lupus nephritis")],
            onset="2024-01-10",
            verification="refuted",
        ),
        upcr("upcr-1", "2024-06-10", 0.7),
        cast_positive("cast-1", "2024-06-20"),
    ],
    expected=expect(
        status="possible-ln",  # §8
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

# =============================================================================================
# No response, refractory, NR timing (§4)
# =============================================================================================

scenario(
    "refractory_mmf_2g_classes_iv_and_v",
    situation="Class IV + V LN (two SNOMED Conditions) on MMF 1000 mg twice daily since "
    "2023-12-01; UPCR 3.0 → 2.0 (month 3) → 2.5 g/g (month 6.5).",
    why="NR: as_of = T0 + 212 d, current P at T0 + 202 d, never ≤ 1.5 (PR) or < 0.5; MPAA at "
    "2 g/day spans T0 → as_of = 212 d ≥ 183 → refractory.",
    spec="§4 NR and refractory (MPAA), §2 LN classes",
    as_of="2024-06-30",
    bundle_type="transaction",
    resources=[
        patient("pt-refr-mmf"),
        ln_class_iv(),
        condition(
            "ln-class-v",
            [(SNOMED, "52042003", "Lupus nephritis - WHO Class V")],
            onset="2023-11-24",
        ),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-m3", "2024-03-01", 2.0),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="refractory",  # §4 refractory, §8
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV", "V"],  # §2 every class present
    ),
)

scenario(
    "refractory_cyc_six_administrations",
    situation="Six monthly IV cyclophosphamide administrations (2023-12-01 … 2024-04-29) with "
    "prednisone; UPCR 3.0 → 2.0 → 2.5 g/g.",
    why="Run = one CYC course (gaps 30 d ≤ 90) from 2023-12-01 → T0. NR as in the MMF case; CYC "
    "adequate by ≥ 6 doses in [T0, as_of] (each administration one dose) → refractory.",
    spec="§2 MedicationAdministration, §3 run, §4 refractory (CYC doses)",
    as_of="2024-06-30",
    resources=[
        patient("pt-refr-cyc"),
        ln_class_iv(),
        cyc_administration("cyc-1", "2023-12-01"),
        cyc_administration("cyc-2", "2023-12-31"),
        cyc_administration("cyc-3", "2024-01-30"),
        cyc_administration("cyc-4", "2024-02-29"),
        cyc_administration("cyc-5", "2024-03-30"),
        cyc_administration("cyc-6", "2024-04-29"),
        med_request("pred", "2023-12-01", drug="prednisone", dosage=[dose_line(40, code="QD")]),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-m3", "2024-03-01", 2.0),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="refractory",  # §4: NR + CYC ≥ 6 doses
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",  # first CYC administration
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "refractory_voclosporin_by_brand_name",
    situation="MMF 500 mg twice daily (1 g/day, not adequate) plus voclosporin ordered as text "
    "only 'Lupkynis 7.9 mg capsule' (23.7 mg BID), both active since 2023-12-01; UPCR 3.0 → 2.5.",
    why="Lupkynis → CNI by brand name. NR; CNI adequate: 212 d from its first start to the end "
    "of the run (as_of) ≥ 183 → refractory, although MMF alone would not be.",
    spec="§2 brand-name matching, §4 refractory (CNI)",
    as_of="2024-06-30",
    resources=[
        patient("pt-refr-cni"),
        ln_class_iv(),
        mmf(mg_bid=500),
        med_request(
            "voclosporin",
            "2023-12-01",
            text="Lupkynis 7.9 mg capsule",
            dosage=[dose_line(23.7, frequency=2)],
        ),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="refractory",  # §4 CNI ≥ 183 d
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "nr_no_documented_course_t0_from_condition",
    situation="Class IV LN diagnosed 2023-12-01 (Condition onset), no medication records; "
    "UPCR 3.0 → 2.5 g/g at 6.5 months.",
    why="No run → T0 = LN Condition date (index_source condition). NR (as_of ≥ T0 + 183, P at "
    "T0 + 202) but no documented course → no-response, refractory false.",
    spec="§3 T0 from Condition, §4 NR without a documented course",
    as_of="2024-06-30",
    resources=[
        patient("pt-nr-nomed"),
        ln_class_iv(onset="2023-12-01"),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="no-response",  # §4 NR not refractory
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="condition",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

_NR_TIMING_BASE = [
    ln_class_iv(),
    mmf(mg_bid=500),  # 1 g/day MMF: never an adequate MPAA course (§4 needs ≥ 2 g/day)
    upcr("upcr-p0", "2023-11-28", 3.0),
    egfr("egfr-0", "2023-11-28", 95),
]

scenario(
    "active_as_of_182_days_after_t0",
    situation="MMF 1 g/day since 2023-12-01; UPCR 3.0 → 2.5 g/g on 2024-05-20; as_of 2024-05-31 "
    "= T0 + 182 d.",
    why="NR needs as_of ≥ T0 + 183 d: not yet. Fewer than 183 d since T0, P exists, neither CR "
    "nor PR → active.",
    spec="§4 NR timing (183 d), §5",
    as_of="2024-05-31",
    resources=[
        patient("pt-active-182"),
        *_NR_TIMING_BASE,
        upcr("upcr-cur", "2024-05-20", 2.5),
        egfr("egfr-cur", "2024-05-20", 92),
    ],
    expected=expect(
        status="active",  # §5: 182 < 183
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "nr_as_of_183_days_after_t0",
    situation="Same data as active_as_of_182_days_after_t0, assessed one day later (as_of "
    "2024-06-01 = T0 + 183 d).",
    why="as_of ≥ T0 + 183, current P (2024-05-20 = T0 + 171) ≥ T0 + 150, neither CR nor PR, none "
    "earlier → NR; MMF 1 g/day is not adequate → no-response.",
    spec="§4 NR (183 d), refractory needs ≥ 2 g/day",
    as_of="2024-06-01",
    resources=[
        patient("pt-nr-183"),
        *_NR_TIMING_BASE,
        upcr("upcr-cur", "2024-05-20", 2.5),
        egfr("egfr-cur", "2024-05-20", 92),
    ],
    expected=expect(
        status="no-response",  # §4 NR, not refractory
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "insufficient_current_p_149_days_after_t0",
    situation="MMF 1 g/day since 2023-12-01; the last UPCR (2.5 g/g) is dated 2024-04-28 = "
    "T0 + 149 d; as_of 2024-06-30.",
    why="NR is due (as_of ≥ T0 + 183) but the current P is earlier than T0 + 150 → 'no "
    "proteinuria measured at 6 months' → undetermined → insufficient-data.",
    spec="§4 NR (150 d), §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-insuff-149"),
        *_NR_TIMING_BASE,
        upcr("upcr-cur", "2024-04-28", 2.5),
    ],
    expected=expect(
        status="insufficient-data",  # §8 no P at 6 months
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,  # no eGFR within ± 30 d of 2024-04-28
        ln_classes=["IV"],
        values={"P": {"value": 2.5, "date": "2024-04-28"}},
    ),
)

scenario(
    "nr_current_p_150_days_after_t0",
    situation="As insufficient_current_p_149_days_after_t0 but the last UPCR is dated 2024-04-29 "
    "= T0 + 150 d (with an eGFR the same day).",
    why="Current P dated ≥ T0 + 150 (inclusive), as_of ≥ T0 + 183 → NR; MMF 1 g/day not adequate "
    "→ no-response.",
    spec="§4 NR (150 d)",
    as_of="2024-06-30",
    resources=[
        patient("pt-nr-150"),
        *_NR_TIMING_BASE,
        upcr("upcr-cur", "2024-04-29", 2.5),
        egfr("egfr-cur", "2024-04-29", 92),
    ],
    expected=expect(
        status="no-response",  # §4
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "nr_without_p0_when_p_at_least_3",
    situation="MMF 1 g/day since 2023-12-01, no proteinuria before or within 14 d of T0; one UPCR "
    "of 3.4 g/g at T0 + 202 d.",
    why="No P0, but P ≥ 3.0 is never PR (and not CR) → NR decidable: due and dated ≥ T0 + 150 → "
    "no-response (1 g/day MMF not adequate).",
    spec="§4 PR without P0, NR",
    as_of="2024-06-30",
    resources=[
        patient("pt-nr-nop0"),
        ln_class_iv(),
        mmf(mg_bid=500),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 3.4),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="no-response",  # §4
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "lost_response_without_flare",
    situation="P0 1.2 g/g; CR at 2.5 months (0.3 g/g), now 0.9 g/g; eGFR stable; MMF 2 g/day; "
    "the LN Condition's clinicalStatus is 'remission'.",
    why="An LN Condition in remission still counts. CR was reached after T0 and the current P is "
    "neither CR (≥ 0.5) nor PR (0.9 > 0.6). "
    "Flare? ref 0.3 < 0.5 needs P ≥ 1.0: no → no-response with response lost, refractory false.",
    spec="§4 lost response, §6 proteinuric",
    as_of="2024-06-30",
    resources=[
        patient("pt-lost"),
        # the clinician marked the LN in remission: any clinical status counts (§2)
        condition(
            "ln-class-iv",
            [(SNOMED, "36402006", "Lupus nephritis - WHO Class IV")],
            onset="2023-11-24",
            clinical="remission",
        ),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 1.2),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cr", "2024-02-15", 0.3),
        egfr("egfr-cr", "2024-02-15", 95),
        upcr("upcr-cur", "2024-06-20", 0.9),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="no-response",  # §4 lost response without §6
        response="lost",
        response_lost=True,
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

# =============================================================================================
# Flares (§6). Common history: P0 2.0 g/g (2023-11-28), CR 0.3 g/g on 2024-02-15 = R.
# =============================================================================================


def flare_base(
    p0: float = 2.0, r_value: float = 0.3, with_egfr: bool = True
) -> list[dict[str, Any]]:
    """T0 2023-12-01 (MMF), P0 `p0` on 2023-11-28, response (`r_value`) on 2024-02-15 = R."""
    res = [
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", p0),
        upcr("upcr-r", "2024-02-15", r_value),
    ]
    if with_egfr:
        res += [egfr("egfr-0", "2023-11-28", 95), egfr("egfr-r", "2024-02-15", 95)]
    return res


scenario(
    "flare_proteinuric_confirmed",
    situation="After a CR (0.3 g/g on 2024-02-15), UPCR 1.2 then 1.5 g/g 14 days apart.",
    why="ref = 0.3 < 0.5 → each P ≥ 1.0 flares; window = the last two values (W3 would need a "
    "value before 0.3), spanning 14 d ≥ 7 → confirmed, date 2024-06-05; 1.5 − 0.3 = 1.2 ≤ 5 → "
    "moderate. Current 1.5 > 1.0 (half of P0) → response lost.",
    spec="§6 proteinuric, windows, confirmation",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-prot"),
        *flare_base(),
        upcr("upcr-f1", "2024-06-05", 1.2),
        upcr("upcr-f2", "2024-06-19", 1.5),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("proteinuric", "moderate", True, "2024-06-05", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_proteinuric_at_1_0_unconfirmed_while_still_pr",
    situation="After a CR (0.3 g/g), a single UPCR of exactly 1.0 g/g (P0 2.0).",
    why="ref 0.3 < 0.5 and P ≥ 1.0 (inclusive) → proteinuric flare, one value → unconfirmed, "
    "moderate. The current P is still a PR (1.0 ≤ 1.0, < 3) so response is partial, but flare "
    "precedes partial-response.",
    spec="§6 proteinuric (1.0), §8 precedence",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-100"),
        *flare_base(),
        upcr("upcr-f1", "2024-06-19", 1.0),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",  # §8 flare > partial-response
        response="partial",  # §4 current response at the current P
        refractory=False,
        flare=flare("proteinuric", "moderate", False, "2024-06-19", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "pr_p_0_99_below_flare_threshold",
    situation="After a CR (0.3 g/g), a single UPCR of 0.99 g/g (P0 2.0).",
    why="ref 0.3 < 0.5 needs P ≥ 1.0: 0.99 is not a flare. 0.99 ≤ 1.0 and < 3 → PR.",
    spec="§6 proteinuric (just below 1.0), §4 PR",
    as_of="2024-06-30",
    resources=[
        patient("pt-pr-099"),
        *flare_base(),
        upcr("upcr-cur", "2024-06-19", 0.99),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="partial-response",
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_proteinuric_reference_0_8_at_2_0",
    situation="P0 3.0; PR reached at 0.8 g/g (2024-02-15); then one UPCR of 2.0 g/g.",
    why="R = 2024-02-15, ref = 0.8 (0.5 ≤ ref ≤ 1.0) needs P ≥ 2.0: met (inclusive), single value "
    "→ unconfirmed, 2.0 − 0.8 = 1.2 → moderate. 2.0 > 1.5 → response lost.",
    spec="§6 proteinuric (0.5–1.0 band, 2.0)",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-200"),
        *flare_base(p0=3.0, r_value=0.8),
        upcr("upcr-f1", "2024-06-19", 2.0),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("proteinuric", "moderate", False, "2024-06-19", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "lost_response_p_1_99_below_flare_threshold",
    situation="P0 3.0; PR reached at 0.8 g/g (2024-02-15); then one UPCR of 1.99 g/g.",
    why="ref 0.8 needs P ≥ 2.0: 1.99 is not a flare. 1.99 > 1.5 → neither CR nor PR after a PR → "
    "lost response → no-response, refractory false.",
    spec="§6 proteinuric (just below 2.0), §4 lost response",
    as_of="2024-06-30",
    resources=[
        patient("pt-lost-199"),
        *flare_base(p0=3.0, r_value=0.8),
        upcr("upcr-cur", "2024-06-19", 1.99),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="no-response",
        response="lost",
        response_lost=True,
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_proteinuric_doubling_of_reference_above_1",
    situation="P0 3.0; PR reached at 1.2 g/g (2024-02-15); then UPCR 2.4 and 2.6 g/g 14 days "
    "apart.",
    why="ref 1.2 > 1.0 needs P ≥ 2 × 1.2 = 2.4: both values meet it (2.4 exactly) against ref "
    "min(1.2) → window of two, 14 d → confirmed, date 2024-06-05; 2.6 − 1.2 = 1.4 → moderate.",
    spec="§6 proteinuric (2 × ref)",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-2x"),
        *flare_base(p0=3.0, r_value=1.2),
        upcr("upcr-f1", "2024-06-05", 2.4),
        upcr("upcr-f2", "2024-06-19", 2.6),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("proteinuric", "moderate", True, "2024-06-05", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "lost_response_p_just_below_twice_reference",
    situation="P0 3.0; PR reached at 1.2 g/g (2024-02-15); then one UPCR of 2.39 g/g.",
    why="ref 1.2 > 1.0 needs P ≥ 2.4: 2.39 is not a flare. 2.39 > 1.5 → neither CR nor PR after "
    "a PR → lost response → no-response, refractory false.",
    spec="§6 proteinuric (just below 2 × ref), §4 lost response",
    as_of="2024-06-30",
    resources=[
        patient("pt-lost-239"),
        *flare_base(p0=3.0, r_value=1.2),
        upcr("upcr-cur", "2024-06-19", 2.39),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="no-response",
        response="lost",
        response_lost=True,
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_nephritic_confirmed",
    situation="Woman (39 → 40 y); creatinine 0.8 mg/dL at baseline and at CR (2024-02-15), then "
    "1.1 and 1.2 mg/dL 14 days apart with urine RBC 12/HPF between them; UPCR stays 0.3.",
    why="ref 0.8 → 1.3 × 0.8 = 1.04: 1.1 and 1.2 both meet it, hematuria > 5 within ± 30 d of "
    "each → confirmed (14 d), date 2024-06-05; rise 1.2 − 0.8 = 0.4 ≤ 1.0 → moderate. CKD-EPI "
    "eGFR 96.06 → 58.69 (< 85 %) → current P not CR/PR → response lost.",
    spec="§6 nephritic (Moroni), §2 CKD-EPI 2021, §4 function",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-neph"),
        *flare_base(with_egfr=False),
        scr("scr-0", "2023-11-28", 0.8),
        scr("scr-r", "2024-02-15", 0.8),
        scr("scr-f1", "2024-06-05", 1.1),
        rbc("rbc-f", "2024-06-12", 12),
        scr("scr-f2", "2024-06-19", 1.2),
        upcr("upcr-cur", "2024-06-19", 0.3),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("nephritic", "moderate", True, "2024-06-05", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_nephritic_at_1_30_times_reference",
    situation="Creatinine 1.0 mg/dL at baseline and at CR, then 1.30 mg/dL with urine RBC 10/HPF "
    "the same day; UPCR stays 0.3.",
    why="1.30 ≥ 1.30 × 1.0 (inclusive) with hematuria > 5 → nephritic, one value → unconfirmed, "
    "rise 0.3 → moderate. eGFR 73.49 → 53.31 (< 85 %) → response lost. RBC 10 ≤ 15: no mild flare.",
    spec="§6 nephritic (Moroni 1.30), §1 tolerance",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-130"),
        *flare_base(with_egfr=False),
        scr("scr-0", "2023-11-28", 1.0),
        scr("scr-r", "2024-02-15", 1.0),
        scr("scr-f1", "2024-06-19", 1.30),
        rbc("rbc-f", "2024-06-19", 10),
        upcr("upcr-cur", "2024-06-19", 0.3),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("nephritic", "moderate", False, "2024-06-19", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "lost_response_creatinine_1_29_below_moroni",
    situation="As flare_nephritic_at_1_30_times_reference but the creatinine is 1.29 mg/dL.",
    why="1.29 < 1.30 × 1.0 → no nephritic flare. eGFR 73.49 → 53.81 (< 85 %) rules out CR/PR at "
    "the current P after an earlier CR → lost response → no-response.",
    spec="§6 nephritic (just below), §4 lost response",
    as_of="2024-06-30",
    resources=[
        patient("pt-lost-129"),
        *flare_base(with_egfr=False),
        scr("scr-0", "2023-11-28", 1.0),
        scr("scr-r", "2024-02-15", 1.0),
        scr("scr-f1", "2024-06-19", 1.29),
        rbc("rbc-f", "2024-06-19", 10),
        upcr("upcr-cur", "2024-06-19", 0.3),
    ],
    expected=expect(
        status="no-response",
        response="lost",
        response_lost=True,
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_mild_hematuria_confirmed",
    situation="In CR; urine RBC 2/HPF at CR, then 20 and 25/HPF 14 days apart; UPCR 0.3, eGFR "
    "stable.",
    why="ref 2 ≤ 5 and every window value > 15 → mild flare, 14 d → confirmed, date 2024-06-05. "
    "The current P is still CR → response complete, but flare precedes.",
    spec="§6 mild (RBC), §8 precedence",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-rbc"),
        *flare_base(),
        rbc("rbc-r", "2024-02-15", 2),
        rbc("rbc-f1", "2024-06-05", 20),
        rbc("rbc-f2", "2024-06-19", 25),
        upcr("upcr-cur", "2024-06-19", 0.3),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="complete",
        refractory=False,
        flare=flare("mild", "mild", True, "2024-06-05", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_mild_hematuria_15_is_not_above_15",
    situation="In CR; urine RBC 2/HPF at CR, then 15 and 16/HPF nine days apart.",
    why="W1 = [16] against ref 2 → met; W2 = [15, 16] fails (15 is not > 15) → window of one value "
    "→ unconfirmed, date 2024-06-19.",
    spec="§6 mild (RBC > 15), largest window",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-rbc15"),
        *flare_base(),
        rbc("rbc-r", "2024-02-15", 2),
        rbc("rbc-f1", "2024-06-10", 15),
        rbc("rbc-f2", "2024-06-19", 16),
        upcr("upcr-cur", "2024-06-19", 0.3),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="complete",
        refractory=False,
        flare=flare("mild", "mild", False, "2024-06-19", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_mild_casts_confirmed_at_7_days",
    situation="In CR; RBC casts 0/LPF at CR, then coded 'Positive' on 2024-06-12 and 2024-06-19.",
    why="Both window results positive, a negative result before them in [R, …) → mild casts flare; "
    "span exactly 7 d → confirmed (inclusive), date 2024-06-12.",
    spec="§6 mild (casts), confirmation ≥ 7 d",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-cast7"),
        *flare_base(),
        obs("cast-r", "5807-3", "2024-02-15", 0, "/LPF", "/[LPF]"),
        cast_positive("cast-f1", "2024-06-12"),
        cast_positive("cast-f2", "2024-06-19"),
        upcr("upcr-cur", "2024-06-19", 0.3),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="complete",
        refractory=False,
        flare=flare("mild", "mild", True, "2024-06-12", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_mild_casts_unconfirmed_at_6_days",
    situation="As flare_mild_casts_confirmed_at_7_days but the positive casts are 6 days apart "
    "(2024-06-13, 2024-06-19).",
    why="Same window of two positives, spanning 6 d < 7 → unconfirmed, date 2024-06-13.",
    spec="§6 confirmation ≥ 7 d",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-cast6"),
        *flare_base(),
        obs("cast-r", "5807-3", "2024-02-15", 0, "/LPF", "/[LPF]"),
        cast_positive("cast-f1", "2024-06-13"),
        cast_positive("cast-f2", "2024-06-19"),
        upcr("upcr-cur", "2024-06-19", 0.3),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="complete",
        refractory=False,
        flare=flare("mild", "mild", False, "2024-06-13", []),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_nephritic_and_severe_proteinuric",
    situation="After CR: creatinine 0.8 → 1.1 → 1.2 mg/dL (RBC 12/HPF) and 24-h UPCR 5.2 → 5.6 "
    "g/g on the same two dates, 14 days apart.",
    why="Both confirmed; nephritic reported first (nephritic > proteinuric); severity = worst: "
    "proteinuric 5.6 − 0.3 = 5.3 > 5.0 → severe (nephritic rise 0.4 → moderate); also_met "
    "proteinuric; date = nephritic window start 2024-06-05. SLEDAI-2K lab: hematuria 4 + "
    "proteinuria 4 = 8 (all renal).",
    spec="§6 several met, severity; §9",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-both"),
        *flare_base(with_egfr=False),
        scr("scr-0", "2023-11-28", 0.8),
        scr("scr-r", "2024-02-15", 0.8),
        scr("scr-f1", "2024-06-05", 1.1),
        upcr24("upcr24-f1", "2024-06-05", 5.2),
        rbc("rbc-f", "2024-06-12", 12),
        scr("scr-f2", "2024-06-19", 1.2),
        upcr24("upcr24-f2", "2024-06-19", 5.6),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("nephritic", "severe", True, "2024-06-05", ["proteinuric"]),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        # §9 in [2024-05-31, 2024-06-30]: hematuria 12 > 5 (4) and P 5.2/5.6 > 0.5 (4)
        sledai2k_lab={"score": 8, "renal_score": 8},
    ),
)

scenario(
    "flare_confirmed_proteinuric_before_unconfirmed_nephritic",
    situation="After CR: UPCR 1.2 and 1.5 g/g 14 days apart (confirmed proteinuric), creatinine "
    "0.8 on the first date and 1.2 mg/dL with RBC 12/HPF on the second (one value).",
    why="Nephritic is met but unconfirmed (W2 fails: 0.8 < 1.04); proteinuric confirmed. "
    "'Confirmed before unconfirmed' → type proteinuric, confirmed, date 2024-06-05, also_met "
    "nephritic; both moderate.",
    spec="§6 several met (confirmed before unconfirmed)",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-order"),
        *flare_base(with_egfr=False),
        scr("scr-0", "2023-11-28", 0.8),
        scr("scr-r", "2024-02-15", 0.8),
        scr("scr-f1", "2024-06-05", 0.8),
        upcr("upcr-f1", "2024-06-05", 1.2),
        scr("scr-f2", "2024-06-19", 1.2),
        rbc("rbc-f", "2024-06-19", 12),
        upcr("upcr-f2", "2024-06-19", 1.5),
    ],
    expected=expect(
        status="flare",
        response="lost",
        refractory=False,
        flare=flare("proteinuric", "moderate", True, "2024-06-05", ["nephritic"]),
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_window_limited_to_last_180_days",
    situation="MMF since 2023-06-01; CR 0.3 g/g on 2023-09-01; UPCR 1.4 on 2023-12-20 (193 d "
    "before as_of) and 1.6 on 2024-06-19.",
    why="Both rises meet ref 0.3, but the window's values must be within 180 d of as_of: "
    "2023-12-20 is history → window = [1.6] → unconfirmed, date 2024-06-19, moderate.",
    spec="§6 180-day limit on judged values",
    as_of="2024-06-30",
    resources=[
        patient("pt-flare-180"),
        ln_class_iv(onset="2023-05-25"),
        mmf(authored="2023-06-01"),
        upcr("upcr-p0", "2023-05-28", 2.0),
        egfr("egfr-0", "2023-05-28", 95),
        upcr("upcr-r", "2023-09-01", 0.3),
        egfr("egfr-r", "2023-09-01", 95),
        upcr("upcr-old", "2023-12-20", 1.4),
        upcr("upcr-cur", "2024-06-19", 1.6),
        egfr("egfr-cur", "2024-06-19", 94),
    ],
    expected=expect(
        status="flare",
        response="lost",  # 1.6 > 1.0 = half of P0
        refractory=False,
        flare=flare("proteinuric", "moderate", False, "2024-06-19", []),
        index_date="2023-06-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "flare_then_rituximab_resets_t0",
    situation="MMF since 2023-06-01; CR 0.3 (2023-09-01); proteinuric flare 2.4 g/g (2023-10-20); "
    "rituximab added 2023-11-01; UPCR 1.0 g/g on 2024-06-19; eGFR 95 → 90 → 88.",
    why="The flare is met at 2023-10-20 ∈ (T0, rituximab start] → T0 resets to 2023-11-01; P0 = "
    "2.4 (2023-10-20), eGFR0 = 90. Current 1.0 ≤ 1.2, < 3, eGFR 88 ≥ 76.5 → PR; R = 2024-06-19 "
    "has no earlier value → no flare → partial-response (without the reset it would be a flare).",
    spec="§3 reset after a flare, baselines, §4 PR, §6",
    as_of="2024-06-30",
    resources=[
        patient("pt-reset"),
        ln_class_iv(onset="2023-05-25"),
        mmf(authored="2023-06-01"),
        upcr("upcr-p0", "2023-05-28", 2.0),
        egfr("egfr-0", "2023-05-28", 95),
        upcr("upcr-r", "2023-09-01", 0.3),
        egfr("egfr-r", "2023-09-01", 95),
        upcr("upcr-flare", "2023-10-20", 2.4),
        egfr("egfr-flare", "2023-10-20", 90),
        med_request(
            "rituximab",
            "2023-11-01",
            drug="rituximab",
            status="completed",
            dosage=[dose_line(1000)],
        ),
        upcr("upcr-cur", "2024-06-19", 1.0),
        egfr("egfr-cur", "2024-06-19", 88),
    ],
    expected=expect(
        status="partial-response",  # §3 reset, §4 PR
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-11-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={
            "P0": {"value": 2.4, "date": "2023-10-20", "sources": ["Observation/upcr-flare"]},
            "eGFR0": {"value": 90, "date": "2023-10-20"},
            "P": {"value": 1.0, "date": "2024-06-19"},
        },
    ),
)

# =============================================================================================
# Insufficient data and staleness (§3, §4, §5, §8)
# =============================================================================================

scenario(
    "insufficient_no_t0_undated_icd10cm_ln",
    situation="LN coded only as ICD-10-CM 'M3214' (no dot) with no onset or recorded date, no "
    "medication records; UPCR 2.0 g/g.",
    why="LN (ICD-10-CM M32.14) but no run and no dated LN Condition → no T0 → insufficient-data.",
    spec="§2 ICD-10-CM LN, §3 no T0, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-insuff-not0"),
        # written without the dot: ICD codes are compared without dots (§2)
        condition("ln-icd", [(ICD10CM, "M3214", "Glomerular disease in SLE")]),
        upcr("upcr-1", "2024-06-20", 2.0),
    ],
    expected=expect(
        status="insufficient-data",
        response="undetermined",
        refractory=False,
        flare=None,
        index_date=None,
        index_source=None,
        function_assessed=False,
        ln_classes=[],
    ),
)

scenario(
    "insufficient_no_proteinuria",
    situation="Class III LN (SNOMED 76521009) on MMF since 2023-12-01; eGFR measured, but no "
    "proteinuria result at all.",
    why="No current P → response undetermined → insufficient-data (no P).",
    spec="§4 absent current P, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-insuff-nop"),
        condition(
            "ln-class-iii",
            [(SNOMED, "76521009", "Lupus nephritis - WHO Class III")],
            onset="2023-11-24",
        ),
        mmf(),
        egfr("egfr-0", "2023-11-28", 95),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="insufficient-data",
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["III"],
    ),
)

scenario(
    "insufficient_stale_p_181_days_old",
    situation="P0 3.0; the only later UPCR (0.3 g/g) is dated 2024-01-01, 181 days before as_of.",
    why="Current P older than 180 d → stale → response undetermined → insufficient-data (a stale "
    "CR is not claimed). as_of ≥ T0 + 183 so not active.",
    spec="§3 staleness (180 d), §4, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-stale-181"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        upcr("upcr-cur", "2024-01-01", 0.3),
    ],
    expected=expect(
        status="insufficient-data",
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
    ),
)

scenario(
    "cr_p_exactly_180_days_old_is_not_stale",
    situation="P0 3.0; the only later UPCR (0.3 g/g, eGFR stable the same day) is dated "
    "2024-01-02, exactly 180 days before as_of.",
    why="Stale means older than 180 d; 180 d is not → CR.",
    spec="§3 staleness boundary, §4 CR",
    as_of="2024-06-30",
    resources=[
        patient("pt-stale-180"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-01-02", 0.3),
        egfr("egfr-cur", "2024-01-02", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.3, "date": "2024-01-02"}},
    ),
)

scenario(
    "insufficient_no_p0_pr_undecidable",
    situation="MMF 2 g/day since 2023-12-01; no proteinuria in [T0 − 90, T0 + 14]; one UPCR of "
    "1.5 g/g at T0 + 202 d.",
    why="1.5 is not CR; PR undecidable without P0 (1.5 < 3.0), so NR and refractory cannot be "
    "claimed; ≥ 183 d since T0 so not active → insufficient-data.",
    spec="§4 PR without P0, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-nop0"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-cur", "2024-06-20", 1.5),
    ],
    expected=expect(
        status="insufficient-data",
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
    ),
)

scenario(
    "active_no_p0_pr_undecidable",
    situation="As insufficient_no_p0_pr_undecidable but assessed at T0 + 121 d (UPCR 1.5 g/g on "
    "2024-03-20).",
    why="< 183 d since T0, a P in [T0 − 90, as_of], and the current P is not CR and its PR cannot "
    "be decided → active (§5 includes this case).",
    spec="§5 active",
    as_of="2024-03-31",
    resources=[
        patient("pt-nop0-active"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-cur", "2024-03-20", 1.5),
    ],
    expected=expect(
        status="active",
        response="undetermined",  # PR cannot be decided at the current P
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
    ),
)

scenario(
    "p0_first_value_within_14_days_after_t0",
    situation="UPCR 1.0 g/g 100 d before T0 (too early), 3.0 g/g at T0 + 10 d, 2.9 at T0 + 20 d; "
    "now 1.4 g/g with stable eGFR.",
    why="No P in [T0 − 90, T0] → P0 = earliest in (T0, T0 + 14] = 3.0 (2023-12-11). 1.4 ≤ 1.5 and "
    "< 3 → PR.",
    spec="§3 baselines",
    as_of="2024-06-30",
    resources=[
        patient("pt-p0-after"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-early", "2023-08-23", 1.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-p0", "2023-12-11", 3.0),
        upcr("upcr-d20", "2023-12-21", 2.9),
        upcr("upcr-cur", "2024-06-20", 1.4),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="partial-response",
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P0": {"value": 3.0, "date": "2023-12-11", "sources": ["Observation/upcr-p0"]}},
    ),
)

# =============================================================================================
# Profile gu-2014 (§7) and kdigo twins
# =============================================================================================

scenario(
    "gu_p0_below_1_is_insufficient",
    situation="gu-2014 profile; 24-h protein 0.8 g/24 h at baseline, 0.3 g/24 h now.",
    why="P0 0.8 < 1.0 (the trial's entry proteinuria) → no response judgement → insufficient-data "
    "(under kdigo-2024 this would be a CR).",
    spec="§7 entry activity",
    as_of="2024-06-30",
    profile="gu-2014",
    resources=[
        patient("pt-gu-entry"),
        ln_class_iv(),
        mmf(),
        prot24("prot24-p0", "2023-11-28", 0.8),
        prot24("prot24-cur", "2024-06-20", 0.3),
    ],
    expected=expect(
        status="insufficient-data",
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
    ),
)

scenario(
    "gu_p0_at_1_0_cr_with_egfr_at_90_percent",
    situation="gu-2014; 24-h protein 1.0 g/24 h at baseline (exactly the entry threshold), 0.3 "
    "now; eGFR 100 → 90.",
    why="P0 ≥ 1.0 (inclusive) → eligible; P 0.3 < 0.5 and eGFR 90 ≥ 0.90 × 100 → gu CR.",
    spec="§7 entry and CR function rule",
    as_of="2024-06-30",
    profile="gu-2014",
    resources=[
        patient("pt-gu-cr"),
        ln_class_iv(),
        mmf(),
        prot24("prot24-p0", "2023-11-28", 1.0),
        egfr("egfr-0", "2023-11-28", 100),
        prot24("prot24-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 90),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P0": {"value": 1.0, "date": "2023-11-28"}},
    ),
)

_EGFR88 = [
    ln_class_iv(),
    mmf(mg_bid=500),
    upcr("upcr-p0", "2023-11-28", 2.0),
    egfr("egfr-0", "2023-11-28", 100),
    upcr("upcr-cur", "2024-06-20", 0.3),
    egfr("egfr-cur", "2024-06-20", 88),
]

scenario(
    "gu_egfr_88_percent_is_not_cr",
    situation="gu-2014; UPCR 2.0 → 0.3 g/g; eGFR 100 → 88; MMF 1 g/day, no glucocorticoid.",
    why="gu function rule: 88 < 0.90 × 100 → fallen → neither CR nor PR. NR is due (as_of "
    "T0 + 212, P at T0 + 202, none earlier) → response none; gu refractory needs current P ≥ 1.0 → "
    "no-response.",
    spec="§7 CR/PR function rule, §4 NR",
    as_of="2024-06-30",
    profile="gu-2014",
    resources=[patient("pt-gu-88"), *_EGFR88],
    expected=expect(
        status="no-response",
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "kdigo_egfr_88_percent_is_cr",
    situation="Same bundle as gu_egfr_88_percent_is_not_cr, under kdigo-2024.",
    why="kdigo tolerance: 88 ≥ 0.85 × 100 → stable; P 0.3 < 0.5 → CR.",
    spec="§4 CR (profile parameter 0.85)",
    as_of="2024-06-30",
    resources=[patient("pt-kdigo-88"), *_EGFR88],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

_GU_EARLY = [
    ln_class_iv(),
    mmf(),  # 2 g/day since T0 → ≥ 91 d at 2 g/day by as_of (121 d)
    prot24("prot24-p0", "2023-11-28", 3.0),
    egfr("egfr-0", "2023-11-28", 95),
    prot24("prot24-cur", "2024-03-20", 2.5),
    egfr("egfr-cur", "2024-03-20", 93),
]

scenario(
    "gu_refractory_mmf_and_prednisone_at_4_months",
    situation="gu-2014; MMF 2 g/day and prednisone 30 mg QD since 2023-12-01; 24-h protein 3.0 → "
    "2.5 g/24 h at T0 + 110 d; as_of T0 + 121 d.",
    why="gu refractory regardless of NR timing: current P 2.5 ≥ 1.0, not CR/PR (2.5 > 1.5); "
    "prednisone 30 > 20 mg/day overlaps [T0, as_of]; MMF ≥ 2 g/day for 121 ≥ 91 d → refractory.",
    spec="§7 refractory",
    as_of="2024-03-31",
    profile="gu-2014",
    resources=[
        patient("pt-gu-refr"),
        *_GU_EARLY,
        med_request("pred", "2023-12-01", drug="prednisone", dosage=[dose_line(30, code="QD")]),
    ],
    expected=expect(
        status="refractory",
        response="not-yet-due",  # §4 response unchanged; only the refractory judgement differs
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "kdigo_same_data_as_gu_refractory_is_active",
    situation="Same bundle as gu_refractory_mmf_and_prednisone_at_4_months, under kdigo-2024.",
    why="kdigo refractory needs NR, which is not due before T0 + 183 d → active.",
    spec="§4 NR timing, §5",
    as_of="2024-03-31",
    resources=[
        patient("pt-kdigo-early"),
        *_GU_EARLY,
        med_request("pred", "2023-12-01", drug="prednisone", dosage=[dose_line(30, code="QD")]),
    ],
    expected=expect(
        status="active",
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "gu_methylprednisolone_16mg_is_not_above_20",
    situation="As gu_refractory_mmf_and_prednisone_at_4_months but the glucocorticoid is "
    "methylprednisolone 16 mg QD.",
    why="16 × 1.25 = 20 mg prednisone-equivalent, not > 20 → gu refractory not met; < 183 d, "
    "P0 ≥ 1.0 → active.",
    spec="§7 refractory (methylprednisolone × 1.25)",
    as_of="2024-03-31",
    profile="gu-2014",
    resources=[
        patient("pt-gu-mp16"),
        *_GU_EARLY,
        med_request(
            "mpred", "2023-12-01", drug="methylprednisolone", dosage=[dose_line(16, code="QD")]
        ),
    ],
    expected=expect(
        status="active",
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "gu_refractory_cyclophosphamide_and_methylprednisolone",
    situation="gu-2014; cyclophosphamide MedicationStatement 2023-12-01 → 2024-06-10 (192 d) and "
    "methylprednisolone 20 mg QD; 24-h protein 3.0 → 2.5 g/24 h.",
    why="Methylprednisolone 20 × 1.25 = 25 > 20; CYC course 192 ≥ 183 d; current P 2.5 ≥ 1.0, "
    "not CR/PR → gu refractory; NR also due → response none.",
    spec="§7 refractory (CYC course), §2 MedicationStatement period",
    as_of="2024-06-30",
    profile="gu-2014",
    resources=[
        patient("pt-gu-cyc"),
        ln_class_iv(),
        med_statement("cyc", "cyc", "2023-12-01", "2024-06-10", "completed"),
        med_request(
            "mpred", "2023-12-01", drug="methylprednisolone", dosage=[dose_line(20, code="QD")]
        ),
        prot24("prot24-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        prot24("prot24-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="refractory",
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

# =============================================================================================
# Mapping details that change the answer (§1, §2)
# =============================================================================================


def cr_base(p_date: str = "2024-06-10") -> list[dict[str, Any]]:
    """T0 2023-12-01 (MMF 2 g/day), P0 3.0 → CR 0.3 g/g on `p_date` with stable eGFR."""
    return [
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", p_date, 0.3),
        egfr("egfr-cur", p_date, 93),
    ]


scenario(
    "ignores_entered_in_error_and_preliminary",
    situation="In CR (0.3 g/g on 2024-06-10); later UPCRs 2.8 (entered-in-error, 06-20) and 2.9 "
    "(preliminary, 06-25).",
    why="Only final/amended/corrected Observations count → current P is 0.3 → CR.",
    spec="§2 Observation status",
    as_of="2024-06-30",
    resources=[
        patient("pt-ign-status"),
        *cr_base(),
        upcr("upcr-eie", "2024-06-20", 2.8, status="entered-in-error"),
        upcr("upcr-prelim", "2024-06-25", 2.9, status="preliminary"),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.3, "date": "2024-06-10", "sources": ["Observation/upcr-cur"]}},
    ),
)

scenario(
    "ignores_missing_and_unknown_units",
    situation="In CR (0.3 g/g on 2024-06-10); later UPCRs 2.8 with no unit at all (06-20) and 2.9 "
    "'mg/dL' (a concentration, not a ratio; 06-25).",
    why="Unknown or missing units are ignored with a note, never guessed → current P 0.3 → CR.",
    spec="§2 units",
    as_of="2024-06-30",
    resources=[
        patient("pt-ign-units"),
        *cr_base(),
        obs("upcr-nounit", "2890-2", "2024-06-20", 2.8),
        obs("upcr-mgdl", "2890-2", "2024-06-25", 2.9, "mg/dL", "mg/dL"),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.3, "date": "2024-06-10"}},
    ),
    notes={"present_for": ["Observation/upcr-nounit", "Observation/upcr-mgdl"]},
)

scenario(
    "ignores_ratio_code_with_mass_per_time_unit",
    situation="In CR (0.3 g/g on 2024-06-10); later a spot UPCR code (2890-2) reported in "
    "g/(24.h) (06-20) and a 24-h protein code (2889-4) reported in mg/g (06-25).",
    why="A ratio code with a mass/time unit, or 2889-4 with a ratio unit, is ignored with a note → "
    "current P 0.3 → CR.",
    spec="§2 P series unit/code consistency",
    as_of="2024-06-30",
    resources=[
        patient("pt-ign-mismatch"),
        *cr_base(),
        obs("upcr-g24h", "2890-2", "2024-06-20", 2.8, "g/(24.h)", "g/(24.h)"),
        obs("prot24-mgg", "2889-4", "2024-06-25", 2900, "mg/g", "mg/g"),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.3, "date": "2024-06-10"}},
    ),
    notes={"present_for": ["Observation/upcr-g24h", "Observation/prot24-mgg"]},
)

scenario(
    "same_day_24h_protein_beats_spot_upcr",
    situation="P0 3.0; on 2024-06-20 a spot UPCR of 0.4 g/g and a 24-h urine protein of "
    "0.6 g/24 h.",
    why="Same day: 24-h protein outranks spot UPCR → P = 0.6: not CR, ≤ 1.5 → PR.",
    spec="§2 same-day priority, §4",
    as_of="2024-06-30",
    resources=[
        patient("pt-sameday"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-spot", "2024-06-20", 0.4, time="T07:30:00+01:00"),
        prot24(
            "prot24-cur",
            None,
            0.6,
            effective={
                "effectivePeriod": {
                    "start": "2024-06-19T08:00:00+01:00",
                    "end": "2024-06-20T08:00:00+01:00",
                }
            },
        ),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="partial-response",
        response="partial",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.6, "date": "2024-06-20", "sources": ["Observation/prot24-cur"]}},
    ),
)

scenario(
    "comparator_value_used_at_its_bound",
    situation="P0 3.0; current spot UPCR reported as '< 0.1 g/g'.",
    why="A value with a comparator is used at its bound (0.1) with a note → CR.",
    spec="§2 comparator",
    as_of="2024-06-30",
    resources=[
        patient("pt-comparator"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-lt", "2024-06-20", 0.1, comparator="<"),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.1, "date": "2024-06-20"}},
    ),
    notes={"present_for": ["Observation/upcr-lt"]},
)

scenario(
    "timestamp_date_uses_its_own_offset_and_as_of_cutoff",
    situation="P0 3.0; UPCR 2.8 on 06-10; 0.3 at 2024-06-30T22:30-05:00 (UTC: 07-01); 2.9 at "
    "2024-07-01T01:00+14:00 (UTC: 06-30); an N18.6 Condition with onset 2024-07-15.",
    why="Dates are the calendar date as written: 0.3 is dated 06-30 (≤ as_of, current), 2.9 is "
    "07-01 (after as_of, excluded); the ESRD Condition starts after as_of and does not count → CR.",
    spec="§1 dates and as_of, §2 Condition onset ≤ as_of",
    as_of="2024-06-30",
    resources=[
        patient("pt-offset"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-0610", "2024-06-10", 2.8),
        egfr("egfr-cur", "2024-06-28", 93),
        upcr("upcr-late", "2024-06-30", 0.3, time="T22:30:00-05:00"),
        upcr("upcr-future", "2024-07-01", 2.9, time="T01:00:00+14:00"),
        condition(
            "eskd-future", [(ICD10CM, "N18.6", "End stage renal disease")], onset="2024-07-15"
        ),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,  # eGFR 06-28 is within ± 30 d of 06-30
        ln_classes=["IV"],
        values={"P": {"value": 0.3, "date": "2024-06-30", "sources": ["Observation/upcr-late"]}},
    ),
)

scenario(
    "medication_cellcept_text_only",
    situation="LN diagnosed 2023-06-01; MMF ordered on 2023-12-01 with only the text "
    "'CellCept 500 mg tablet' (no coding); UPCR 3.0 → 0.3.",
    why="CellCept is an MMF brand → MPAA course → T0 = 2023-12-01 (medication). If the order were "
    "missed, T0 would fall back to the Condition date 2023-06-01.",
    spec="§2 medication name matching, §3 T0",
    as_of="2024-06-30",
    resources=[
        patient("pt-cellcept"),
        ln_class_iv(onset="2023-06-01"),
        med_request(
            "cellcept",
            "2023-12-01",
            text="CellCept 500 mg tablet",
            dosage=[dose_line(1000, frequency=2)],
        ),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "medication_via_contained_medication",
    situation="LN diagnosed 2023-06-01; MedicationRequest (2023-12-01) whose medicationReference "
    "points to a contained Medication coded RxNorm 68149; UPCR 3.0 → 0.3.",
    why="medicationReference resolved to the contained Medication → MPAA → T0 = 2023-12-01.",
    spec="§2 medicationReference, §3 T0",
    as_of="2024-06-30",
    resources=[
        patient("pt-contained"),
        ln_class_iv(onset="2023-06-01"),
        med_request(
            "mmf-ref",
            "2023-12-01",
            reference="#med-mmf",
            contained=[
                {
                    "resourceType": "Medication",
                    "id": "med-mmf",
                    "code": {
                        "coding": [
                            {"system": RXNORM, "code": "68149", "display": "mycophenolate mofetil"}
                        ]
                    },
                }
            ],
            dosage=[dose_line(1000, frequency=2)],
        ),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "ln_icd10_n08_5_with_m32_1",
    situation="One Condition coded in ICD-10 (WHO) as N08.5 and M32.1, onset 2023-12-01; no "
    "medications; UPCR 3.0 → 0.3 with stable eGFR.",
    why="ICD-10 N08.5 with an ICD-10 M32.1 coding is LN; no run → T0 = Condition date "
    "(index_source condition) → CR.",
    spec="§2 LN codes (ICD-10 N08.5), §3 T0 from Condition",
    as_of="2024-06-30",
    resources=[
        patient("pt-icd10-n085"),
        condition(
            "ln-icd10",
            [
                (ICD10, "N08.5", "Glomerular disorders in systemic connective tissue disorders"),
                (ICD10, "M32.1", "Systemic lupus erythematosus with organ or system involvement"),
            ],
            onset="2023-12-01",
        ),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="condition",
        function_assessed=True,
        ln_classes=[],
    ),
)

scenario(
    "sledai_lab_serology_and_blood_count_units",
    situation="In CR; 5 days before as_of platelets 85000 /uL, leukocytes 2.5 10*3/uL, albumin "
    "3.2 g/dL, C3 0.7 g/L (reference low 0.9), C4 0.05 g/L (no range, no interpretation), "
    "anti-dsDNA 85 IU/mL flagged H.",
    why="/uL ÷ 1000 → 85 × 10⁹/L < 100 → 1 point; 10*3/uL = 10⁹/L → 2.5 < 3 → 1 point; C3 "
    "below its referenceRange.low → low complement 2 (C4 without range or flag is unknown, never "
    "guessed); anti-dsDNA interpretation H → 2; no renal item in the last 30 d (P 0.3) → "
    "SLEDAI-2K lab score 6, renal 0; status stays CR. g/dL albumin is a known unit (no note).",
    spec="§2 units and serology flags, §9 SLEDAI-2K lab items",
    as_of="2024-06-30",
    resources=[
        patient("pt-sledai"),
        *cr_base(p_date="2024-06-20"),
        obs("plt", "777-3", "2024-06-25", 85000, "/uL", "/uL"),
        obs("wbc", "6690-2", "2024-06-25", 2.5, "10*3/uL", "10*3/uL"),
        obs("alb", "1751-7", "2024-06-25", 3.2, "g/dL", "g/dL"),
        obs(
            "c3",
            "4485-9",
            "2024-06-25",
            0.7,
            "g/L",
            "g/L",
            extra={"referenceRange": [{"low": {"value": 0.9, "unit": "g/L"}}]},
        ),
        obs("c4", "4498-2", "2024-06-25", 0.05, "g/L", "g/L"),
        obs(
            "dsdna",
            "5130-0",
            "2024-06-25",
            85,
            "[IU]/mL",
            "[IU]/mL",
            extra={
                "interpretation": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "v3-ObservationInterpretation",
                                "code": "H",
                            }
                        ]
                    }
                ]
            },
        ),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        # §9: platelets 1 + leukocytes 1 + low complement (C3) 2 + raised anti-dsDNA 2
        sledai2k_lab={"score": 6, "renal_score": 0},
    ),
    notes={"absent_for": ["Observation/plt", "Observation/wbc", "Observation/alb"]},
)


scenario(
    "insufficient_partial_date_takes_first_day_of_month",
    situation="P0 3.0; the only later UPCR (0.3 g/g) carries a partial date '2024-01' (month "
    "only).",
    why="A partial date takes its first day (with a note): 2024-01-01 is 181 d before as_of → "
    "stale → insufficient-data (a mid- or end-of-month reading would have claimed a CR).",
    spec="§1 partial dates, §3 staleness",
    as_of="2024-06-30",
    resources=[
        patient("pt-partial-date"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        upcr("upcr-partial", None, 0.3, effective={"effectiveDateTime": "2024-01"}),
    ],
    expected=expect(
        status="insufficient-data",  # §3 stale: 2024-01-01 → 2024-06-30 = 181 d > 180
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
    ),
    notes={"present_for": ["Observation/upcr-partial"]},
)

scenario(
    "same_day_same_type_later_time_wins",
    situation="P0 3.0; two spot UPCRs on 2024-06-20: 0.7 g/g at 08:00 and 0.3 g/g at 14:00.",
    why="Same type, same day: the later effectiveDateTime wins (not the higher value) → P = 0.3 → "
    "CR.",
    spec="§2 same-day tie-break",
    as_of="2024-06-30",
    resources=[
        patient("pt-sameday-time"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-am", "2024-06-20", 0.7, time="T08:00:00+01:00"),
        upcr("upcr-pm", "2024-06-20", 0.3, time="T14:00:00+01:00"),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 0.3, "date": "2024-06-20", "sources": ["Observation/upcr-pm"]}},
    ),
)

scenario(
    "cr_function_unknown_decided_on_p_alone",
    situation="P0 3.0 → 0.3 g/g on 2024-06-20; eGFR 95 at baseline and 50 on 2024-05-20 (31 days "
    "before the current P); no creatinine.",
    why="No eGFR within ± 30 d of 2024-06-20 and no creatinine pair → function unknown → the "
    "response is decided on P alone: CR with function_assessed false.",
    spec="§3 function at t (± 30 d), §4 function unknown",
    as_of="2024-06-30",
    resources=[
        patient("pt-cr-nofunction"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        egfr("egfr-old", "2024-05-20", 50),
        upcr("upcr-cur", "2024-06-20", 0.3),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
    ),
)

scenario(
    "active_egfr_tie_takes_the_earlier_value",
    situation="P0 3.0 → 0.3 g/g on 2024-04-20; eGFR0 100; eGFR 80 on 04-15 and 90 on 04-25 (both "
    "5 days away).",
    why="Closest eGFR within ± 30 d, ties → the earlier: 80 < 85 → function fell → not CR/PR; "
    "< 183 d since T0 → active.",
    spec="§3 function at t (ties: the earlier), §4, §5",
    as_of="2024-04-30",
    resources=[
        patient("pt-egfr-tie"),
        ln_class_iv(),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 100),
        egfr("egfr-before", "2024-04-15", 80),
        upcr("upcr-cur", "2024-04-20", 0.3),
        egfr("egfr-after", "2024-04-25", 90),
    ],
    expected=expect(
        status="active",
        response="not-yet-due",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "nr_uacr_is_never_used_as_proteinuria",
    situation="MMF 1 g/day; UPCR 3.0 → 2.5 g/g (2024-06-10); a later urine albumin/creatinine "
    "ratio of 50 mg/g (2024-06-20).",
    why="UACR is shown, never used for CR/PR → current P = 2.5 (not PR: > 1.5) → NR (due, dated "
    "T0 + 192) → no-response (1 g/day not adequate).",
    spec="§2 UACR, §4 NR",
    as_of="2024-06-30",
    resources=[
        patient("pt-uacr"),
        ln_class_iv(),
        mmf(mg_bid=500),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-10", 2.5),
        egfr("egfr-cur", "2024-06-10", 93),
        obs("uacr", "9318-7", "2024-06-20", 50, "mg/g", "mg/g"),
    ],
    expected=expect(
        status="no-response",
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        values={"P": {"value": 2.5, "date": "2024-06-10"}},
    ),
)

scenario(
    "refractory_mmf_unknown_dose_counts_as_adequate",
    situation="MMF ordered since 2023-12-01 with dosage text only ('1 g twice daily', no "
    "doseQuantity); UPCR 3.0 → 2.5 g/g at T0 + 202 d.",
    why="A dosage line without doseQuantity makes the daily dose unknown (text is not parsed); "
    "unknown doses count as adequate, with a note → NR + MPAA 212 d → refractory.",
    spec="§2 daily dose, §4 refractory (unknown dose)",
    as_of="2024-06-30",
    resources=[
        patient("pt-refr-unknown-dose"),
        ln_class_iv(),
        med_request("mmf-text", "2023-12-01", drug="mmf", dosage=[{"text": "1 g twice daily"}]),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="refractory",
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
    notes={"present_for": ["MedicationRequest/mmf-text"]},
)

scenario(
    "refractory_myfortic_at_1_44_g_per_day",
    situation="Mycophenolate sodium ordered as text 'Myfortic 360 mg delayed-release tablet', "
    "720 mg twice daily since 2023-12-01; UPCR 3.0 → 2.5 g/g.",
    why="Myfortic → MPAA by brand name; 1440 mg/day ≥ 1.44 g/day (the mycophenolic acid / sodium "
    "threshold, inclusive), 212 d → adequate; NR → refractory.",
    spec="§2 brand names, §4 refractory (MPAA ≥ 1.44 g/day)",
    as_of="2024-06-30",
    resources=[
        patient("pt-refr-myfortic"),
        ln_class_iv(),
        med_request(
            "myfortic",
            "2023-12-01",
            text="Myfortic 360 mg delayed-release tablet",
            dosage=[dose_line(720, frequency=2)],
        ),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="refractory",
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "cancelled_order_does_not_start_the_run",
    situation="A cyclophosphamide order of 2023-11-01 that was cancelled; MMF active since "
    "2023-12-01; UPCR 3.0 → 0.3 g/g.",
    why="Only active/completed/stopped/on-hold requests count, so the run starts with MMF: "
    "T0 = 2023-12-01 (counting the cancelled order would chain it, 30 d apart, and give "
    "2023-11-01) → CR.",
    spec="§2 MedicationRequest status, §3 run",
    as_of="2024-06-30",
    resources=[
        patient("pt-cancelled"),
        ln_class_iv(),
        med_request(
            "cyc-cancelled",
            "2023-11-01",
            drug="cyc",
            status="cancelled",
            dosage=[dose_line(750)],
        ),
        mmf(),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "t0_from_new_ln_diagnosis_after_an_old_run",
    situation="Class III LN first diagnosed 2021-12-20 and treated with MMF 2022-01-10 → "
    "2022-08-01; class IV LN recorded 2023-12-01 (recordedDate only), no new induction yet; "
    "UPCR 3.0 → 0.3 g/g.",
    why="The latest LN Condition date (2023-12-01, from recordedDate) is > 90 d after the run's "
    "end → T0 = 2023-12-01 (index_source condition); both classes are reported → CR.",
    spec="§3 T0 from Condition, §2 Condition dates and classes",
    as_of="2024-06-30",
    resources=[
        patient("pt-new-dx"),
        condition(
            "ln-class-iii",
            [(SNOMED, "76521009", "Lupus nephritis - WHO Class III")],
            onset="2021-12-20",
            clinical="inactive",
        ),
        med_statement("mmf-2022", "mmf", "2022-01-10", "2022-08-01", "completed"),
        condition(
            "ln-class-iv",
            [(SNOMED, "36402006", "Lupus nephritis - WHO Class IV")],
            recorded="2023-12-01",
        ),
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 0.3),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="condition",
        function_assessed=True,
        ln_classes=["III", "IV"],
    ),
)

scenario(
    "resolved_kidney_failure_condition_is_ignored",
    situation="In CR (UPCR 3.0 → 0.3, eGFR stable) with an N18.6 Condition whose clinicalStatus "
    "is 'resolved'.",
    why="Kidney-failure Conditions count only when active, recurrence or relapse (or no status) → "
    "not kidney failure → CR.",
    spec="§2 kidney failure (clinical status)",
    as_of="2024-06-30",
    resources=[
        patient("pt-kf-resolved"),
        *cr_base(p_date="2024-06-20"),
        condition(
            "eskd-resolved",
            [(ICD10CM, "N18.6", "End stage renal disease")],
            onset="2019-02-01",
            clinical="resolved",
        ),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Added by the clinical audit (each one failed before its fix, or pins a unit variant)
# ---------------------------------------------------------------------------------------------

scenario(
    "insufficient_cr_without_p0_then_p_0_8_is_not_lost",
    situation="MMF 2 g/day since 2023-12-01, no proteinuria in [T0 − 90, T0 + 14]; UPCR 0.3 g/g "
    "on 2024-02-15 (a CR, which needs no P0), then 0.8 g/g on 2024-06-20, eGFR stable.",
    why="0.8 is not a CR, and without P0 a PR cannot be decided: the current P is not 'neither "
    "CR nor PR', so the CR is not 'lost' (§4) but the PR is undecidable (§8) → insufficient-data "
    "(as_of ≥ T0 + 183, so not active). No flare: from ref 0.3 (< 0.5) a flare needs ≥ 1.0.",
    spec="§4 PR without P0 and lost response, §6 proteinuric, §8",
    as_of="2024-06-30",
    resources=[
        patient("pt-cr-nop0"),
        ln_class_iv(),
        mmf(),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cr", "2024-02-15", 0.3),
        egfr("egfr-cr", "2024-02-15", 94),
        upcr("upcr-cur", "2024-06-20", 0.8),
        egfr("egfr-cur", "2024-06-20", 93),
    ],
    expected=expect(
        status="insufficient-data",  # §8 undecidable PR
        response="undetermined",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=False,
        ln_classes=["IV"],
        response_lost=False,
        reason="partial response cannot be judged without a baseline proteinuria (P0)",
    ),
)

scenario(
    "nr_do_not_perform_rituximab_is_not_treatment",
    situation="MMF 500 mg twice daily (1 g/day, not adequate) since 2023-12-01, and an active "
    "rituximab MedicationRequest of the same day with doNotPerform true; UPCR 3.0 → 2.5 g/g.",
    why="A doNotPerform request forbids the drug: it is no course (noted). NR (as_of ≥ T0 + 183, "
    "P at T0 + 202, 2.5 > 1.5); the only treatment is MMF at 1 g/day → not adequate → "
    "no-response, not refractory (counting the prohibition as a biologic would have made it "
    "refractory: 212 d from its start to the end of the run).",
    spec="§2 medications, §4 refractory (biologic)",
    as_of="2024-06-30",
    resources=[
        patient("pt-nr-dnp"),
        ln_class_iv(),
        mmf(mg_bid=500),
        {
            **med_request("rtx-dnp", "2023-12-01", drug="rituximab"),
            "doNotPerform": True,
        },
        upcr("upcr-p0", "2023-11-28", 3.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="no-response",  # §4 NR, no adequate course
        response="none",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
    notes={"present_for": ["MedicationRequest/rtx-dnp"], "absent_for": ["MedicationRequest/mmf"]},
)

scenario(
    "refractory_not_timed_from_topical_tacrolimus",
    situation="Tacrolimus 0.1 % topical ointment (for cutaneous lupus) active since 2022-06-01; "
    "class IV LN treated with MMF 2 g/day since 2023-12-01. UPCR 6.0 (2022-05-20), 4.0 "
    "(2023-11-28), 2.5 g/g (2024-06-20), eGFR stable.",
    why="An ointment is not induction therapy (noted and ignored), so the run is the MMF course "
    "and T0 = 2023-12-01 with P0 = 4.0: 2.5 > 2.0 is neither CR nor PR at T0 + 202 → NR; MMF "
    "≥ 2 g/day for 212 d → refractory. Read as a CNI, the ointment would start the run in 2022 "
    "(P0 6.0) and 2.5 ≤ 3.0 would be claimed a partial response.",
    spec="§2 medications (spec silent on local forms), §3 T0, §4 NR and refractory",
    as_of="2024-06-30",
    resources=[
        patient("pt-topical-tac"),
        ln_class_iv(),
        med_request("tac-ointment", "2022-06-01", text="tacrolimus 0.1 % Topical Ointment"),
        mmf(),
        upcr("upcr-2022", "2022-05-20", 6.0),
        upcr("upcr-p0", "2023-11-28", 4.0),
        egfr("egfr-0", "2023-11-28", 95),
        upcr("upcr-cur", "2024-06-20", 2.5),
        egfr("egfr-cur", "2024-06-20", 92),
    ],
    expected=expect(
        status="refractory",  # §4 NR + MPAA ≥ 2 g/day ≥ 183 d
        response="none",
        refractory=True,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
    notes={"present_for": ["MedicationRequest/tac-ointment"]},
)

scenario(
    "refractory_rituxan_by_brand_after_a_flare_resets_t0",
    situation="MMF 2 g/day since 2023-06-01 (class IV LN diagnosed 2023-05-25); UPCR 6.0 "
    "(2023-05-28) → 2.5 (2023-08-01, PR) → 5.5 (2024-01-10); rituximab ordered as text only "
    "'Rituxan 1000 mg IV infusion' on 2024-01-20 (completed); UPCR 2.9 on 2024-08-10; eGFR "
    "stable.",
    why="Rituxan is rituximab by brand. 5.5 ≥ 2 × 2.5 is a proteinuric flare on 2024-01-10, in "
    "(T0, rituximab start] → T0 = 2024-01-20, P0 = 5.5 (§3). 2.9 > 2.75 is neither CR nor PR at "
    "T0 + 203 (≥ 150, as_of ≥ T0 + 183) → NR; MMF ≥ 2 g/day over [T0, as_of] = 213 d → "
    "refractory. No flare since the new T0 (no response after it). Missing the brand would "
    "keep T0 in 2023 (P0 6.0), and 2.9 ≤ 3.0 and < 3.0 would be called a partial response.",
    spec="§2 brand names, §3 reset after a flare, §4 NR and refractory",
    as_of="2024-08-20",
    resources=[
        patient("pt-rituxan"),
        ln_class_iv(onset="2023-05-25"),
        mmf(authored="2023-06-01"),
        upcr("upcr-p0", "2023-05-28", 6.0),
        egfr("egfr-0", "2023-05-28", 95),
        upcr("upcr-pr", "2023-08-01", 2.5),
        egfr("egfr-pr", "2023-08-01", 94),
        upcr("upcr-flare", "2024-01-10", 5.5),
        egfr("egfr-flare", "2024-01-10", 93),
        med_request(
            "rituxan", "2024-01-20", text="Rituxan 1000 mg IV infusion", status="completed"
        ),
        upcr("upcr-cur", "2024-08-10", 2.9),
        egfr("egfr-cur", "2024-08-10", 92),
    ],
    expected=expect(
        status="refractory",  # §4 NR after the reset + MPAA ≥ 183 d
        response="none",
        refractory=True,
        flare=None,
        index_date="2024-01-20",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
    ),
)

scenario(
    "sledai_unitless_sediment_and_si_units",
    situation="In CR (0.3 g/g on 2024-06-20); on 2024-06-25 urine RBC 8 as a bare integer, urine "
    "WBC 6 and RBC casts 1 as quantities without a unit, UACR 30 mg/mmol{creat}, platelets 90 "
    "10*9/L, leukocytes 3500 /uL, C3 70 mg/dL (reference low 90 mg/dL), C4 15 mg/dL (low 10 "
    "mg/dL), albumin 32 g/L.",
    why="Counts without a unit are accepted for the sediment codes: hematuria 8 > 5 → 4, pyuria "
    "6 > 5 → 4, a cast count 1 > 0 → 4; C3 0.7 g/L < 0.9 → low complement 2 (C4 0.15 ≥ 0.10 is "
    "not low); platelets 90 < 100 → 1; leukocytes 3500 /uL ÷ 1000 = 3.5 ≥ 3 → 0; P 0.3 → 0. "
    "SLEDAI-2K lab 15, renal 12. UACR (× 8.84 = 265.2 mg/g) is shown, never used: the status "
    "stays CR. No flare: one cast result after R (nothing before it), RBC 8 ≤ 15, no creatinine.",
    spec="§2 units (UACR mg/mmol × 8.84, /uL ÷ 1000, unitless sediment counts), §9",
    as_of="2024-06-30",
    resources=[
        patient("pt-sledai-si"),
        *cr_base(p_date="2024-06-20"),
        obs("rbc-int", "13945-1", "2024-06-25", extra={"valueInteger": 8}),
        obs("wbc-bare", "5821-4", "2024-06-25", 6),
        obs("cast-bare", "5807-3", "2024-06-25", 1),
        obs("uacr", "32294-1", "2024-06-25", 30, "mg/mmol{creat}", "mg/mmol{creat}"),
        obs("plt", "26515-7", "2024-06-25", 90, "10*9/L", "10*9/L"),
        obs("leu", "26464-8", "2024-06-25", 3500, "/uL", "/uL"),
        obs(
            "c3",
            "4485-9",
            "2024-06-25",
            70,
            "mg/dL",
            "mg/dL",
            extra={"referenceRange": [{"low": {"value": 90, "unit": "mg/dL"}}]},
        ),
        obs(
            "c4",
            "4498-2",
            "2024-06-25",
            15,
            "mg/dL",
            "mg/dL",
            extra={"referenceRange": [{"low": {"value": 10, "unit": "mg/dL"}}]},
        ),
        obs("alb", "1751-7", "2024-06-25", 32, "g/L", "g/L"),
    ],
    expected=expect(
        status="complete-response",
        response="complete",
        refractory=False,
        flare=None,
        index_date="2023-12-01",
        index_source="medication",
        function_assessed=True,
        ln_classes=["IV"],
        # §9: casts 4 + hematuria 4 + pyuria 4 + low complement 2 + thrombocytopenia 1
        sledai2k_lab={"score": 15, "renal_score": 12},
    ),
    notes={
        "absent_for": [
            "Observation/rbc-int",
            "Observation/wbc-bare",
            "Observation/cast-bare",
            "Observation/uacr",
            "Observation/plt",
            "Observation/leu",
            "Observation/c3",
            "Observation/c4",
            "Observation/alb",
        ]
    },
)


def bundle(s: dict[str, Any]) -> dict[str, Any]:
    pid = next(r["id"] for r in s["resources"] if r["resourceType"] == "Patient")
    entries = []
    for template in s["resources"]:
        res = json.loads(json.dumps(template).replace("Patient/PID", f"Patient/{pid}"))
        entry: dict[str, Any] = {
            "fullUrl": f"http://ehr.example.org/fhir/{res['resourceType']}/{res['id']}",
            "resource": res,
        }
        if s["bundle_type"] == "searchset":
            entry["search"] = {"mode": "match" if res["resourceType"] == "Patient" else "include"}
        if s["bundle_type"] == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": f"scenario-{s['name'].replace('_', '-')}",
        "type": s["bundle_type"],
    }
    if s["bundle_type"] == "searchset":
        out["total"] = 1
    out["entry"] = entries
    return out


def expected_json(s: dict[str, Any]) -> dict[str, Any]:
    out = {"as_of": s["as_of"], "profile": s["profile"], **s["expected"]}
    if s["notes"]:
        out["_notes"] = s["notes"]
    return out


def readme(s: dict[str, Any]) -> str:
    return (
        f"# {s['name']}\n\n"
        f"**Situation.** {s['situation']}\n\n"
        f"**Expected `{s['expected']['status']}`** (as_of {s['as_of']}, profile {s['profile']}). "
        f"{s['why']} (clinical.md {s['spec']})\n"
    )


def index_table() -> str:
    lines = [
        "# Clinical scenarios",
        "",
        "Each folder holds `bundle.json` (a FHIR R4 Bundle), `expected.json` (the fields of "
        "`ln-cds assess --format json` that must match, plus the `as_of` and `profile` of the run) "
        "and a `README.md` with the reasoning. The expected results were derived by hand from "
        "`clinical.md`; they are the oracle, not a snapshot of what the code does. "
        "`tests/scenarios/test_scenarios.py` runs every folder through the real CLI.",
        "",
        "Regenerate with `python tests/data/_make_scenarios.py` (bundles are built from literals "
        "in that script; the expected results are literals there too). `_bad_input/` holds files "
        "the CLI must reject with exit code 2.",
        "",
        "In `expected.json`, dicts are matched as subsets (only the keys written must match), "
        "lists exactly, floats within 1e-6. `_notes.present_for` / `_notes.absent_for` list "
        "resources that must (or must not) be the source of a note.",
        "",
        "Decisions taken where clinical.md is silent (the suite pins them):",
        "",
        "- `response` is `undetermined` and `function_assessed` false whenever no response is "
        "judged (not-applicable, possible-ln, kidney-failure, no T0, no/stale P, gu-2014 entry "
        "not met, PR undecidable without P0).",
        "- `response` is `not-yet-due` while NR is not yet due (as_of < T0 + 183 d) and the "
        "current P is decidably neither CR nor PR — including a gu-2014 refractory judged "
        "before 6 months.",
        "- Several flares: a confirmed flare is reported before an unconfirmed one of a "
        "higher-ranked type (`flare_confirmed_proteinuric_before_unconfirmed_nephritic`).",
        "- A lost response after a flare-less fall keeps `response: lost`; a flare keeps the "
        "response at the current P (it can still be `partial` or `complete`).",
        "- A CR reached without a P0, followed by a P that could still be a PR (0.5 ≤ P < 3.0), is "
        "not lost: the PR is undecidable, so `response` is `undetermined` "
        "(`insufficient_cr_without_p0_then_p_0_8_is_not_lost`).",
        "- A MedicationRequest with `doNotPerform` is a prohibition, never a course "
        "(`nr_do_not_perform_rituximab_is_not_treatment`).",
        "- Local forms (topical, ophthalmic, otic, nasal, rectal, transdermal) are not treatment "
        "(`refractory_not_timed_from_topical_tacrolimus`).",
        "- The display unit of a 24-h urine protein value is not pinned (g/g or g/(24.h)); its "
        "number is.",
        "",
        "| scenario | situation | expected status | spec |",
        "|---|---|---|---|",
    ]
    for s in SCENARIOS:
        situation = s["situation"].replace("|", "/")
        lines.append(
            f"| [{s['name']}]({s['name']}/README.md) | {situation} | "
            f"`{s['expected']['status']}` | {s['spec']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    names = [s["name"] for s in SCENARIOS]
    if len(names) != len(set(names)):
        raise SystemExit("duplicate scenario names")
    # Remove only folders this script wrote (they hold an expected.json), never anything else.
    for child in DATA_DIR.iterdir():
        if not child.name.startswith(("_", ".")) and (child / "expected.json").is_file():
            shutil.rmtree(child)
    for s in SCENARIOS:
        folder = DATA_DIR / s["name"]
        folder.mkdir()
        (folder / "bundle.json").write_text(
            json.dumps(bundle(s), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (folder / "expected.json").write_text(
            json.dumps(expected_json(s), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (folder / "README.md").write_text(readme(s), encoding="utf-8")
    (DATA_DIR / "README.md").write_text(index_table(), encoding="utf-8")


if __name__ == "__main__":
    main()
