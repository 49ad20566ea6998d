"""Medication records and courses (clinical.md §2 "Medications").

MedicationRequest (active, completed, stopped, on-hold; not `doNotPerform`),
MedicationStatement (active, completed, stopped) and MedicationAdministration (completed)
of the five drug classes, in a systemic form (not topical, ophthalmic, ...),
become `MedicationRecord`s with a resolved start and end; same-class records no more than
90 days apart (from the running end to the next start) join one `Course`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from fhir_mapping.dates import parse_date
from fhir_mapping.fhirjson import (
    JsonObject,
    codings,
    concept_texts,
    number,
    obj,
    objs,
    source_of,
    text,
    valid_id,
)
from fhir_mapping.notes import note
from fhir_mapping.record import Course, DrugClass, MedicationRecord, Note, Source
from fhir_mapping.units import days_of, mg_of_dose
from fhir_mapping.valuesets import (
    INGREDIENT_ORDER,
    INGREDIENTS_BY_RXNORM,
    LOCAL_ROUTE_CODES,
    RXNORM,
    TIMING_PER_DAY,
    TIMING_SYSTEM,
    Ingredient,
    ingredients_in_text,
    names_local_form,
)

COUNTED_STATUSES: Mapping[str, frozenset[str]] = {
    "MedicationRequest": frozenset({"active", "completed", "stopped", "on-hold"}),
    "MedicationStatement": frozenset({"active", "completed", "stopped"}),
    "MedicationAdministration": frozenset({"completed"}),
}
MEDICATION_TYPES = frozenset(COUNTED_STATUSES)
COURSE_GAP_DAYS = 90


# --- which drug -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Named:
    ingredients: tuple[Ingredient, ...]
    unresolved: bool  # a medicationReference that could not be followed
    local_form: bool = False  # a name or dose form says topical, ophthalmic, ...


def _resolve_reference(
    reference: str, resource: JsonObject, supplied: Mapping[str, JsonObject]
) -> JsonObject | None:
    """A contained Medication (`#id`) or a supplied one (`Medication/id`, URL, urn:uuid)."""
    if reference.startswith("#"):
        wanted = reference[1:]
        for contained in objs(resource.get("contained")):
            if contained.get("resourceType") == "Medication" and contained.get("id") == wanted:
                return contained
        return None
    if reference.startswith("urn:uuid:"):
        return supplied.get(reference[len("urn:uuid:") :])
    parts = reference.split("/_history/", maxsplit=1)[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Medication":
        return supplied.get(parts[-1])
    return None


def _named(resource: JsonObject, supplied: Mapping[str, JsonObject]) -> _Named:
    concepts: list[Any] = []
    forms: list[Any] = []
    texts: list[str] = []
    unresolved = False
    if "medicationCodeableConcept" in resource:
        concepts.append(resource["medicationCodeableConcept"])
    ref = obj(resource.get("medicationReference"))
    if ref is not None:
        display = text(ref.get("display"))
        if display is not None:
            texts.append(display)
        target = text(ref.get("reference"))
        if target is not None:
            medication = _resolve_reference(target, resource, supplied)
            if medication is None:
                unresolved = True
            else:
                concepts.append(medication.get("code"))
                concepts.extend(
                    ing.get("itemCodeableConcept") for ing in objs(medication.get("ingredient"))
                )
                forms.append(medication.get("form"))
    found: dict[str, Ingredient] = {}
    for concept in concepts:
        for system, code, _ in codings(concept):
            if system == RXNORM and code in INGREDIENTS_BY_RXNORM:
                ing = INGREDIENTS_BY_RXNORM[code]
                found[ing.name] = ing
        texts.extend(concept_texts(concept))
    for t in texts:
        for ing in ingredients_in_text(t):
            found[ing.name] = ing
    ordered = sorted(found.values(), key=lambda i: INGREDIENT_ORDER[i.name])
    form_texts = [t for form in forms for t in concept_texts(form)]
    local = bool(found) and any(names_local_form(t) for t in (*texts, *form_texts))
    return _Named(tuple(ordered), unresolved, local)


def _routes(resource: JsonObject, rtype: str) -> list[Any]:
    """The route of every dosage line (MedicationAdministration has a single dosage)."""
    if rtype == "MedicationAdministration":
        dosage = obj(resource.get("dosage"))
        return [dosage.get("route")] if dosage is not None else []
    key = "dosageInstruction" if rtype == "MedicationRequest" else "dosage"
    return [line.get("route") for line in objs(resource.get(key))]


def _local_route(resource: JsonObject, rtype: str) -> bool:
    """A dosage route that is topical, ophthalmic, otic, nasal, rectal or transdermal."""
    for route in _routes(resource, rtype):
        if any((system, code) in LOCAL_ROUTE_CODES for system, code, _ in codings(route)):
            return True
        if any(names_local_form(t) for t in concept_texts(route)):
            return True
    return False


# --- when -----------------------------------------------------------------------------------


def _date(raw: Any, source: Source, notes: list[Note]) -> date | None:
    if raw is None:
        return None
    parsed = parse_date(raw)
    if parsed is None:
        notes.append(note("invalid-date", source))
        return None
    if parsed[1]:
        notes.append(note("partial-date", source))
    return parsed[0]


def _first_date(raws: Iterable[Any], source: Source, notes: list[Note]) -> date | None:
    for raw in raws:
        d = _date(raw, source, notes)
        if d is not None:
            return d
    return None


def record_span(
    resource: JsonObject, status: str, as_of: date, source: Source, notes: list[Note]
) -> tuple[date, date] | None:
    """(start, end) per clinical.md §2, end clipped to as_of; None if no start or after as_of.

    Start: authoredOn, else dispenseRequest.validityPeriod.start, else effective[x] start.
    End: validityPeriod.end, effectivePeriod.end, else start + expectedSupplyDuration;
    without an end an active record runs to as_of and any other is one day.
    """
    dispense = obj(resource.get("dispenseRequest")) or {}
    validity = obj(dispense.get("validityPeriod")) or {}
    effective_period = obj(resource.get("effectivePeriod")) or {}
    start = _first_date(
        (
            resource.get("authoredOn"),
            validity.get("start"),
            resource.get("effectiveDateTime"),
            effective_period.get("start"),
        ),
        source,
        notes,
    )
    if start is None:
        notes.append(note("medication-no-start", source))
        return None
    if start > as_of:
        return None
    end = _first_date((validity.get("end"), effective_period.get("end")), source, notes)
    if end is None and "expectedSupplyDuration" in dispense:
        supply = obj(dispense.get("expectedSupplyDuration")) or {}
        unit = supply.get("code") if isinstance(supply.get("code"), str) else supply.get("unit")
        days = days_of(supply.get("value"), unit)
        try:
            end = None if days is None else start + timedelta(days=round(days))
        except OverflowError:
            end = None
        if end is None:
            notes.append(note("supply-duration", source))
    if end is None:
        end = as_of if status == "active" else start
    if end < start:
        notes.append(note("medication-end-before-start", source))
        end = start
    return start, min(end, as_of)


# --- how much -------------------------------------------------------------------------------


class _UnknownDoseError(Exception):
    """A dosage line whose daily amount cannot be known (the reason is a note code)."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason


def _per_day(timing: Any) -> float:
    """Doses per day of a Timing: repeat.frequency / period (days), else timing.code, else 1."""
    t = obj(timing) or {}
    repeat = obj(t.get("repeat")) or {}
    frequency: float | None = None
    if "frequency" in repeat:
        frequency = number(repeat.get("frequency"))
        if frequency is None or frequency <= 0:
            raise _UnknownDoseError("dose-timing")
    if "period" in repeat:
        period = number(repeat.get("period"))
        days = days_of(period, repeat.get("periodUnit")) if period is not None else None
        if days is None or days <= 0:
            raise _UnknownDoseError("dose-timing")
        return (frequency or 1.0) / days
    if "code" in t:
        codes = [
            c["code"]
            for c in objs((obj(t.get("code")) or {}).get("coding"))
            if isinstance(c.get("code"), str)
            and c["code"] in TIMING_PER_DAY
            and c.get("system") in (None, TIMING_SYSTEM)
        ]
        if not codes:
            raise _UnknownDoseError("dose-timing")
        return float(TIMING_PER_DAY[codes[0]])
    return frequency or 1.0


def _line_mg_per_day(line: JsonObject) -> float:
    dose: Any = None
    for dr in objs(line.get("doseAndRate")):
        if "doseQuantity" in dr:
            dose = dr["doseQuantity"]
            break
    if dose is None:
        raise _UnknownDoseError(None)  # no doseQuantity: unknown, and text is never parsed
    mg = mg_of_dose(dose)
    if mg is None:
        raise _UnknownDoseError("dose-unit")
    return mg * _per_day(line.get("timing"))


def daily_dose_mg(lines: list[JsonObject], source: Source, notes: list[Note]) -> float | None:
    """Σ doseQuantity × frequency / period over the dosage lines; None if any is unknown."""
    if not lines:
        return None
    total = 0.0
    try:
        for line in lines:
            total += _line_mg_per_day(line)
    except _UnknownDoseError as unknown:
        if unknown.reason is not None:
            notes.append(note(unknown.reason, source))
        return None
    return total if math.isfinite(total) else None


def _request_dose_count(lines: list[JsonObject]) -> int:
    """A request stands for timing.repeat.count doses (summed over lines), else 1."""
    total = 0
    for line in lines:
        repeat = obj((obj(line.get("timing")) or {}).get("repeat")) or {}
        count = repeat.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and 0 < count <= 10_000:
            total += count
    return total or 1


# --- records and courses ---------------------------------------------------------------------


def _records_of(
    resource: JsonObject,
    *,
    rtype: str,
    supplied: Mapping[str, JsonObject],
    as_of: date,
    notes: list[Note],
    belongs: Callable[[JsonObject, Source], bool],
) -> list[MedicationRecord]:
    named = _named(resource, supplied)
    source = source_of(resource)
    if not named.ingredients:
        if named.unresolved and source is not None and belongs(resource, source):
            notes.append(note("medication-unresolved", source))
        return []
    if source is None:
        notes.append(note("invalid-id"))
        return []
    if not belongs(resource, source):
        return []
    status = resource.get("status")
    if not isinstance(status, str) or status not in COUNTED_STATUSES[rtype]:
        notes.append(note("medication-status", source))
        return []
    if resource.get("doNotPerform") is True:  # a prohibition, not treatment
        notes.append(note("medication-do-not-perform", source))
        return []
    if named.local_form or _local_route(resource, rtype):  # e.g. tacrolimus ointment
        notes.append(note("medication-local-form", source))
        return []
    span = record_span(resource, status, as_of, source, notes)
    if span is None:
        return []

    by_class: dict[DrugClass, Ingredient] = {}
    for ing in named.ingredients:  # already in data-file order: first wins per class
        by_class.setdefault(ing.drug_class, ing)

    if rtype == "MedicationAdministration":
        dosage = obj(resource.get("dosage")) or {}
        dose = mg_of_dose(dosage.get("dose")) if "dose" in dosage else None
        if "dose" in dosage and dose is None:
            notes.append(note("dose-unit", source))
        daily, count = dose, 1
    elif rtype == "MedicationRequest":
        lines = list(objs(resource.get("dosageInstruction")))
        daily, count = daily_dose_mg(lines, source, notes), _request_dose_count(lines)
    else:
        lines = list(objs(resource.get("dosage")))
        daily, count = daily_dose_mg(lines, source, notes), 1

    if len(by_class) > 1:
        notes.append(note("medication-multiple-classes", source))
        daily = None
    return [
        MedicationRecord(
            source=source,
            drug_class=drug_class,
            ingredient=ing.name,
            start=span[0],
            end=span[1],
            daily_dose_mg=daily,
            dose_count=count,
            status=status,
        )
        for drug_class, ing in by_class.items()
    ]


def _sum_same_day_administrations(records: list[MedicationRecord]) -> list[MedicationRecord]:
    """An administration is one dose; its daily dose is the day's total of that ingredient."""
    totals: dict[tuple[str, date], float | None] = {}
    for r in records:
        if r.source.resource_type != "MedicationAdministration":
            continue
        key = (r.ingredient, r.start)
        if key in totals:
            before = totals[key]
            totals[key] = (
                None if before is None or r.daily_dose_mg is None else before + r.daily_dose_mg
            )
        else:
            totals[key] = r.daily_dose_mg
    return [
        replace(r, daily_dose_mg=totals[(r.ingredient, r.start)])
        if r.source.resource_type == "MedicationAdministration"
        else r
        for r in records
    ]


def extract_medications(
    resources: Iterable[JsonObject],
    supplied: Mapping[str, JsonObject],
    as_of: date,
    notes: list[Note],
    *,
    belongs: Callable[[JsonObject, Source], bool],
) -> tuple[MedicationRecord, ...]:
    """Every counting medication record of the five classes, sorted by start."""
    records: list[MedicationRecord] = []
    for resource in resources:
        rtype = resource.get("resourceType")
        if isinstance(rtype, str) and rtype in MEDICATION_TYPES:
            records.extend(
                _records_of(
                    resource,
                    rtype=rtype,
                    supplied=supplied,
                    as_of=as_of,
                    notes=notes,
                    belongs=belongs,
                )
            )
    records = _sum_same_day_administrations(records)
    records.sort(key=lambda r: (r.start, r.end, r.drug_class.value, r.source.reference))
    return tuple(records)


def build_courses(records: Iterable[MedicationRecord]) -> tuple[Course, ...]:
    """Same-class records ≤ 90 days apart (running end → next start) joined; sorted by start."""
    by_class: dict[DrugClass, list[MedicationRecord]] = {}
    for r in records:
        by_class.setdefault(r.drug_class, []).append(r)
    courses: list[Course] = []
    for drug_class, members in by_class.items():
        members.sort(key=lambda r: (r.start, r.end, r.source.reference))
        current: list[MedicationRecord] = [members[0]]
        start, end = members[0].start, members[0].end
        for r in members[1:]:
            if (r.start - end).days <= COURSE_GAP_DAYS:
                current.append(r)
                end = max(end, r.end)
            else:
                courses.append(Course(drug_class, start, end, tuple(current)))
                current, start, end = [r], r.start, r.end
        courses.append(Course(drug_class, start, end, tuple(current)))
    courses.sort(key=lambda c: (c.start, c.drug_class.value, c.end))
    return tuple(courses)


def supplied_medications(resources: Iterable[JsonObject]) -> dict[str, JsonObject]:
    """Medication resources in the input, by id, for medicationReference."""
    out: dict[str, JsonObject] = {}
    for r in resources:
        rid = valid_id(r.get("id"))
        if rid is not None:
            out.setdefault(rid, r)
    return out
