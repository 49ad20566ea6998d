"""The typed, immutable patient record: the one thing the rules ever see.

`fhir_mapping` turns a patient's FHIR R4 resources into a `PatientRecord`; the rules in
`cds.rules` read only this record (never FHIR JSON), so the clinical logic can be tested
with plain values and the FHIR details can change without touching it.

Every value keeps its provenance (`Source`) and the value as reported, so that each
statement on a card can be traced back to the resource it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class Series(StrEnum):
    """The laboratory series of clinical.md §2, each in its canonical unit."""

    PROTEINURIA = "P"  # g/g (24-h protein in g/24 h counts as g/g)
    UACR = "UACR"  # mg/g, shown only
    CREATININE = "Scr"  # mg/dL
    EGFR_REPORTED = "eGFR-reported"  # mL/min/{1.73_m2}
    ALBUMIN = "albumin"  # g/L
    URINE_RBC = "urine-RBC"  # per HPF
    URINE_WBC = "urine-WBC"  # per HPF
    RBC_CASTS = "RBC-casts"  # flag = positive
    C3 = "C3"  # flag = low (None: unknown)
    C4 = "C4"  # flag = low (None: unknown)
    ANTI_DSDNA = "anti-dsDNA"  # flag = raised (None: unknown)
    PLATELETS = "platelets"  # 10*9/L
    LEUKOCYTES = "leukocytes"  # 10*9/L
    HEIGHT = "height"  # cm
    SLEDAI2K_RECORDED = "SLEDAI-2K"  # a clinician-recorded score, shown as recorded


class ProteinuriaKind(StrEnum):
    """Which measurement a proteinuria value came from; same-day priority is this order."""

    UPCR_24H = "24h-upcr"
    PROTEIN_24H = "24h-protein"
    UPCR_SPOT = "spot-upcr"


class DrugClass(StrEnum):
    MPAA = "MPAA"
    CYC = "CYC"
    CNI = "CNI"
    BIOLOGIC = "biologic"
    GLUCOCORTICOID = "glucocorticoid"


INDUCTION_CLASSES = frozenset({DrugClass.MPAA, DrugClass.CYC, DrugClass.CNI, DrugClass.BIOLOGIC})


class Source(NamedTuple):
    """Where a fact came from: `resource_type/id` of the FHIR resource.

    A NamedTuple rather than a frozen dataclass: one is made per resource read on every hook
    call, and a tuple is built in one step where a frozen dataclass sets each field in turn
    (measured: several times faster). Immutable and compared by value all the same.
    """

    resource_type: str
    id: str

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"


@dataclass(frozen=True, slots=True)
class Note:
    """A data-quality note: something ignored, approximated or ambiguous, and why.

    `source` is None for notes about the record as a whole (e.g. "no birthDate").
    Notes never carry values or names (they may be logged): only ids and reasons.
    """

    code: str  # short machine-readable reason, e.g. "status-not-final", "unknown-unit"
    message: str  # human sentence, no PHI beyond resource ids
    source: Source | None = None


class Measurement(NamedTuple):
    """One laboratory value, normalised to its series' canonical unit.

    `value` is the normalised number (None for purely qualitative results such as a coded
    "positive" cast). `flag` carries the qualitative judgement where the series has one:
    RBC casts → positive; C3/C4 → low (None = unknown); anti-dsDNA → raised (None = unknown).
    `reported_value` / `reported_unit` are exactly as the lab wrote them, for display.

    A NamedTuple (immutable, compared by value) because the mapping builds one per laboratory
    result on every hook call: ten years of labs are thousands of them, and a frozen
    dataclass costs several times more to build (see benchmarks/RESULTS.md). Use
    `m._replace(...)` where a dataclass would use `dataclasses.replace`.
    """

    series: Series
    date: date
    value: float | None
    unit: str  # canonical unit of the series
    reported_value: str
    reported_unit: str
    code: str  # the matching LOINC code
    source: Source
    timestamp: datetime | None = None  # effective timestamp, for same-day tie-breaks
    issued: datetime | None = None
    comparator: str | None = None  # "<", "<=", ">=", ">" when the value was a bound
    flag: bool | None = None
    kind: ProteinuriaKind | None = None  # proteinuria only
    # the unit the value was converted from, as the reader recognised it (the UCUM code when
    # there is one, not the printed `reported_unit`); None: unitless, qualitative or kept as
    # reported
    converted_from: str | None = None


@dataclass(frozen=True, slots=True)
class EgfrPoint:
    """One point of the eGFR series (clinical.md §2): computed from creatinine or reported."""

    date: date
    value: float  # mL/min/1.73 m2
    computed: bool
    equation: (
        str  # "CKD-EPI 2021", "bedside Schwartz", or the reported method (e.g. "CKD-EPI 2009")
    )
    sources: tuple[Source, ...]  # creatinine (+ height) used, or the reported eGFR Observation
    creatinine_mg_dl: float | None = None
    age_years: int | None = None
    # a reported point: the value, unit and comparator exactly as the lab wrote them
    reported_value: str | None = None
    reported_unit: str | None = None
    comparator: str | None = None


@dataclass(frozen=True, slots=True)
class ConditionFact:
    """A Condition that counts (not refuted / entered-in-error, onset ≤ as_of or absent)."""

    source: Source
    codes: tuple[str, ...]  # "system|code" of every matching coding
    date: date | None  # onsetDateTime, onsetPeriod.start, else recordedDate
    clinical_status: str | None
    ln_classes: tuple[str, ...] = ()  # ISN/RPS classes "I".."VI" named by this Condition


@dataclass(frozen=True, slots=True)
class MedicationRecord:
    """One MedicationRequest / MedicationStatement / MedicationAdministration that counts."""

    source: Source
    drug_class: DrugClass
    ingredient: str  # normalised ingredient name, e.g. "mycophenolate mofetil"
    start: date
    end: date  # already resolved per clinical.md §2 (open active → as_of; clipped to as_of)
    daily_dose_mg: float | None  # None when unknown (a line without doseQuantity, no dosage)
    dose_count: int  # CYC doses this record stands for (administration 1; request repeat.count)
    status: str


@dataclass(frozen=True, slots=True)
class Course:
    """Same-class records joined when ≤ 90 days apart (clinical.md §2)."""

    drug_class: DrugClass
    start: date
    end: date
    records: tuple[MedicationRecord, ...]

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(r.source for r in self.records)


@dataclass(frozen=True, slots=True)
class Demographics:
    birth_date: date | None
    gender: str | None  # FHIR administrative gender as written
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """Everything the rules need about one patient, as of one date.

    Series are sorted by date (ascending), one value per series per day after the same-day
    rules of clinical.md §2 have been applied. Nothing dated after `as_of` is present.
    """

    patient_id: str
    as_of: date
    demographics: Demographics
    measurements: dict[Series, tuple[Measurement, ...]]
    egfr: tuple[EgfrPoint, ...]
    sle_conditions: tuple[ConditionFact, ...]
    ln_conditions: tuple[ConditionFact, ...]
    kidney_failure_conditions: tuple[ConditionFact, ...]
    medications: tuple[MedicationRecord, ...]
    courses: tuple[Course, ...]  # every class, sorted by start
    notes: tuple[Note, ...] = field(default=())

    def series(self, series: Series) -> tuple[Measurement, ...]:
        return self.measurements.get(series, ())

    @property
    def has_sle(self) -> bool:
        return bool(self.sle_conditions) or bool(self.ln_conditions)

    @property
    def has_ln(self) -> bool:
        return bool(self.ln_conditions)

    @property
    def ln_classes(self) -> tuple[str, ...]:
        order = ("I", "II", "III", "IV", "V", "VI")
        found = {c for cond in self.ln_conditions for c in cond.ln_classes}
        return tuple(c for c in order if c in found)
