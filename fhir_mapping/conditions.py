"""Conditions → SLE, LN (with ISN/RPS classes) and kidney failure (clinical.md §2).

A Condition counts unless its verificationStatus is refuted or entered-in-error, and only
if its date (onsetDateTime, onsetPeriod.start, else recordedDate) is ≤ as_of or absent.
SLE includes every LN code. ICD-10 N08.5 (an asterisk code) is LN only when the record
also carries an ICD-10 M32.1 coding on a counted Condition, since on its own it names
glomerular disease in any connective tissue disorder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from fhir_mapping.dates import parse_date
from fhir_mapping.fhirjson import JsonObject, codings, concept_codes, obj, source_of
from fhir_mapping.notes import note
from fhir_mapping.record import ConditionFact, Note, Source
from fhir_mapping.valuesets import (
    ROLE_DRUG_INDUCED,
    ROLE_KIDNEY_FAILURE,
    ROLE_LN,
    ROLE_SLE,
    ConditionCode,
    condition_codes,
    normalise_code,
)

EXCLUDED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
KIDNEY_FAILURE_STATUSES = frozenset({"active", "recurrence", "relapse"})
LN_CLASS_ORDER = ("I", "II", "III", "IV", "V", "VI")


@dataclass(frozen=True, slots=True)
class ConditionFacts:
    sle: tuple[ConditionFact, ...]
    ln: tuple[ConditionFact, ...]
    kidney_failure: tuple[ConditionFact, ...]


@dataclass(frozen=True, slots=True)
class _Counted:
    source: Source
    date: date | None
    clinical_status: str | None
    status_codes: frozenset[str]  # every clinicalStatus code, lower-cased
    matches: tuple[tuple[str, ConditionCode], ...]  # ("system|code" as written, entry)
    all_codes: frozenset[tuple[str, str]]  # (system, normalised code) of every coding


def condition_date(resource: JsonObject, source: Source, notes: list[Note]) -> date | None:
    """onsetDateTime, else onsetPeriod.start, else recordedDate (None: no usable date)."""
    candidates = (
        resource.get("onsetDateTime"),
        (obj(resource.get("onsetPeriod")) or {}).get("start"),
        resource.get("recordedDate"),
    )
    for raw in candidates:
        if raw is None:
            continue
        parsed = parse_date(raw)
        if parsed is None:
            notes.append(note("invalid-date", source))
            continue
        if parsed[1]:
            notes.append(note("partial-date", source))
        return parsed[0]
    return None


def _count(
    resource: JsonObject,
    as_of: date,
    notes: list[Note],
    belongs: Callable[[JsonObject, Source], bool],
) -> _Counted | None:
    matches: list[tuple[str, ConditionCode]] = []
    all_codes: set[tuple[str, str]] = set()
    for system, code, _ in codings(resource.get("code")):
        all_codes.add((system, normalise_code(system, code)))
        for entry in condition_codes(system, code):
            matches.append((f"{system}|{code}", entry))
    if not matches:
        return None
    source = source_of(resource)
    if source is None:
        notes.append(note("invalid-id"))
        return None
    if not belongs(resource, source):
        return None
    if concept_codes(resource.get("verificationStatus")) & EXCLUDED_VERIFICATION:
        notes.append(note("condition-refuted", source))
        return None
    when = condition_date(resource, source, notes)
    if when is not None and when > as_of:
        return None
    status_codes = concept_codes(resource.get("clinicalStatus"))
    clinical_status = min(status_codes, default=None)  # several codes: the first in order
    statuses = frozenset(c.lower() for c in status_codes)
    return _Counted(source, when, clinical_status, statuses, tuple(matches), frozenset(all_codes))


def _fact(c: _Counted, codes: list[str], classes: Iterable[str] = ()) -> ConditionFact:
    found = set(classes)
    return ConditionFact(
        source=c.source,
        codes=tuple(dict.fromkeys(codes)),
        date=c.date,
        clinical_status=c.clinical_status,
        ln_classes=tuple(k for k in LN_CLASS_ORDER if k in found),
    )


def classify_conditions(
    conditions: Iterable[JsonObject],
    as_of: date,
    notes: list[Note],
    *,
    belongs: Callable[[JsonObject, Source], bool],
) -> ConditionFacts:
    """SLE, LN and kidney failure facts; `belongs` filters (and notes) other patients."""
    counted = [c for r in conditions if (c := _count(r, as_of, notes, belongs)) is not None]
    record_codes: set[tuple[str, str]] = set().union(*(c.all_codes for c in counted))

    sle: list[ConditionFact] = []
    ln: list[ConditionFact] = []
    kf: list[ConditionFact] = []
    for c in counted:
        lupus_codes: list[str] = []
        ln_codes: list[str] = []
        kf_codes: list[str] = []
        classes: list[str] = []
        drug_induced = False
        for written, entry in c.matches:
            if entry.role == ROLE_DRUG_INDUCED:
                drug_induced = True
            elif entry.role == ROLE_KIDNEY_FAILURE:
                kf_codes.append(written)
            elif entry.role == ROLE_LN:
                if entry.requires is not None and entry.requires not in record_codes:
                    notes.append(note("ln-icd10-n085-without-m321", c.source))
                    continue
                ln_codes.append(written)
                lupus_codes.append(written)
                if entry.ln_class is not None:
                    classes.append(entry.ln_class)
            elif entry.role == ROLE_SLE:
                lupus_codes.append(written)
        if drug_induced:
            notes.append(note("drug-induced-lupus", c.source))
        else:
            if lupus_codes:
                sle.append(_fact(c, lupus_codes))
            if ln_codes:
                ln.append(_fact(c, ln_codes, classes))
        if kf_codes:
            # any coding saying active/recurrence/relapse (any case) counts: a missed
            # dialysis patient could be shown a remission card
            if not c.status_codes or c.status_codes & KIDNEY_FAILURE_STATUSES:
                kf.append(_fact(c, kf_codes))
            else:
                notes.append(note("kidney-failure-not-active", c.source))
    return ConditionFacts(_sorted(sle), _sorted(ln), _sorted(kf))


def _sorted(facts: list[ConditionFact]) -> tuple[ConditionFact, ...]:
    """By date (undated last), then reference: the same record whatever the input order."""
    return tuple(
        sorted(facts, key=lambda f: (f.date is None, f.date or date.min, f.source.reference))
    )
