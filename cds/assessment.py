"""The result of one assessment (clinical.md §10): what every card, view and CLI output shows.

Rules produce an `Assessment`; cards, the trend view and `ln-cds assess` only read it.
`to_json()` is the stable §10 object (keys are part of the public contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from fhir_mapping.record import Measurement, Note


class Status(StrEnum):
    NOT_APPLICABLE = "not-applicable"
    KIDNEY_FAILURE = "kidney-failure"
    POSSIBLE_LN = "possible-ln"
    FLARE = "flare"
    REFRACTORY = "refractory"
    NO_RESPONSE = "no-response"
    COMPLETE_RESPONSE = "complete-response"
    PARTIAL_RESPONSE = "partial-response"
    ACTIVE = "active"
    INSUFFICIENT_DATA = "insufficient-data"


class Response(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    NONE = "none"
    LOST = "lost"
    NOT_YET_DUE = "not-yet-due"
    UNDETERMINED = "undetermined"


class FlareType(StrEnum):
    NEPHRITIC = "nephritic"
    PROTEINURIC = "proteinuric"
    MILD = "mild"


@dataclass(frozen=True, slots=True)
class ValueUsed:
    """A value the assessment relied on, with where it came from (for the evidence table)."""

    label: str  # e.g. "P0", "current P", "eGFR0"
    test: str  # human test name, e.g. "Urine protein/creatinine ratio (spot)"
    date: date
    value: float
    unit: str  # canonical unit
    reported: str  # "value unit" as reported
    sources: tuple[str, ...]  # "Observation/id", ...
    detail: str | None = None  # e.g. "computed: CKD-EPI 2021"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "test": self.test,
            "date": self.date.isoformat(),
            "value": round(self.value, 4),
            "unit": self.unit,
            "reported": self.reported,
            "sources": list(self.sources),
        }
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion applied, met or not, with its published source (for the card)."""

    name: str  # e.g. "Complete response"
    rule: str  # e.g. "P < 0.5 g/g and eGFR ≥ 85 % of baseline"
    source: str  # e.g. "KDIGO 2024"
    met: bool
    evidence: tuple[ValueUsed, ...] = ()


@dataclass(frozen=True, slots=True)
class Flare:
    type: FlareType
    severity: str  # "mild" | "moderate" | "severe"
    confirmed: bool
    date: date
    also_met: tuple[str, ...]  # other flare types met, e.g. ("mild",)
    evidence: tuple[ValueUsed, ...] = ()
    reference: ValueUsed | None = None  # the reference (ref_k) value

    def to_json(self) -> dict[str, Any]:
        return {
            "type": str(self.type),
            "severity": self.severity,
            "confirmed": self.confirmed,
            "date": self.date.isoformat(),
            "also_met": list(self.also_met),
        }


@dataclass(frozen=True, slots=True)
class SledaiItem:
    item: str  # e.g. "proteinuria"
    points: int
    renal: bool
    present: bool
    evidence: tuple[ValueUsed, ...] = ()


@dataclass(frozen=True, slots=True)
class Sledai2kLab:
    """SLEDAI-2K laboratory items (Gladman 2002): a lower bound; clinical items not assessed."""

    items: tuple[SledaiItem, ...]
    recorded: tuple[Measurement, ...] = ()  # clinician-recorded SLEDAI-2K Observations

    @property
    def score(self) -> int:
        return sum(i.points for i in self.items if i.present)

    @property
    def renal_score(self) -> int:
        return sum(i.points for i in self.items if i.present and i.renal)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max": 22,
            "renal_score": self.renal_score,
            "renal_max": 16,
            "partial": True,
            "items": [
                {
                    "item": i.item,
                    "points": i.points,
                    "renal": i.renal,
                    "present": i.present,
                    "evidence": [e.to_json() for e in i.evidence],
                }
                for i in self.items
            ],
            "recorded": [
                {
                    "date": m.date.isoformat(),
                    "value": m.value,
                    "source": m.source.reference,
                }
                for m in self.recorded
            ],
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """One patient's LN assessment at `as_of` under `profile` (clinical.md §10)."""

    patient: str
    as_of: date
    profile: str
    status: Status
    response: Response
    refractory: bool
    function_assessed: bool
    index_date: date | None
    index_source: str | None  # "medication" | "condition"
    ln_classes: tuple[str, ...]
    flare: Flare | None
    reason: str | None  # why insufficient-data / not-applicable / what was lost, in words
    values: tuple[ValueUsed, ...]  # baselines and current values (labels P0, eGFR0, Scr0, P, ...)
    criteria: tuple[Criterion, ...]
    sledai2k_lab: Sledai2kLab
    notes: tuple[Note, ...]
    caveats: tuple[str, ...] = ()  # e.g. "kidney function not assessed"
    # test keys to order, e.g. ("upcr", "creatinine")
    suggestions: tuple[str, ...] = field(default=())
    response_lost: bool = False
    # ("CR"|"PR"|"NR"|"flare", date) for the trend view
    milestones: tuple[tuple[str, date], ...] = ()

    def value(self, label: str) -> ValueUsed | None:
        for v in self.values:
            if v.label == label:
                return v
        return None

    def to_json(self) -> dict[str, Any]:
        """The stable §10 object printed by `ln-cds assess --format json`."""
        return {
            "patient": self.patient,
            "as_of": self.as_of.isoformat(),
            "profile": self.profile,
            "status": str(self.status),
            "flare": self.flare.to_json() if self.flare else None,
            "refractory": self.refractory,
            "response": str(self.response),
            "response_lost": self.response_lost,
            "function_assessed": self.function_assessed,
            "index_date": self.index_date.isoformat() if self.index_date else None,
            "index_source": self.index_source,
            "ln_classes": list(self.ln_classes),
            "reason": self.reason,
            "values": {v.label: v.to_json() for v in self.values},
            "criteria": [
                {"name": c.name, "rule": c.rule, "source": c.source, "met": c.met}
                for c in self.criteria
            ],
            "sledai2k_lab": self.sledai2k_lab.to_json(),
            "caveats": list(self.caveats),
            "suggestions": list(self.suggestions),
            "milestones": [{"event": e, "date": d.isoformat()} for e, d in self.milestones],
            "notes": [
                {
                    "code": n.code,
                    "message": n.message,
                    **({"source": n.source.reference} if n.source else {}),
                }
                for n in self.notes
            ],
        }
