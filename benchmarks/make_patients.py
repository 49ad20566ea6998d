"""Generate synthetic lupus nephritis patients of a given number of relevant Observations.

The benchmark needs patients whose size, not content, varies: ten years of labs across
every series the service reads (proteinuria and creatinine in mixed units, eGFR, albumin,
urine sediment, complement, anti-dsDNA, blood counts), SLE and LN Conditions, and two
induction orders. Values follow a plausible course (nephrotic at the start, a response
under mycophenolate, a proteinuric flare near the end treated with cyclophosphamide, no
response to it yet), so the rules do their full work (T0 reset by the flare, baselines,
response history, flare and refractory checks, SLEDAI-2K) and the hook returns a card.

Every Observation is one the service reads (a LOINC code of its value sets), and the
latest results are a few days old whatever the size, so every size is judged the same way;
a bigger patient is a denser history, not a longer one (all within the 15-year look-back).
Two samples of one series never share a day (no same-day tie-breaking noise).

For each size N it writes, into OUT_DIR:
- `patient-N.json`: a FHIR R4 collection Bundle (for `ln-cds assess`, or to load into a
  FHIR server);
- `hook-N.json`: the `patient-view` hook request an EHR would send, with every prefetch
  key of the service's discovery document filled by a complete searchset Bundle
  (Observations newest first, as the templates ask).

Usage: python benchmarks/make_patients.py OUT_DIR [--sizes 100,1000,2000,10000]
           [--as-of YYYY-MM-DD]   (default: today in UTC, the service's default "today")
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cds.datasources.demo import CohortIndex, DemoDataSource
from cds.views.demo_fhir import answer
from cds.web.lupus_nephritis import prefetch_templates

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SPAN_DAYS = 3650  # ten years of labs
LAST_RESULT_DAYS_AGO = 3
HOOK_INSTANCE = "7a0c2d4e-9b1f-4c3a-8e5d-6f7a8b9c0d1e"
USER_ID = "Practitioner/bench-nephrologist"
FHIR_BASE = "https://ehr.example.org/fhir"

# One series: its variants (LOINC, display, unit, UCUM code, factor from the canonical
# value), used in turn, sample after sample. The canonical value comes from `_value`.
Variant = tuple[str, str, str, str, float]
SERIES: list[tuple[str, list[Variant]]] = [
    (
        "upcr",  # g/g
        [
            ("2890-2", "Protein/Creatinine [Mass Ratio] in Urine", "mg/g", "mg/g", 1000.0),
            ("34366-5", "Protein/Creatinine [Ratio] in Urine", "mg/mmol", "mg/mmol", 100.0),
        ],
    ),
    (
        "creatinine",  # mg/dL
        [
            ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 1.0),
            ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L", "umol/L", 88.4),
        ],
    ),
    (
        "egfr",
        [("98979-8", "eGFR (CKD-EPI 2021)", "mL/min/1.73m2", "mL/min/{1.73_m2}", 1.0)],
    ),
    ("albumin", [("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", "g/dL", 1.0)]),
    (
        "urine-rbc",
        [
            (
                "13945-1",
                "Erythrocytes [#/area] in Urine sediment by Microscopy high power field",
                "/[HPF]",
                "/[HPF]",
                1.0,
            )
        ],
    ),
    (
        "urine-wbc",
        [
            (
                "5821-4",
                "Leukocytes [#/area] in Urine sediment by Microscopy high power field",
                "/[HPF]",
                "/[HPF]",
                1.0,
            )
        ],
    ),
    ("c3", [("4485-9", "Complement C3 [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 1.0)]),
    ("c4", [("4498-2", "Complement C4 [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 1.0)]),
    (
        "anti-dsdna",
        [("5130-0", "DNA double strand Ab [Units/volume] in Serum", "[IU]/mL", "[IU]/mL", 1.0)],
    ),
    (
        "platelets",
        [("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", "10*3/uL", 1.0)],
    ),
    (
        "leukocytes",
        [
            (
                "6690-2",
                "Leukocytes [#/volume] in Blood by Automated count",
                "10*3/uL",
                "10*3/uL",
                1.0,
            )
        ],
    ),
]
# reference ranges (mg/dL) sent with complement results, as most labs do
REFERENCE_RANGES = {"4485-9": (90.0, 180.0), "4498-2": (10.0, 40.0)}


def _upcr_g_per_g(day: int) -> float:
    """The course: nephrotic at the start, response by a third, a flare near the end."""
    x = day / SPAN_DAYS
    if x < 0.3:
        return 3.5 - 9 * x
    if x < 0.85:
        return 0.3 + 0.05 * math.sin(day)
    return 0.3 + 8 * (x - 0.85)


def _value(series: str, day: int, rng: random.Random) -> float:
    """The canonical value of `series` on `day` (units as in SERIES' comments)."""
    p = _upcr_g_per_g(day)
    active = p >= 0.5
    table = {
        "upcr": p,
        "creatinine": 0.9 + 0.1 * rng.random(),
        "egfr": 85 + 10 * rng.random(),
        "albumin": (2.6 if p >= 3 else 3.4) + 0.5 * rng.random(),
        "urine-rbc": float(rng.randint(6, 30) if active else rng.randint(0, 4)),
        "urine-wbc": float(rng.randint(0, 10)),
        "c3": (60 if active else 95) + 40 * rng.random(),
        "c4": (6 if active else 14) + 20 * rng.random(),
        "anti-dsdna": (150 if active else 10) + 150 * rng.random(),
        "platelets": 120 + 200 * rng.random(),
        "leukocytes": 2.5 + 6 * rng.random(),
    }
    return table[series]


def _medication_request(
    pid: str, index: int, *, rxcui: str, name: str, begin: date, days: int, as_of: date
) -> dict[str, Any]:
    """An order of 1 g (mycophenolate) or 50 mg (oral cyclophosphamide) twice a day."""
    dose_mg = 1000 if rxcui == "68149" else 50
    return {
        "resourceType": "MedicationRequest",
        "id": f"{pid}-med-{index}",
        "status": "completed" if begin + timedelta(days=days) < as_of else "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": rxcui,
                    "display": name,
                }
            ]
        },
        "authoredOn": begin.isoformat(),
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {"doseQuantity": {"value": dose_mg, "unit": "mg", "code": "mg", "system": UCUM}}
                ],
            }
        ],
        "dispenseRequest": {
            "validityPeriod": {
                "start": begin.isoformat(),
                "end": (begin + timedelta(days=days)).isoformat(),
            }
        },
    }


def _observation(
    pid: str, number: int, *, k: int, variant: Variant, when: date, value: float
) -> dict[str, Any]:
    code, display, unit, ucum, factor = variant
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{pid}-obs-{number}",
        "meta": {"lastUpdated": f"{when.isoformat()}T12:00:00+01:00"},
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": f"{when.isoformat()}T08:{k % 60:02d}:00+01:00",
        "issued": f"{when.isoformat()}T12:00:00+01:00",
        "valueQuantity": {
            "value": round(value * factor, 2),
            "unit": unit,
            "system": UCUM,
            "code": ucum,
        },
    }
    limits = REFERENCE_RANGES.get(code)
    if limits is not None:
        obs["referenceRange"] = [
            {
                "low": {"value": limits[0], "unit": unit, "system": UCUM, "code": ucum},
                "high": {"value": limits[1], "unit": unit, "system": UCUM, "code": ucum},
            }
        ]
    return obs


def make_patient(n_observations: int, as_of: date, seed: int = 7) -> dict[str, Any]:
    """One collection Bundle: Patient, 2 Conditions, 2 MedicationRequests, n Observations."""
    rng = random.Random(seed)
    pid = f"bench-{n_observations}"
    start = as_of - timedelta(days=SPAN_DAYS)
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": pid,
            "name": [{"family": "Benchmark", "given": ["Synthetic"]}],
            "gender": "female",
            "birthDate": "1985-04-12",
        },
        {
            "resourceType": "Condition",
            "id": f"{pid}-sle",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "55464009"}]},
            "onsetDateTime": start.isoformat(),
        },
        {
            "resourceType": "Condition",
            "id": f"{pid}-ln",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "36402006"}]},
            "onsetDateTime": (start + timedelta(days=30)).isoformat(),
        },
        # mycophenolate 2 g/day for 900 days from day 40; cyclophosphamide for the flare
        _medication_request(
            pid,
            0,
            rxcui="68149",
            name="mycophenolate mofetil",
            begin=start + timedelta(40),
            days=900,
            as_of=as_of,
        ),
        _medication_request(
            pid,
            1,
            rxcui="3002",
            name="cyclophosphamide",
            begin=start + timedelta(3300),
            days=180,
            as_of=as_of,
        ),
    ]
    per_series, extra = divmod(n_observations, len(SERIES))
    last_day = SPAN_DAYS - LAST_RESULT_DAYS_AGO
    number = 0
    for s_index, (series, variants) in enumerate(SERIES):
        n = per_series + (1 if s_index < extra else 0)
        for k in range(n):
            day = last_day - (n - 1 - k) * last_day // n  # the last one LAST_RESULT_DAYS_AGO
            when = start + timedelta(days=day)
            variant = variants[k % len(variants)]
            value = _value(series, day, rng)
            resources.append(
                _observation(pid, number, k=k, variant=variant, when=when, value=value)
            )
            number += 1
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def hook_request(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """The patient-view request with every prefetch key of discovery filled (complete), each
    answered as the demo FHIR endpoint answers it (`cds.views.demo_fhir`) from this patient."""
    resources = [e["resource"] for e in bundle["entry"]]
    pid = next(r for r in resources if r["resourceType"] == "Patient")["id"]
    source = DemoDataSource(CohortIndex(resources))
    prefetch: dict[str, Any] = {}
    for key, template in prefetch_templates().items():
        query = template.replace("{{context.patientId}}", pid)
        status, prefetch[key] = answer(source, query, base_url=FHIR_BASE)
        if status != 200:
            raise ValueError(f"prefetch {key}: {query} answered {status}: {prefetch[key]}")
    return {
        "hook": "patient-view",
        "hookInstance": HOOK_INSTANCE,
        "fhirServer": FHIR_BASE,
        "context": {"userId": USER_ID, "patientId": pid},
        "prefetch": prefetch,
    }


def write_patients(out_dir: Path, sizes: list[int], as_of: date) -> dict[int, Path]:
    """Write `patient-N.json` and `hook-N.json` per size; return the hook request paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    hooks: dict[int, Path] = {}
    for size in sizes:
        bundle = make_patient(size, as_of)
        (out_dir / f"patient-{size}.json").write_text(json.dumps(bundle), encoding="utf-8")
        path = out_dir / f"hook-{size}.json"
        path.write_text(json.dumps(hook_request(bundle)), encoding="utf-8")
        hooks[size] = path
    return hooks


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sizes", default="100,1000,2000,10000")
    parser.add_argument("--as-of", type=date.fromisoformat, default=datetime.now(UTC).date())
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for size, path in write_patients(args.out_dir, sizes, args.as_of).items():
        print(f"wrote {path} and patient-{size}.json ({size} Observations)")


if __name__ == "__main__":
    main()
