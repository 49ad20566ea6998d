"""Generate the synthetic lupus nephritis demo cohort in `cds/demo/cohort/`.

Why a generator: the 18 bundles hold about 1,500 resources whose dates all hang off one
anchor (`DEMO_AS_OF`). Writing them by hand would make the stories drift apart from their
dates; here each story is a short table of visits written as day offsets from the anchor
(or from the patient's index date T0), and the FHIR is produced from it the same way every
time. The output is committed; `tests/demo/test_cohort_files.py` checks that re-running
this script reproduces it byte for byte.

The expected status of each patient was worked out by hand from `clinical.md` (profile
`kdigo-2024`, `as_of` = the anchor) and is written below next to the data it rests on; the
reasoning is in `cds/demo/cohort/README.md`. `_design_checks` only guards the margins the
stories rely on (values kept well away from thresholds); it does not decide any status.

Usage:  python scripts/make_cohort.py           # (re)write the cohort files
        python scripts/make_cohort.py --check   # exit 1 if the committed files differ
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cds.demo.constants import (  # noqa: E402  (path set up just above)
    DEMO_AS_OF,
    DEMO_FULL_URL_BASE,
    DEMO_PROFILE,
)

OUT_DIR = REPO / "cds" / "demo" / "cohort"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
COND_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
COND_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
ROUTE = SNOMED
MRN_SYSTEM = "https://ln-cds.example.org/demo-mrn"
# HL7 v3 ActReason HTEST "test health data": marks every demo resource as synthetic, so
# that a shared FHIR server can tell (and purge) them.
TEST_DATA_TAG = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
    "code": "HTEST",
    "display": "test health data",
}


# --------------------------------------------------------------------------------------
# Units and regions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProteinUnit:
    """How one patient's lab reports proteinuria; stories give P in g/g and this converts."""

    loinc: str
    display: str
    unit: str  # printed
    ucum: str
    factor: float  # reported value = P (g/g) × factor
    decimals: int
    timed: bool  # 24-h collection: effectivePeriod ending on the visit day


PROTEIN_UNITS: dict[str, ProteinUnit] = {
    "spot g/g": ProteinUnit(
        "2890-2", "Protein/Creatinine [Mass Ratio] in Urine", "g/g", "g/g", 1, 2, False
    ),
    "spot mg/g": ProteinUnit(
        "2890-2", "Protein/Creatinine [Mass Ratio] in Urine", "mg/g", "mg/g", 1000, 0, False
    ),
    "spot mg/g{creat}": ProteinUnit(
        "2890-2",
        "Protein/Creatinine [Mass Ratio] in Urine",
        "mg/g creat",
        "mg/g{creat}",
        1000,
        0,
        False,
    ),
    "spot mg/mmol": ProteinUnit(
        "34366-5", "Protein/Creatinine [Ratio] in Urine", "mg/mmol", "mg/mmol", 100, 0, False
    ),
    "spot mg/mmol{creat}": ProteinUnit(
        "34366-5",
        "Protein/Creatinine [Ratio] in Urine",
        "mg/mmol creat",
        "mg/mmol{creat}",
        100,
        0,
        False,
    ),
    "24h g/g": ProteinUnit(
        "13801-6",
        "Protein/Creatinine [Mass Ratio] in 24 hour Urine",
        "g/g",
        "g/g",
        1,
        2,
        True,
    ),
    "24h mg/24h": ProteinUnit(
        "2889-4", "Protein [Mass/time] in 24 hour Urine", "mg/24 h", "mg/(24.h)", 1000, 0, True
    ),
}


@dataclass(frozen=True)
class Region:
    """Reporting conventions of the patient's laboratory (US-style or SI units)."""

    tz: str
    creatinine: tuple[str, str, str, str]  # loinc, display, unit, ucum
    complement_unit: tuple[str, str]  # unit, ucum
    complement_factor: float  # mg/dL → reported
    albumin: tuple[str, str, float]  # unit, ucum, factor from g/L
    platelets: tuple[str, str]  # loinc, display
    leukocytes: tuple[str, str]
    count_unit: tuple[str, str]  # unit, ucum for blood counts
    urine_rbc: tuple[str, str]


US = Region(
    tz="-05:00",
    creatinine=("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL"),
    complement_unit=("mg/dL", "mg/dL"),
    complement_factor=1.0,
    albumin=("g/dL", "g/dL", 0.1),
    platelets=("777-3", "Platelets [#/volume] in Blood by Automated count"),
    leukocytes=("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
    count_unit=("10*3/uL", "10*3/uL"),
    urine_rbc=("13945-1", "Erythrocytes [#/area] in Urine sediment by Microscopy high power field"),
)
EU = Region(
    tz="+01:00",
    creatinine=("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "µmol/L", "umol/L"),
    complement_unit=("g/L", "g/L"),
    complement_factor=0.01,
    albumin=("g/L", "g/L", 1.0),
    platelets=("26515-7", "Platelets [#/volume] in Blood"),
    leukocytes=("26464-8", "Leukocytes [#/volume] in Blood"),
    count_unit=("10*9/L", "10*9/L"),
    urine_rbc=("5808-1", "Erythrocytes [#/area] in Urine sediment by Microscopy high power field"),
)
UK = Region(
    tz="Z",
    creatinine=EU.creatinine,
    complement_unit=EU.complement_unit,
    complement_factor=EU.complement_factor,
    albumin=EU.albumin,
    platelets=EU.platelets,
    leukocytes=EU.leukocytes,
    count_unit=EU.count_unit,
    urine_rbc=EU.urine_rbc,
)

# Serology and blood counts by disease activity: A active, M improving, Q quiet.
# C3 / C4 in mg/dL (reference 90-180 / 10-40), anti-dsDNA IU/mL (reference < 30),
# albumin g/L, platelets and leukocytes 10^9/L.
SEROLOGY: dict[str, dict[str, float]] = {
    "A": {"c3": 52, "c4": 6, "dsdna": 210, "albumin": 24, "platelets": 132, "leukocytes": 3.4},
    "M": {"c3": 76, "c4": 14, "dsdna": 85, "albumin": 32, "platelets": 188, "leukocytes": 4.8},
    "Q": {"c3": 106, "c4": 22, "dsdna": 16, "albumin": 40, "platelets": 246, "leukocytes": 6.1},
}
C3_RANGE = (90.0, 180.0)
C4_RANGE = (10.0, 40.0)
DSDNA_HIGH = 30.0


# --------------------------------------------------------------------------------------
# Story specification
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One clinic visit's laboratory results, `day` relative to DEMO_AS_OF (negative)."""

    day: int
    p: float | None = None  # proteinuria, g/g (converted to the patient's unit)
    scr: float | None = None  # creatinine in the region's unit (mg/dL or µmol/L)
    rbc: int | None = None  # urine RBC per HPF
    wbc: int | None = None  # urine WBC per HPF
    casts: int | None = None  # RBC casts per LPF (0 = none seen)
    sero: str | None = None  # serology / blood count panel A, M or Q
    egfr: float | None = None  # an eGFR the lab reported (CKD-EPI 2021)


@dataclass(frozen=True)
class Cond:
    kind: str  # key of CONDITION_CODES
    onset: int | None  # day offset; None = undated (no onset, no recordedDate)
    text: str
    verification: str = "confirmed"
    clinical: str = "active"


@dataclass(frozen=True)
class Med:
    """A medication record. `kind` is request / statement / administration."""

    kind: str
    drug: str  # key of DRUGS
    start: int  # day offset
    dose_mg: float
    per_day: int | None = None  # frequency per day (timing.repeat), or None
    timing_code: str | None = None  # QD / BID ... instead of frequency
    end: int | None = None  # validityPeriod.end / effectivePeriod.end
    status: str = "active"
    count: int | None = None  # timing.repeat.count (cyclophosphamide pulses)
    monthly: bool = False  # timing.repeat period 1 month instead of 1 day
    period_days: int = 1  # timing.repeat period in days when not monthly
    name_only: str | None = None  # medicationCodeableConcept.text only, no coding
    contained: bool = False  # medicationReference to a contained Medication
    route: str = "oral"


@dataclass(frozen=True)
class Expected:
    """Hand-derived result for profile kdigo-2024 at DEMO_AS_OF (see the README)."""

    status: str
    response: str | None = None
    refractory: bool = False
    index_day: int | None = None  # T0 as a day offset
    index_source: str | None = None
    flare_type: str | None = None
    flare_severity: str | None = None
    flare_confirmed: bool | None = None
    flare_day: int | None = None
    flare_also_met: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    num: int
    given: str
    tag: str  # second given name, says what the patient demonstrates
    gender: str
    age: int
    region: Region
    protein: str  # key of PROTEIN_UNITS
    story: str
    expected: Expected
    conditions: list[Cond]
    visits: list[Visit]
    meds: list[Med] = field(default_factory=list)
    p0_day: int | None = None  # the visit that is P0 (for the design checks)

    @property
    def pid(self) -> str:
        return f"ln-demo-{self.num:02d}"

    @property
    def name(self) -> str:
        return f"{self.given} {self.tag} Testpatient"


CONDITION_CODES: dict[str, list[tuple[str, str, str]]] = {
    "sle": [
        (SNOMED, "55464009", "Systemic lupus erythematosus"),
        (ICD10CM, "M32.9", "Systemic lupus erythematosus, unspecified"),
    ],
    "sle-snomed": [(SNOMED, "55464009", "Systemic lupus erythematosus")],
    "sle-icd": [(ICD10CM, "M32.9", "Systemic lupus erythematosus, unspecified")],
    "sle-organ": [
        (SNOMED, "239887007", "Systemic lupus erythematosus with organ/system involvement"),
        (ICD10CM, "M32.19", "Other organ or system involvement in systemic lupus erythematosus"),
    ],
    "ln": [
        (SNOMED, "68815009", "SLE glomerulonephritis syndrome"),
        (ICD10CM, "M32.14", "Glomerular disease in systemic lupus erythematosus"),
    ],
    "ln-icd": [(ICD10CM, "M32.14", "Glomerular disease in systemic lupus erythematosus")],
    "ln-III": [
        (SNOMED, "76521009", "SLE glomerulonephritis syndrome, WHO class III"),
        (ICD10CM, "M32.14", "Glomerular disease in systemic lupus erythematosus"),
    ],
    "ln-IV": [
        (SNOMED, "36402006", "SLE glomerulonephritis syndrome, WHO class IV"),
        (ICD10CM, "M32.14", "Glomerular disease in systemic lupus erythematosus"),
    ],
    "ln-V": [
        (SNOMED, "52042003", "SLE glomerulonephritis syndrome, WHO class V"),
        (ICD10CM, "M32.14", "Glomerular disease in systemic lupus erythematosus"),
    ],
    "eskd": [
        (ICD10CM, "N18.6", "End stage renal disease"),
        (SNOMED, "46177005", "End-stage renal disease"),
    ],
    "dialysis": [
        (ICD10CM, "Z99.2", "Dependence on renal dialysis"),
        (SNOMED, "105502003", "Dependence on renal dialysis"),
    ],
    "dkd": [
        (ICD10CM, "E11.21", "Type 2 diabetes mellitus with diabetic nephropathy"),
        (SNOMED, "127013003", "Disorder of kidney due to diabetes mellitus"),
    ],
    "drug-lupus": [
        (ICD10CM, "M32.0", "Drug-induced systemic lupus erythematosus"),
        (SNOMED, "201436003", "Drug-induced systemic lupus erythematosus"),
    ],
}

# drug key → (RxNorm ingredient code, display)
DRUGS: dict[str, tuple[str, str]] = {
    "mmf": ("68149", "mycophenolate mofetil"),
    "cyc": ("3002", "cyclophosphamide"),
    "tac": ("42316", "tacrolimus"),
    "rtx": ("121191", "rituximab"),
    "pred": ("8640", "prednisone"),
    "mpred": ("6902", "methylprednisolone"),
    "hcq": ("5521", "hydroxychloroquine"),
    "aza": ("1256", "azathioprine"),
    "hydralazine": ("5470", "hydralazine"),
    "metformin": ("6809", "metformin"),
}

# --------------------------------------------------------------------------------------
# The cohort. Day offsets are relative to DEMO_AS_OF; `t0` names each story's index date.
# --------------------------------------------------------------------------------------


def _cohort() -> list[Spec]:
    specs: list[Spec] = []

    # 01 — refractory: MMF 3 g/day for 320 days (contained Medication), P never halves.
    t0 = -320
    specs.append(
        Spec(
            1,
            "Ava",
            "Demo-Refractory",
            "female",
            29,
            US,
            "24h mg/24h",
            "Class IV LN; mycophenolate mofetil 1.5 g twice daily (3 g/day, ordered through a "
            "contained Medication) since T0, 320 days ago. 24-h protein 4.0 g at baseline, "
            "still 2.6 g (never ≤ 50 % of baseline) at day 306: no response after an adequate "
            "mycophenolate course.",
            Expected(
                "refractory",
                response="none",
                refractory=True,
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -1900, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 9, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 60, 1.2, 0.78, 12, 4, 1, "M"),
                Visit(t0 - 7, 4.0, 0.82, 28, 9, 3, "A"),
                Visit(t0 + 30, 3.8, 0.80, 20, 6, 2, "A"),
                Visit(t0 + 90, 3.3, 0.79, 14, 4, 1, "M"),
                Visit(t0 + 180, 2.9, 0.81, 9, 3, 0, "M"),
                Visit(t0 + 260, 2.7, 0.80, 8, 3, 0, "M"),
                Visit(t0 + 306, 2.6, 0.83, 7, 2, 0, "M"),
            ],
            [
                Med("request", "mmf", t0, 1500, per_day=2, contained=True),
                Med("request", "pred", t0, 10, timing_code="QD"),
                Med("statement", "hcq", -1850, 200, per_day=2),
            ],
            p0_day=t0 - 7,
        )
    )

    # 02 — refractory: six monthly IV cyclophosphamide pulses (timing.repeat.count 6).
    t0 = -330
    specs.append(
        Spec(
            2,
            "Bea",
            "Demo-Cyclophosphamide",
            "female",
            34,
            US,
            "spot mg/g{creat}",
            "Class III+V LN; NIH-protocol IV cyclophosphamide, one order for six monthly "
            "pulses (timing.repeat.count = 6) from T0, 330 days ago, then azathioprine "
            "maintenance. UPCR 5,200 mg/g at baseline, 3,300 mg/g at day 316 (never ≤ 50 %): "
            "no response after an adequate cyclophosphamide course.",
            Expected(
                "refractory",
                response="none",
                refractory=True,
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle-snomed", -2400, "Systemic lupus erythematosus"),
                Cond("ln-III", t0 - 12, "Lupus nephritis, ISN/RPS class III (A), biopsy-proven"),
                Cond("ln-V", t0 - 12, "Lupus nephritis, ISN/RPS class V, biopsy-proven"),
            ],
            [
                Visit(t0 - 12, 5.2, 0.96, 22, 8, 2, "A"),
                Visit(t0 + 35, 4.8, 0.93, 18, 6, 1, "A"),
                Visit(t0 + 95, 4.1, 0.95, 11, 5, 0, "M"),
                Visit(t0 + 185, 3.6, 0.94, 8, 4, 0, "M"),
                Visit(t0 + 250, 3.4, 0.97, 6, 3, 0, "M"),
                Visit(t0 + 316, 3.3, 0.95, 6, 3, 0, "M"),
            ],
            [
                Med(
                    "request",
                    "cyc",
                    t0,
                    900,
                    per_day=1,
                    monthly=True,
                    count=6,
                    end=t0 + 150,
                    status="completed",
                    route="iv",
                ),
                Med("request", "aza", t0 + 165, 100, timing_code="QD"),
                Med("request", "pred", t0, 20, timing_code="QD"),
                Med("statement", "hcq", -2300, 200, per_day=2),
            ],
            p0_day=t0 - 12,
        )
    )

    # 03 — refractory through the calcineurin inhibitor (MMF only 1 g/day, name-only).
    t0 = -260
    specs.append(
        Spec(
            3,
            "Cleo",
            "Demo-Multitarget",
            "female",
            41,
            EU,
            "24h g/g",
            "Class IV LN; multitarget therapy from T0, 260 days ago: CellCept 500 mg twice "
            "daily (name-only order, 1 g/day, below the adequate mycophenolate dose) plus "
            "tacrolimus 2 mg twice daily. 24-h UPCR 3.8 g/g at baseline, 2.5 g/g at day 248 "
            "(never ≤ 50 %): refractory through the tacrolimus course (≥ 183 days).",
            Expected(
                "refractory",
                response="none",
                refractory=True,
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -3100, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 8, "Lupus nephritis, ISN/RPS class IV-S (A/C), biopsy-proven"),
            ],
            [
                Visit(t0 - 6, 3.8, 84, 18, 7, 2, "A"),
                Visit(t0 + 30, 3.5, 82, 15, 5, 1, "A"),
                Visit(t0 + 90, 3.0, 86, 10, 4, 0, "M"),
                Visit(t0 + 160, 2.6, 85, 7, 3, 0, "M"),
                Visit(t0 + 248, 2.5, 83, 6, 3, 0, "M"),
            ],
            [
                Med("request", "mmf", t0, 500, per_day=2, name_only="CellCept 500 mg tablet"),
                Med("request", "tac", t0, 2, per_day=2),
                Med("request", "pred", t0, 15, timing_code="QD"),
            ],
            p0_day=t0 - 6,
        )
    )

    # 04 — no response, no induction documented; T0 from the LN Condition.
    t0 = -300
    specs.append(
        Spec(
            4,
            "Dana",
            "Demo-Nonresponder",
            "female",
            26,
            US,
            "spot g/g",
            "Class IV LN diagnosed 300 days ago (the Condition's onset is T0); induction was "
            "given elsewhere and no mycophenolate, cyclophosphamide, calcineurin inhibitor or "
            "biologic is recorded here (azathioprine and prednisone only). UPCR 3.0 g/g at "
            "baseline, 2.3 g/g at day 290: no response, refractoriness not assessable.",
            Expected(
                "no-response",
                response="none",
                refractory=False,
                index_day=t0,
                index_source="condition",
            ),
            [
                Cond("sle", -1200, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0, "Lupus nephritis, ISN/RPS class IV, biopsy at outside hospital"),
            ],
            [
                Visit(t0 - 3, 3.0, 0.74, 20, 6, 2, "A"),
                Visit(t0 + 40, 2.8, 0.72, 16, 5, 1, "A"),
                Visit(t0 + 120, 2.5, 0.75, 9, 4, 0, "M"),
                Visit(t0 + 200, 2.4, 0.73, 8, 3, 0, "M"),
                Visit(t0 + 290, 2.3, 0.74, 7, 3, 0, "M"),
            ],
            [
                Med("request", "aza", t0 + 10, 100, timing_code="QD"),
                Med("request", "pred", t0, 30, timing_code="QD"),
                Med("statement", "hcq", -1150, 200, per_day=2),
            ],
            p0_day=t0 - 3,
        )
    )

    # 05 — lost response without a flare.
    t0 = -420
    specs.append(
        Spec(
            5,
            "Eli",
            "Demo-Lostresponse",
            "male",
            38,
            EU,
            "spot mg/mmol",
            "Class III LN; mycophenolate 3 g/day then 2 g/day from T0, 420 days ago. UPCR "
            "240 mg/mmol at baseline, partial response at day 120 (90 mg/mmol) and day 210, "
            "now 150 mg/mmol: the partial response is lost, but the rise from the 80 mg/mmol "
            "nadir does not reach the KDIGO relapse threshold (200 mg/mmol).",
            Expected(
                "no-response",
                response="lost",
                refractory=False,
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -2000, "Systemic lupus erythematosus"),
                Cond("ln-III", t0 - 10, "Lupus nephritis, ISN/RPS class III (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 7, 2.4, 96, 14, 6, 1, "A"),
                Visit(t0 + 60, 1.6, 93, 9, 4, 0, "M"),
                Visit(t0 + 120, 0.9, 94, 4, 2, 0, "Q"),
                Visit(t0 + 210, 0.8, 92, 3, 2, 0, "Q"),
                Visit(t0 + 300, 0.85, 95, 3, 2, 0, "Q"),
                Visit(t0 + 406, 1.5, 94, 4, 3, 0, "M"),
            ],
            [
                Med("request", "mmf", t0, 1500, per_day=2, end=t0 + 180, status="completed"),
                Med("request", "mmf", t0 + 180, 1000, per_day=2),
                Med("request", "pred", t0, 10, timing_code="QD"),
            ],
            p0_day=t0 - 7,
        )
    )

    # 06 — complete response.
    t0 = -400
    specs.append(
        Spec(
            6,
            "Fay",
            "Demo-Complete",
            "female",
            31,
            US,
            "spot g/g",
            "Class IV LN; mycophenolate 3 g/day from T0, 400 days ago, 2 g/day from day 180. "
            "UPCR 3.0 g/g at baseline, partial response at day 90 (1.2), complete response "
            "from day 180 (0.4), 0.2 g/g at day 380 with stable creatinine.",
            Expected(
                "complete-response",
                response="complete",
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -900, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 8, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 6, 3.0, 0.86, 25, 8, 2, "A"),
                Visit(t0 + 30, 2.1, 0.84, 12, 5, 1, "A"),
                Visit(t0 + 90, 1.2, 0.82, 6, 3, 0, "M"),
                Visit(t0 + 180, 0.4, 0.80, 2, 1, 0, "Q"),
                Visit(t0 + 270, 0.3, 0.81, 1, 1, 0, "Q"),
                Visit(t0 + 380, 0.2, 0.80, 1, 1, 0, "Q"),
            ],
            [
                Med("request", "mmf", t0, 1500, per_day=2, end=t0 + 180, status="completed"),
                Med("request", "mmf", t0 + 180, 1000, per_day=2),
                Med("request", "pred", t0, 20, timing_code="QD", end=t0 + 150, status="completed"),
                Med("request", "pred", t0 + 150, 5, timing_code="QD"),
            ],
            p0_day=t0 - 6,
        )
    )

    # 07 — partial response; Euro-Lupus cyclophosphamide as six administrations.
    t0 = -300
    specs.append(
        Spec(
            7,
            "Gia",
            "Demo-Partial",
            "female",
            45,
            US,
            "24h mg/24h",
            "Class IV+V LN; Euro-Lupus cyclophosphamide, six 500 mg IV administrations every "
            "two weeks from T0, 300 days ago, then mycophenolate 2 g/day from day 84. 24-h "
            "protein 4,500 mg at baseline, 1,400 mg at day 285: partial response (≤ 50 % of "
            "baseline, below 3 g, not below 0.5 g).",
            Expected(
                "partial-response",
                response="partial",
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -4000, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 9, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
                Cond("ln-V", t0 - 9, "Lupus nephritis, ISN/RPS class V, biopsy-proven"),
            ],
            [
                Visit(t0 - 4, 4.5, 1.02, 16, 6, 1, "A"),
                Visit(t0 + 30, 3.6, 0.98, 12, 5, 1, "A"),
                Visit(t0 + 90, 2.7, 0.97, 8, 4, 0, "M"),
                Visit(t0 + 150, 1.8, 0.99, 5, 3, 0, "M"),
                Visit(t0 + 240, 1.5, 0.98, 3, 2, 0, "Q"),
                Visit(t0 + 285, 1.4, 1.00, 3, 2, 0, "Q"),
            ],
            [
                *[
                    Med("administration", "cyc", t0 + 14 * i, 500, status="completed", route="iv")
                    for i in range(6)
                ],
                *[
                    Med("administration", "mpred", t0 + i, 500, status="completed", route="iv")
                    for i in range(3)
                ],
                Med("request", "mmf", t0 + 84, 1000, per_day=2),
                Med("request", "pred", t0 + 3, 10, timing_code="QD"),
            ],
            p0_day=t0 - 4,
        )
    )

    # 08 — active: treatment started 75 days ago, not yet responding.
    t0 = -75
    specs.append(
        Spec(
            8,
            "Hana",
            "Demo-Active",
            "female",
            22,
            UK,
            "spot mg/mmol",
            "New class IV LN; methylprednisolone pulses then mycophenolate 3 g/day from T0, "
            "75 days ago. UPCR 360 mg/mmol at baseline, 260 mg/mmol at day 70: active "
            "nephritis, too early (< 6 months) to call non-response.",
            Expected(
                "active",
                response="not-yet-due",
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -700, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 6, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 200, 0.2, 66, 2, 1, None, "M"),
                Visit(t0 - 4, 3.6, 74, 30, 10, 3, "A"),
                Visit(t0 + 28, 3.1, 72, 22, 8, 2, "A"),
                Visit(t0 + 70, 2.6, 70, 15, 6, 1, "M"),
            ],
            [
                *[
                    Med("administration", "mpred", t0 + i, 500, status="completed", route="iv")
                    for i in range(3)
                ],
                Med("request", "mmf", t0, 1500, per_day=2),
                Med("request", "pred", t0 + 3, 40, timing_code="QD"),
            ],
            p0_day=t0 - 4,
        )
    )

    # 09 — flare, proteinuric, confirmed (two values 14 days apart).
    t0 = -640
    specs.append(
        Spec(
            9,
            "Iris",
            "Demo-Flare",
            "female",
            36,
            US,
            "spot mg/g",
            "Class IV LN; mycophenolate from T0, 640 days ago. Partial response from day 120 "
            "(UPCR 900 mg/g), nadir 600 mg/g; now 2,400 mg/g (20 days ago) and 2,800 mg/g "
            "(6 days ago): both ≥ 2,000 mg/g from a nadir between 500 and 1,000: a proteinuric "
            "flare, confirmed by two results 14 days apart.",
            Expected(
                "flare",
                response="lost",
                index_day=t0,
                index_source="medication",
                flare_type="proteinuric",
                flare_severity="moderate",
                flare_confirmed=True,
                flare_day=-20,
            ),
            [
                Cond("sle-snomed", -2600, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 7, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 5, 3.0, 0.90, 20, 7, 2, "A"),
                Visit(t0 + 45, 2.0, 0.88, 12, 5, 1, "M"),
                Visit(t0 + 120, 0.9, 0.86, 4, 2, 0, "Q"),
                Visit(t0 + 240, 0.7, 0.87, 3, 2, 0, "Q"),
                Visit(t0 + 400, 0.6, 0.85, 2, 1, 0, "Q"),
                Visit(-120, 0.7, 0.86, 3, 2, 0, "Q"),
                Visit(-20, 2.4, 0.88, 4, 3, 0, "M"),
                Visit(-6, 2.8, 0.89, 4, 3, 0, "M"),
            ],
            [
                Med("request", "mmf", t0, 1500, per_day=2, end=t0 + 180, status="completed"),
                Med("request", "mmf", t0 + 180, 1000, per_day=2),
                Med("statement", "hcq", -2500, 200, per_day=2),
            ],
            p0_day=t0 - 5,
        )
    )

    # 10 — flare, nephritic, confirmed, severe (creatinine 0.78 → 2.1 with hematuria).
    t0 = -560
    specs.append(
        Spec(
            10,
            "Jade",
            "Demo-Nephritic",
            "female",
            33,
            US,
            "spot g/g",
            "Class IV LN in complete response on mycophenolate since T0, 560 days ago "
            "(creatinine nadir 0.78 mg/dL). Creatinine now 1.40 mg/dL (14 days ago) and "
            "2.10 mg/dL (3 days ago), each ≥ 130 % of the nadir, with 10-12 RBC/HPF: a "
            "nephritic flare, confirmed (11 days), severe (rise > 1.0 mg/dL).",
            Expected(
                "flare",
                response="lost",
                index_day=t0,
                index_source="medication",
                flare_type="nephritic",
                flare_severity="severe",
                flare_confirmed=True,
                flare_day=-14,
            ),
            [
                Cond("sle", -1600, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 7, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 5, 3.4, 0.95, 30, 9, 3, "A"),
                Visit(t0 + 45, 1.3, 0.85, 8, 4, None, "M"),
                Visit(t0 + 150, 0.4, 0.80, 3, 2, None, "Q"),
                Visit(t0 + 300, 0.3, 0.78, 2, 1, None, "Q"),
                Visit(t0 + 450, 0.35, 0.80, 2, 1, None, "Q"),
                Visit(-14, 0.6, 1.40, 10, 4, None, "M"),
                Visit(-3, 0.7, 2.10, 12, 5, None, "A"),
            ],
            [
                Med("request", "mmf", t0, 1500, per_day=2, end=t0 + 180, status="completed"),
                Med("request", "mmf", t0 + 180, 1000, per_day=2),
                Med("request", "pred", t0, 5, timing_code="QD"),
            ],
            p0_day=t0 - 5,
        )
    )

    # 11 — possible (unconfirmed) proteinuric flare: two rising values only 6 days apart.
    t0 = -500
    specs.append(
        Spec(
            11,
            "Kim",
            "Demo-Possibleflare",
            "female",
            27,
            US,
            "spot mg/g",
            "Class III LN in complete response on mycophenolate (name-only order) since T0, "
            "500 days ago (nadir 200 mg/g). UPCR now 1,600 mg/g (7 days ago) and 1,900 mg/g "
            "(yesterday): both ≥ 1,000 mg/g, but only 6 days apart, so the flare is possible, "
            "not confirmed (needs ≥ 7 days).",
            Expected(
                "flare",
                response="lost",
                index_day=t0,
                index_source="medication",
                flare_type="proteinuric",
                flare_severity="moderate",
                flare_confirmed=False,
                flare_day=-7,
            ),
            [
                Cond("sle", -1400, "Systemic lupus erythematosus"),
                Cond("ln-III", t0 - 6, "Lupus nephritis, ISN/RPS class III (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 4, 2.8, 0.70, 18, 6, 2, "A"),
                Visit(t0 + 40, 1.9, 0.69, 10, 4, 1, "M"),
                Visit(t0 + 100, 0.8, 0.68, 4, 2, 0, "Q"),
                Visit(t0 + 200, 0.3, 0.67, 2, 1, 0, "Q"),
                Visit(t0 + 350, 0.2, 0.68, 1, 1, 0, "Q"),
                Visit(-60, 0.3, 0.69, 2, 1, 0, "Q"),
                Visit(-7, 1.6, 0.70, 3, 2, 0, "Q"),
                Visit(-1, 1.9, 0.69, 3, 2, 0, "M"),
            ],
            [
                Med(
                    "request",
                    "mmf",
                    t0,
                    1000,
                    per_day=2,
                    name_only="Mycophenolate mofetil 500 mg tablet",
                ),
                Med("statement", "hcq", -1350, 200, per_day=2),
            ],
            p0_day=t0 - 4,
        )
    )

    # 12 — kidney failure: LN with ESKD on haemodialysis (Conditions and labs).
    specs.append(
        Spec(
            12,
            "Lea",
            "Demo-Dialysis",
            "female",
            48,
            EU,
            "spot g/g",
            "Class IV LN for 7 years, treated with cyclophosphamide at diagnosis; end-stage "
            "kidney disease on haemodialysis for 2 years (N18.6, Z99.2), pre-dialysis "
            "creatinine about 640 µmol/L. Kidney failure: nothing else is judged.",
            Expected("kidney-failure"),
            [
                Cond("sle", -2700, "Systemic lupus erythematosus"),
                Cond("ln-IV", -2600, "Lupus nephritis, ISN/RPS class IV, biopsy-proven"),
                Cond("eskd", -700, "End-stage kidney disease"),
                Cond("dialysis", -690, "Haemodialysis three times weekly"),
            ],
            [
                Visit(-75, 3.5, 620, 2, 3, 0, "Q", egfr=6),
                Visit(-40, 3.2, 655, 3, 2, None, "Q", egfr=6),
                Visit(-5, 3.8, 640, 2, 3, None, "Q", egfr=6),
            ],
            [
                Med(
                    "request",
                    "cyc",
                    -2590,
                    1000,
                    per_day=1,
                    monthly=True,
                    count=6,
                    end=-2440,
                    status="completed",
                    route="iv",
                ),
                Med("request", "pred", -2590, 5, timing_code="QD"),
                Med("statement", "hcq", -2650, 200, per_day=1),
            ],
        )
    )

    # 13 — possible LN: SLE only, new proteinuria with hematuria.
    specs.append(
        Spec(
            13,
            "Mia",
            "Demo-Possibleln",
            "female",
            24,
            UK,
            "spot mg/mmol",
            "SLE (ICD-10-CM M32.9 only), no lupus nephritis on record. UPCR 80 mg/mmol "
            "40 days ago and 110 mg/mmol 12 days ago (two values ≥ 50 mg/mmol, 28 days apart), "
            "with 7-9 RBC/HPF: possible lupus nephritis, refer for biopsy.",
            Expected("possible-ln"),
            [Cond("sle-icd", -800, "Systemic lupus erythematosus")],
            [
                Visit(-400, 0.1, 62, 1, 1, None, "Q"),
                Visit(-150, 0.2, 64, 2, 1, None, "Q"),
                Visit(-40, 0.8, 66, 7, 3, 0, "M"),
                Visit(-12, 1.1, 67, 9, 4, 0, "A"),
            ],
            [
                Med("statement", "hcq", -780, 200, per_day=2),
                Med("request", "pred", -40, 5, timing_code="QD"),
            ],
        )
    )

    # 14 — not applicable: not SLE (drug-induced lupus, SLE refuted, diabetic kidney disease).
    specs.append(
        Spec(
            14,
            "Noah",
            "Demo-Notlupus",
            "male",
            67,
            US,
            "spot g/g",
            "Type 2 diabetes with diabetic nephropathy and heavy proteinuria (UPCR ~2 g/g). "
            "Hydralazine-induced lupus (M32.0, not SLE) two years ago; SLE was considered and "
            "refuted. Not SLE, not LN: not applicable.",
            Expected("not-applicable"),
            [
                Cond("dkd", -2200, "Diabetic kidney disease"),
                Cond("drug-lupus", -760, "Hydralazine-induced lupus", clinical="resolved"),
                Cond(
                    "sle-snomed",
                    -765,
                    "Systemic lupus erythematosus (ruled out)",
                    verification="refuted",
                    clinical="inactive",
                ),
            ],
            [
                Visit(-370, 1.6, 1.38, 2, 1, None, None),
                Visit(-180, 1.8, 1.42, 2, 1, None, None),
                Visit(-30, 2.0, 1.45, 1, 1, None, "Q"),
            ],
            [
                Med("request", "hydralazine", -1100, 25, per_day=3, end=-760, status="stopped"),
                Med("request", "metformin", -2200, 1000, per_day=2),
            ],
        )
    )

    # 15 — not applicable: SLE without kidney involvement.
    specs.append(
        Spec(
            15,
            "Olga",
            "Demo-Sleonly",
            "female",
            52,
            US,
            "spot mg/g",
            "SLE with skin and joint involvement (M32.19), no nephritis: UPCR 80-120 mg/g "
            "and bland sediment over the last 6 months (one 700 mg/g result 14 months ago "
            "during a urinary infection). Not applicable.",
            Expected("not-applicable"),
            [Cond("sle-organ", -5000, "Systemic lupus erythematosus, skin and joints")],
            [
                Visit(-420, 0.7, 0.72, 4, 25, None, "M"),
                Visit(-170, 0.12, 0.70, 1, 1, None, "Q"),
                Visit(-90, 0.1, 0.71, 1, 1, None, "M"),
                Visit(-10, 0.08, 0.70, 2, 1, 0, "Q"),
            ],
            [Med("statement", "hcq", -4900, 200, per_day=2)],
        )
    )

    # 16 — insufficient data: lost to follow-up, last proteinuria 330 days ago.
    t0 = -420
    specs.append(
        Spec(
            16,
            "Pia",
            "Demo-Stale",
            "female",
            30,
            US,
            "spot g/g",
            "Class IV LN; mycophenolate from T0, 420 days ago, for 90 days; then lost to "
            "follow-up. Last UPCR 1.6 g/g at day 90 (330 days ago, stale); seen 30 days ago "
            "with blood tests only. Insufficient data: no current proteinuria, none at 6 "
            "months.",
            Expected(
                "insufficient-data",
                response="undetermined",
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle", -1000, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 8, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
            ],
            [
                Visit(t0 - 5, 2.4, 0.76, 15, 6, 2, "A"),
                Visit(t0 + 30, 2.0, 0.75, 10, 4, 1, "A"),
                Visit(t0 + 90, 1.6, 0.76, 7, 3, 0, "M"),
                Visit(-30, None, 0.77, None, None, None, "M"),
            ],
            [
                Med("request", "mmf", t0, 1000, per_day=2, end=t0 + 90, status="completed"),
                Med("request", "pred", t0, 20, timing_code="QD", end=t0 + 90, status="completed"),
            ],
            p0_day=t0 - 5,
        )
    )

    # 17 — insufficient data: LN on the problem list without a date, no induction record.
    specs.append(
        Spec(
            17,
            "Quinn",
            "Demo-Undated",
            "male",
            44,
            US,
            "spot mg/g",
            "Transferred patient: lupus nephritis (M32.14) on the problem list without onset "
            "or recorded date, no induction treatment on record (prednisone and "
            "hydroxychloroquine only). UPCR 1,300 then 1,200 mg/g. No index date can be set: "
            "insufficient data.",
            Expected("insufficient-data", response="undetermined"),
            [
                Cond("sle", -3000, "Systemic lupus erythematosus"),
                Cond("ln-icd", None, "Lupus nephritis (transferred problem list)"),
            ],
            [
                Visit(-100, 1.3, 1.05, 6, 3, 0, "M"),
                Visit(-20, 1.2, 1.04, 5, 2, 0, "M"),
            ],
            [
                Med("request", "pred", -200, 7.5, timing_code="QD"),
                Med("statement", "hcq", -2900, 200, per_day=2),
            ],
        )
    )

    # 18 — complete response in SI units, class IV+V, rituximab + MMF.
    t0 = -365
    specs.append(
        Spec(
            18,
            "Rosa",
            "Demo-Rituximab",
            "female",
            39,
            UK,
            "spot mg/mmol{creat}",
            "Class IV+V LN; rituximab 1 g on days 0 and 14 plus mycophenolate 2 g/day from "
            "T0, 365 days ago. UPCR 420 mg/mmol at baseline, 180 at day 90 (partial), 35 at "
            "day 270 and 25 mg/mmol at day 355 (complete); creatinine 110 → 85 µmol/L.",
            Expected(
                "complete-response",
                response="complete",
                index_day=t0,
                index_source="medication",
            ),
            [
                Cond("sle-snomed", -1500, "Systemic lupus erythematosus"),
                Cond("ln-IV", t0 - 10, "Lupus nephritis, ISN/RPS class IV-G (A), biopsy-proven"),
                Cond("ln-V", t0 - 10, "Lupus nephritis, ISN/RPS class V, biopsy-proven"),
            ],
            [
                Visit(t0 - 8, 4.2, 110, 24, 8, 2, "A"),
                Visit(t0 + 30, 3.5, 98, 15, 5, 1, "A"),
                Visit(t0 + 90, 1.8, 90, 6, 3, 0, "M"),
                Visit(t0 + 180, 0.6, 86, 3, 2, 0, "Q"),
                Visit(t0 + 270, 0.35, 84, 2, 1, 0, "Q"),
                Visit(t0 + 355, 0.25, 85, 1, 1, 0, "Q"),
            ],
            [
                Med(
                    "request",
                    "rtx",
                    t0,
                    1000,
                    count=2,
                    period_days=14,
                    status="completed",
                    route="iv",
                ),
                Med("administration", "rtx", t0, 1000, status="completed", route="iv"),
                Med("administration", "rtx", t0 + 14, 1000, status="completed", route="iv"),
                Med("request", "mmf", t0, 1000, per_day=2),
                Med("request", "pred", t0, 20, timing_code="QD"),
            ],
            p0_day=t0 - 8,
        )
    )
    return specs


# --------------------------------------------------------------------------------------
# Design checks: keep the stories away from the thresholds they must not touch.
# --------------------------------------------------------------------------------------

MARGIN = 0.10  # relative distance a value keeps from a threshold it is not meant to test


def _clear(value: float, threshold: float, what: str) -> None:
    if abs(value - threshold) < MARGIN * threshold:
        raise AssertionError(f"{what}: {value} is within 10 % of {threshold}")


def _design_checks(spec: Spec) -> None:
    days = [v.day for v in spec.visits] + [m.start for m in spec.meds]
    days += [c.onset for c in spec.conditions if c.onset is not None]
    if max(days) > 0:
        raise AssertionError(f"{spec.pid}: data after DEMO_AS_OF")
    if len({v.day for v in spec.visits}) != len(spec.visits):
        raise AssertionError(f"{spec.pid}: two visits on one day")
    t0 = spec.expected.index_day
    if t0 is None or spec.p0_day is None:
        return
    by_day = {v.day: v for v in spec.visits}
    p0 = by_day[spec.p0_day].p
    scr0 = by_day[spec.p0_day].scr
    if p0 is None or scr0 is None:
        raise AssertionError(f"{spec.pid}: the P0 visit lacks P or creatinine")
    baseline_window = [v.day for v in spec.visits if t0 - 90 <= v.day <= t0 and v.p is not None]
    if max(baseline_window) != spec.p0_day:
        raise AssertionError(f"{spec.pid}: P0 is not the latest P in [T0 − 90, T0]")
    for v in spec.visits:
        if v.day <= t0 or v.p is None:
            continue
        where = f"{spec.pid} day {v.day}"
        _clear(v.p, 0.5, f"{where} P vs complete response")
        _clear(v.p, 0.5 * p0, f"{where} P vs partial response")
        # creatinine never rises more than 8 %: eGFR stays well above 85 % of eGFR0
        stable = v.scr is None or v.scr <= 1.08 * scr0
        if spec.expected.flare_type != "nephritic" and not stable:
            raise AssertionError(f"{where}: creatinine rises beyond the stable band")


# --------------------------------------------------------------------------------------
# FHIR builders
# --------------------------------------------------------------------------------------


def _day(offset: int) -> date:
    return DEMO_AS_OF + timedelta(days=offset)


def _dt(offset: int, hhmm: str, tz: str) -> str:
    return f"{_day(offset).isoformat()}T{hhmm}:00{tz}"


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _quantity(value: float, unit: str, ucum: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def _num(value: float, decimals: int) -> float | int:
    rounded = round(value, decimals)
    return int(rounded) if decimals == 0 else rounded


def _meta() -> dict[str, Any]:
    return {"tag": [dict(TEST_DATA_TAG)]}


class _Builder:
    """Turns one Spec into the resources of its bundle, numbering ids in order."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.subject = {"reference": f"Patient/{spec.pid}"}
        self.counters: dict[str, int] = {}
        self.resources: list[dict[str, Any]] = []

    def _id(self, prefix: str, width: int = 2) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{self.spec.pid}-{prefix}-{n:0{width}d}"

    def build(self) -> list[dict[str, Any]]:
        self._patient()
        for cond in self.spec.conditions:
            self._condition(cond)
        for index, visit in enumerate(self.spec.visits):
            self._visit(index, visit)
        for med in self.spec.meds:
            self._medication(med)
        return self.resources

    # -- Patient, Condition ------------------------------------------------------------

    def _patient(self) -> None:
        spec = self.spec
        birth = DEMO_AS_OF - timedelta(days=round(spec.age * 365.25) + 17 * spec.num)
        self.resources.append(
            {
                "resourceType": "Patient",
                "id": spec.pid,
                "meta": _meta(),
                "identifier": [{"system": MRN_SYSTEM, "value": f"DEMO-{spec.num:04d}"}],
                "active": True,
                "name": [
                    {
                        "use": "official",
                        "text": spec.name,
                        "family": "Testpatient",
                        "given": [spec.given, spec.tag],
                    }
                ],
                "gender": spec.gender,
                "birthDate": birth.isoformat(),
            }
        )

    def _condition(self, cond: Cond) -> None:
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": self._id("cond"),
            "meta": _meta(),
            "clinicalStatus": {"coding": [{"system": COND_CLINICAL, "code": cond.clinical}]},
            "verificationStatus": {
                "coding": [{"system": COND_VERIFICATION, "code": cond.verification}]
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": COND_CATEGORY,
                            "code": "problem-list-item",
                            "display": "Problem List Item",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [_coding(*c) for c in CONDITION_CODES[cond.kind]],
                "text": cond.text,
            },
            "subject": self.subject,
        }
        if cond.onset is not None:
            resource["onsetDateTime"] = _day(cond.onset).isoformat()
            resource["recordedDate"] = _day(cond.onset + 2).isoformat()
        self.resources.append(resource)

    # -- Observations ------------------------------------------------------------------

    def _observation(
        self,
        day: int,
        loinc: str,
        display: str,
        quantity: dict[str, Any],
        *,
        timed: bool = False,
        category: str = "laboratory",
        interpretation: str | None = None,
        reference_range: dict[str, Any] | None = None,
    ) -> None:
        tz = self.spec.region.tz
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": self._id("obs", 3),
            "meta": _meta(),
            "status": "final",
            "category": [{"coding": [_coding(OBS_CATEGORY, category, category.capitalize())]}],
            "code": {"coding": [_coding(LOINC, loinc, display)], "text": display},
            "subject": self.subject,
        }
        if timed:
            resource["effectivePeriod"] = {
                "start": _dt(day - 1, "08:00", tz),
                "end": _dt(day, "08:00", tz),
            }
        else:
            resource["effectiveDateTime"] = _dt(day, "09:15", tz)
        resource["issued"] = _dt(day, "16:40", tz)
        resource["valueQuantity"] = quantity
        if interpretation is not None:
            names = {"L": "Low", "N": "Normal", "H": "High"}
            resource["interpretation"] = [
                {"coding": [_coding(INTERPRETATION, interpretation, names[interpretation])]}
            ]
        if reference_range is not None:
            resource["referenceRange"] = [reference_range]
        self.resources.append(resource)

    def _visit(self, index: int, v: Visit) -> None:
        spec, region = self.spec, self.spec.region
        if v.p is not None:
            pu = PROTEIN_UNITS[spec.protein]
            self._observation(
                v.day,
                pu.loinc,
                pu.display,
                _quantity(_num(v.p * pu.factor, pu.decimals), pu.unit, pu.ucum),
                timed=pu.timed,
            )
        if v.scr is not None:
            loinc, display, unit, ucum = region.creatinine
            decimals = 2 if ucum == "mg/dL" else 0
            self._observation(v.day, loinc, display, _quantity(_num(v.scr, decimals), unit, ucum))
        if v.egfr is not None:
            self._observation(
                v.day,
                "98979-8",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, "
                "Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
                _quantity(v.egfr, "mL/min/1.73 m2", "mL/min/{1.73_m2}"),
            )
        if v.rbc is not None:
            loinc, display = region.urine_rbc
            self._observation(v.day, loinc, display, _quantity(v.rbc, "/HPF", "/[HPF]"))
        if v.wbc is not None:
            self._observation(
                v.day,
                "5821-4",
                "Leukocytes [#/area] in Urine sediment by Microscopy high power field",
                _quantity(v.wbc, "/HPF", "/[HPF]"),
            )
        if v.casts is not None:
            self._observation(
                v.day,
                "5807-3",
                "Erythrocyte casts [#/area] in Urine sediment by Microscopy low power field",
                _quantity(v.casts, "/LPF", "/[LPF]"),
            )
        if v.sero is not None:
            self._serology(index, v.day, SEROLOGY[v.sero])

    def _serology(self, index: int, day: int, panel: dict[str, float]) -> None:
        spec, region = self.spec, self.spec.region
        # a small deterministic wobble so that no two patients have identical numbers
        wobble = 1 + 0.03 * (((spec.num * 7 + index * 3) % 5) - 2)
        cf = region.complement_factor
        c_unit, c_ucum = region.complement_unit
        c_dec = 0 if cf == 1.0 else 2
        for loinc, display, key, (low, high) in (
            ("4485-9", "Complement C3 [Mass/volume] in Serum or Plasma", "c3", C3_RANGE),
            ("4498-2", "Complement C4 [Mass/volume] in Serum or Plasma", "c4", C4_RANGE),
        ):
            value = panel[key] * wobble
            self._observation(
                day,
                loinc,
                display,
                _quantity(_num(value * cf, c_dec), c_unit, c_ucum),
                interpretation="L" if value < low else "N",
                reference_range={
                    "low": _quantity(_num(low * cf, c_dec), c_unit, c_ucum),
                    "high": _quantity(_num(high * cf, c_dec), c_unit, c_ucum),
                },
            )
        dsdna = round(panel["dsdna"] * wobble)
        self._observation(
            day,
            "5130-0",
            "DNA double strand Ab [Units/volume] in Serum",
            _quantity(dsdna, "IU/mL", "[IU]/mL"),
            interpretation="H" if dsdna > DSDNA_HIGH else "N",
            reference_range={"high": _quantity(DSDNA_HIGH, "IU/mL", "[IU]/mL")},
        )
        a_unit, a_ucum, a_factor = region.albumin
        self._observation(
            day,
            "1751-7",
            "Albumin [Mass/volume] in Serum or Plasma",
            _quantity(_num(panel["albumin"] * wobble * a_factor, 1), a_unit, a_ucum),
        )
        n_unit, n_ucum = region.count_unit
        for (loinc, display), key, decimals in (
            (region.platelets, "platelets", 0),
            (region.leukocytes, "leukocytes", 1),
        ):
            self._observation(
                day,
                loinc,
                display,
                _quantity(_num(panel[key] * wobble, decimals), n_unit, n_ucum),
            )

    # -- Medications -------------------------------------------------------------------

    def _medication_concept(self, med: Med) -> dict[str, Any]:
        if med.name_only is not None:
            return {"medicationCodeableConcept": {"text": med.name_only}}
        code, display = DRUGS[med.drug]
        concept = {"coding": [_coding(RXNORM, code, display)], "text": display}
        if med.contained:
            return {
                "contained": [{"resourceType": "Medication", "id": "med", "code": concept}],
                "medicationReference": {"reference": "#med", "display": display},
            }
        return {"medicationCodeableConcept": concept}

    def _route(self, med: Med) -> dict[str, Any]:
        if med.route == "iv":
            return {"coding": [_coding(ROUTE, "47625008", "Intravenous route")]}
        return {"coding": [_coding(ROUTE, "26643006", "Oral route")]}

    def _dosage(self, med: Med) -> dict[str, Any]:
        dose = _quantity(_num(med.dose_mg, 1 if med.dose_mg % 1 else 0), "mg", "mg")
        timing: dict[str, Any] = {}
        if med.timing_code is not None:
            timing["code"] = {
                "coding": [_coding(GTS_ABBREVIATION, med.timing_code, med.timing_code)],
                "text": {"QD": "once daily", "BID": "twice daily"}[med.timing_code],
            }
            text_freq = timing["code"]["text"]
        else:
            repeat: dict[str, Any] = {}
            if med.count is not None:
                repeat["count"] = med.count
            repeat["frequency"] = med.per_day or 1
            repeat["period"] = 1 if med.monthly else med.period_days
            repeat["periodUnit"] = "mo" if med.monthly else "d"
            timing["repeat"] = repeat
            if med.monthly:
                text_freq = f"once monthly × {med.count}"
            elif med.period_days != 1:
                text_freq = f"every {med.period_days} days × {med.count}"
            else:
                text_freq = {1: "once daily", 2: "twice daily", 3: "three times daily"}[
                    repeat["frequency"]
                ]
        name = med.name_only or DRUGS[med.drug][1]
        return {
            "sequence": 1,
            "text": f"{name}: {dose['value']} mg {text_freq}",
            "timing": timing,
            "route": self._route(med),
            "doseAndRate": [{"doseQuantity": dose}],
        }

    def _medication(self, med: Med) -> None:
        if med.kind == "request":
            resource: dict[str, Any] = {
                "resourceType": "MedicationRequest",
                "id": self._id("medreq"),
                "meta": _meta(),
            }
            concept = self._medication_concept(med)
            if "contained" in concept:
                resource["contained"] = concept.pop("contained")
            resource.update(
                {
                    "status": med.status,
                    "intent": "order",
                    **concept,
                    "subject": self.subject,
                    "authoredOn": _day(med.start).isoformat(),
                    "dosageInstruction": [self._dosage(med)],
                }
            )
            if med.end is not None:
                resource["dispenseRequest"] = {
                    "validityPeriod": {
                        "start": _day(med.start).isoformat(),
                        "end": _day(med.end).isoformat(),
                    }
                }
        elif med.kind == "statement":
            resource = {
                "resourceType": "MedicationStatement",
                "id": self._id("medstmt"),
                "meta": _meta(),
                "status": med.status,
                **self._medication_concept(med),
                "subject": self.subject,
                "effectivePeriod": {"start": _day(med.start).isoformat()},
                "dateAsserted": _day(med.start + 1).isoformat(),
                "dosage": [self._dosage(med)],
            }
        elif med.kind == "administration":
            resource = {
                "resourceType": "MedicationAdministration",
                "id": self._id("medadm"),
                "meta": _meta(),
                "status": med.status,
                **self._medication_concept(med),
                "subject": self.subject,
                "effectiveDateTime": _dt(med.start, "10:30", self.spec.region.tz),
                "dosage": {
                    "route": self._route(med),
                    "dose": _quantity(_num(med.dose_mg, 0), "mg", "mg"),
                },
            }
        else:  # pragma: no cover - a typo in the specs above
            raise ValueError(med.kind)
        self.resources.append(resource)


def _bundle(spec: Spec) -> dict[str, Any]:
    entries = []
    for resource in _Builder(spec).build():
        relative = f"{resource['resourceType']}/{resource['id']}"
        entries.append(
            {
                "fullUrl": f"{DEMO_FULL_URL_BASE}/{relative}",
                "resource": resource,
                "request": {"method": "PUT", "url": relative},
            }
        )
    return {
        "resourceType": "Bundle",
        "id": f"{spec.pid}-bundle",
        "meta": _meta(),
        "type": "transaction",
        "entry": entries,
    }


def _expected(spec: Spec) -> dict[str, Any]:
    e = spec.expected
    flare = None
    if e.flare_type is not None and e.flare_day is not None:
        flare = {
            "type": e.flare_type,
            "severity": e.flare_severity,
            "confirmed": e.flare_confirmed,
            "date": _day(e.flare_day).isoformat(),
            "also_met": list(e.flare_also_met),
        }
    return {
        "name": spec.name,
        "story": spec.story,
        "status": e.status,
        "response": e.response,
        "refractory": e.refractory,
        "index_date": None if e.index_day is None else _day(e.index_day).isoformat(),
        "index_source": e.index_source,
        "flare": flare,
    }


# --------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------

README_HEAD = """\
# Synthetic lupus nephritis demo cohort

Eighteen **synthetic** patients (every name is "… Demo-… Testpatient"; every resource is
tagged `HTEST` "test health data"), one FHIR R4 `transaction` Bundle each
(`ln-demo-NN.json`). Together they cover every status of `clinical.md` §8 for the default
profile `kdigo-2024`.

*Generated* by `scripts/make_cohort.py` — edit the stories there and re-run it; never edit
the JSON by hand (`tests/demo/test_cohort_files.py` fails if the files and the generator
disagree).

## Dates

All dates are written relative to one anchor, **`DEMO_AS_OF` = {as_of}**
(`cds.demo.DEMO_AS_OF`), and stored as absolute dates. The expected results below hold
when the cohort is assessed **as of that date** — the demo service uses it as its clock,
and tests pass `as_of=DEMO_AS_OF`. Assessed on a later date the stories age (responses
turn stale, flares become history), which is why the demo never uses today's date.

## Loading

- In process: `cds.demo.load_cohort()` (patients, stories, expected results, bundles) and
  `cds.datasources.demo.DemoDataSource` (answers the hook's FHIR queries from memory).
- Into a FHIR server: `ln-cds load-demo --fhir-server URL [--bearer-token T] [--timeout S]`
  (one transaction per patient; exit code 2 with a one-line reason on failure). Every entry
  is `PUT <Type>/<id>` with a client-assigned id (`ln-demo-01`, `ln-demo-01-obs-001`, …),
  so re-loading updates in place and creates no duplicates; the loader rewrites each
  `fullUrl` to the target server's base (the stored ones use `{full_url_base}`).

## The patients

Expected results for profile `kdigo-2024` at `as_of` = {as_of}, worked out by hand from
`clinical.md` (not computed by the project's code); machine-readable in `expected.json`.
"T0" is the index date (§3), "day n" means T0 + n days.

| patient | synthetic name | story | expected status |
|---|---|---|---|
"""

README_TAIL = """
Flare details (`expected.json` → `flare`): ln-demo-09 proteinuric, moderate, confirmed;
ln-demo-10 nephritic, severe, confirmed; ln-demo-11 proteinuric, moderate, **not
confirmed** (the purposeful boundary: the two qualifying values are 6 days apart, one
short of the 7 days that confirm a flare).

## How each expected status follows from clinical.md

P is proteinuria in g/g after §2 normalisation (mg/g ÷ 1000, mg/mmol ÷ 100, mg/24 h ÷
1000). Every value a status depends on is kept at least 10 % away from the threshold it
must not touch (checked by the generator), except the flare confirmation boundary of
ln-demo-11.

- **01 refractory.** Run = one MMF course (contained Medication, RxNorm 68149, 1.5 g × 2
  = 3 g/day, active) from day 0 → T0 = 320 days ago. P0 = 4.0 (24-h protein, 2889-4, day
  −7). Every later P (3.8 … 2.6) > 0.5 × P0 = 2.0 and ≥ 0.5 → never CR/PR. as_of ≥ T0 +
  183, current P at day 306 ≥ T0 + 150 → NR. MPAA ≥ 2 g/day for 320 days ≥ 183 →
  adequate → refractory.
- **02 refractory.** Run = one CYC order (authoredOn T0, validityPeriod 150 days,
  `timing.repeat.count` 6). P0 = 5.2 (5,200 mg/g); later P 4.8 … 3.3 > 2.6 → NR at day
  316. CYC: 6 doses dated in [T0, as_of] → adequate (the span, 150 days, alone would not
  be). Azathioprine is no induction class.
- **03 refractory.** Run = MMF (name-only "CellCept", 0.5 g × 2 = 1 g/day, not an
  adequate MPAA dose) + tacrolimus (42316), both active from T0 = 260 days ago. P0 = 3.8
  (24-h UPCR 13801-6); P 3.5 … 2.5 > 1.9 → NR at day 248. CNI from its start to the end of
  the run (as_of) = 260 days ≥ 183 → adequate → refractory.
- **04 no-response.** No induction record (azathioprine, prednisone and HCQ only) → no
  run → T0 = LN Condition onset (300 days ago, `index_source` condition). P0 = 3.0 (day
  −3); P 2.8 … 2.3 > 1.5 → NR at day 290; no course in a run → not refractory.
- **05 no-response (lost).** T0 = MMF start 420 days ago (two MMF orders, 3 then 2 g/day,
  one course). P0 = 2.4 (240 mg/mmol); day 60 1.6 (> 1.2, none); day 120 0.9 (PR, R);
  day 210 0.8, day 300 0.85 (PR); now 1.5 > 1.2 → neither CR nor PR after a PR → lost.
  Flare: ref = 0.8 (0.5 ≤ ref ≤ 1.0) needs P ≥ 2.0; 1.5 is not → no flare → no-response.
- **06 complete-response.** T0 = MMF start 400 days ago. P0 = 3.0; 2.1, 1.2 (PR), 0.4,
  0.3, now 0.2 (CR) with creatinine 0.80-0.86 mg/dL (function stable). Flare: none (P only
  falls).
- **07 partial-response.** Run = six CYC administrations (days 0-70, one course) chained
  to MMF from day 84 (gap ≤ 90 days; no flare before day 84, so no T0 reset) → T0 = 300
  days ago. P0 = 4.5 (4,500 mg/24 h); 3.6, 2.7, 1.8 (PR), 1.5, now 1.4: ≤ 2.25, < 3.0 and
  ≥ 0.5 → PR. Flare: ref 1.5 > 1.0 needs P ≥ 3.0 → none.
- **08 active.** T0 = MMF start 75 days ago (< 183). P0 = 3.6 (360 mg/mmol, day −4); now
  2.6 > 1.8 → neither CR nor PR; a P exists since T0 − 90 → active (response not yet
  due).
- **09 flare (proteinuric, confirmed).** T0 = 640 days ago; P0 = 3.0; PR first at day 120
  (0.9 ≤ 1.5) = R; later 0.7, 0.6, 0.7 (120 days ago); then 2.4 (20 days ago) and 2.8 (6
  days ago). Window of the last two: ref = min before = 0.6 (0.5-1.0 band) → each ≥ 2.0 ✓;
  the last three would include 0.7 ✗. Window spans 14 days → confirmed; date = 20 days
  ago; severity 2.8 − 0.6 = 2.2 ≤ 5 → moderate. Creatinine and sediment quiet (no other
  type).
- **10 flare (nephritic, confirmed, severe).** T0 = 560 days ago; P0 = 3.4; PR at day 45
  (1.3 ≤ 1.7) = R, then CR. Creatinine since R: 0.85, 0.80, 0.78, 0.80, then 1.40 (14 days
  ago) and 2.10 (3 days ago). Window of the last two: ref = 0.78 → each ≥ 1.014 ✓ with
  10 and 12 RBC/HPF the same day ✓; the last three would include 0.80 ✗. 11 days →
  confirmed; rise 2.10 − 0.78 = 1.32 > 1.0 → severe. Not proteinuric (0.7 < 1.0 from ref
  0.3), not mild (RBC ≤ 15, no casts after R) → `also_met` empty.
- **11 flare (proteinuric, possible).** T0 = 500 days ago; P0 = 2.8; PR at day 100 (0.8)
  = R; nadir 0.2; 0.3 sixty days ago; then 1.6 (7 days ago) and 1.9 (yesterday): both ≥ 1.0
  from ref 0.2 ✓, the last three would include 0.3 ✗. The window spans 6 days < 7 → **not
  confirmed**; status is still `flare` (possible, repeat the test). Severity 1.9 − 0.2 =
  1.7 → moderate. The current P 1.9 > 0.5 × P0 = 1.4 → the earlier response is lost.
- **12 kidney-failure.** LN + active N18.6/46177005 and Z99.2/105502003 Conditions; also
  by labs (creatinine ~640 µmol/L → eGFR < 15 at days −75, −40, −5). Nothing else judged.
- **13 possible-ln.** SLE (M32.9) without LN; in [as_of − 180, as_of] P 0.8 (40 days ago)
  and 1.1 (12 days ago), ≥ 0.5 and 28 days apart (also 7 and 9 RBC/HPF).
- **14 not-applicable.** Drug-induced lupus (M32.0/201436003) is not SLE; the SLE
  Condition is `refuted`; diabetic nephropathy explains the proteinuria.
- **15 not-applicable.** SLE (M32.19) without LN; recent P ≤ 0.12; the only P ≥ 0.5 is
  420 days old (outside the 180-day window).
- **16 insufficient-data.** T0 = MMF start 420 days ago (one 90-day order); last P 1.6 at
  day 90 = 330 days ago → stale (> 180 days) and earlier than T0 + 150 → response
  undetermined; T0 > 183 days ago → not active. No flare (never CR/PR: 2.0, 1.6 > 1.2).
- **17 insufficient-data.** LN Condition (M32.14) has no onset and no recordedDate, and
  no induction course is recorded → no T0.
- **18 complete-response.** Run = rituximab (an order for two 1 g doses 14 days apart,
  and the two administrations, days 0 and 14) + MMF (from day 0); both start at T0 = 365
  days ago, no later course → no reset. P0 = 4.2 (420
  mg/mmol{{creat}}); 3.5, 1.8 (PR), 0.6 (PR), 0.35 (CR), now 0.25 → CR; creatinine 110 → 85
  µmol/L (improved).

## Choices the spec left open (made here)

- Patient names, MRNs (`{mrn}`) and stories are invented; the family name of every
  patient is `Testpatient`.
- Every patient has `birthDate` and `gender` (female except 05, 14, 17), all adults, so
  CKD-EPI 2021 can be computed from every creatinine.
- Each bundle holds everything the hook's queries ask for: Patient, Conditions, laboratory
  Observations, MedicationRequest/Statement/Administration; the single contained
  Medication (ln-demo-01) travels inside its MedicationRequest.
- Serology (C3, C4 with `referenceRange` and L/N interpretation, anti-dsDNA with an upper
  reference limit of 30 IU/mL and H/N interpretation), albumin, platelets and leukocytes
  accompany most visits; they feed SLEDAI-2K (§9) only and never decide a status.
- Laboratory conventions vary on purpose: US-style (mg/dL creatinine 2160-0, mg/dL
  complement, g/dL albumin, 10*3/uL counts 777-3/6690-2, urine RBC 13945-1) and SI-style
  (µmol/L creatinine 14682-9, g/L complement and albumin, 10*9/L counts 26515-7/26464-8,
  urine RBC 5808-1), with proteinuria as g/g, mg/g, mg/g{{creat}}, mg/mmol,
  mg/mmol{{creat}} (34366-5), 24-h UPCR (13801-6) or 24-h protein in mg/24 h (2889-4,
  `effectivePeriod` ending on the collection day).
"""


def _readme(specs: list[Spec]) -> str:
    head = README_HEAD.format(as_of=DEMO_AS_OF.isoformat(), full_url_base=DEMO_FULL_URL_BASE)
    rows = []
    for spec in specs:
        status = spec.expected.status
        if spec.expected.flare_type is not None:
            confirmed = "confirmed" if spec.expected.flare_confirmed else "not confirmed"
            status = f"{status} ({spec.expected.flare_type}, {confirmed})"
        story = spec.story.replace("|", "/")
        rows.append(f"| {spec.pid} | {spec.given} {spec.tag} Testpatient | {story} | {status} |")
    tail = README_TAIL.format(mrn=f"{MRN_SYSTEM}|DEMO-00NN")
    return head + "\n".join(rows) + "\n" + tail


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    """Every cohort file, by file name, exactly as it should be on disk."""
    specs = _cohort()
    for spec in specs:
        _design_checks(spec)
    files = {f"{spec.pid}.json": _dump(_bundle(spec)) for spec in specs}
    files["expected.json"] = _dump(
        {
            "as_of": DEMO_AS_OF.isoformat(),
            "profile": DEMO_PROFILE,
            "patients": {spec.pid: _expected(spec) for spec in specs},
        }
    )
    files["README.md"] = _readme(specs)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    files = render_all()
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (OUT_DIR / name).exists() or (OUT_DIR / name).read_text("utf-8") != text
        ]
        extra = {p.name for p in OUT_DIR.glob("*.json")} - set(files)
        for name in sorted(stale) + sorted(extra):
            print(f"out of date: cds/demo/cohort/{name}")
        return 1 if stale or extra else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")
    resources = sum(len(json.loads(t)["entry"]) for n, t in files.items() if n.startswith("ln-"))
    print(f"wrote {len(files) - 2} bundles ({resources} resources) to {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
