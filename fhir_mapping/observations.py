"""One laboratory Observation → a `Measurement` of a series of clinical.md §2 (general reader).

`read_observation` handles every shape FHIR allows (partial dates, periods, comparators,
qualitative results, units by display text) and says with a note why a result cannot be
used. The common well-formed case is read by `fhir_mapping.observations_fast` first, which
falls back to this module for anything else; `fhir_mapping.measurements` runs the loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

from fhir_mapping.dates import parse_date, parse_timestamp
from fhir_mapping.fhirjson import JsonObject, codings, concept_texts, obj, objs
from fhir_mapping.notes import note
from fhir_mapping.record import Measurement, Note, ProteinuriaKind, Series, Source
from fhir_mapping.units import (
    Normalised,
    Refused,
    normalise_count,
    normalise_quantity,
    to_canonical,
)
from fhir_mapping.valuesets import (
    CODED_NEGATIVE,
    CODED_POSITIVE,
    INTERPRETATION_LOW,
    INTERPRETATION_NOT_LOW,
    INTERPRETATION_NOT_RAISED,
    INTERPRETATION_RAISED,
    INTERPRETATION_SYSTEMS,
    NEGATIVE_WORDS,
    OBSERVATION_CODES,
    POSITIVE_WORDS,
    UNIT_GROUPS,
    ObservationCode,
    UnitGroup,
    normalise_unit,
)

COUNTED_STATUSES = frozenset({"final", "amended", "corrected"})

# Same-day priority of proteinuria measurements (clinical.md §2): lower wins.
KIND_PRIORITY: Mapping[ProteinuriaKind, int] = {
    ProteinuriaKind.UPCR_24H: 0,
    ProteinuriaKind.PROTEIN_24H: 1,
    ProteinuriaKind.UPCR_SPOT: 2,
}

FLAG_SERIES = frozenset({Series.RBC_CASTS, Series.C3, Series.C4, Series.ANTI_DSDNA})


def match_code(resource: JsonObject) -> ObservationCode | None:
    """The first `code.coding` (system + code) that names one of our series."""
    concept = resource.get("code")
    if not isinstance(concept, dict):
        return None
    coding_list = concept.get("coding")
    if not isinstance(coding_list, list):
        return None
    for coding in coding_list:  # hot path: plain loop, no generator
        if isinstance(coding, dict):
            system = coding.get("system")
            code = coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                found = OBSERVATION_CODES.get((system, code))
                if found is not None:
                    return found
    return None


class ObservationDate(NamedTuple):
    date: date
    partial: bool
    timestamp: datetime | None  # the effective timestamp, when it has a time


def observation_date(resource: JsonObject) -> ObservationDate | None:
    """effectiveDateTime / effectiveInstant, else effectivePeriod.end, else issued."""
    effective: Any = resource.get("effectiveDateTime")
    if effective is None:
        effective = resource.get("effectiveInstant")
    if effective is None:
        period = obj(resource.get("effectivePeriod"))
        if period is not None:
            effective = period.get("end")
    if effective is not None:
        parsed = parse_date(effective)
        if parsed is None:
            return None
        return ObservationDate(parsed[0], parsed[1], parse_timestamp(effective))
    issued = parse_date(resource.get("issued"))
    if issued is None:
        return None
    return ObservationDate(issued[0], issued[1], None)


def interpretation_codes(resource: JsonObject) -> set[str]:
    """Interpretation codes (v3 ObservationInterpretation / v2 0078, or no system)."""
    found: set[str] = set()
    for concept in objs(resource.get("interpretation")):
        for coding in objs(concept.get("coding")):
            code = coding.get("code")
            system = coding.get("system")
            if isinstance(code, str) and (
                system is None or (isinstance(system, str) and system in INTERPRETATION_SYSTEMS)
            ):
                found.add(code)
    return found


def coded_result(concept: Any) -> bool | None:
    """True for a coded positive/present, False for negative/absent, None otherwise.

    Codes first (SNOMED / v3 interpretation), then an exact word in text or display.
    """
    for system, code, _ in codings(concept):
        if (system, code) in CODED_POSITIVE:
            return True
        if (system, code) in CODED_NEGATIVE:
            return False
    for t in concept_texts(concept):
        word = " ".join(t.lower().split())
        if word in POSITIVE_WORDS:
            return True
        if word in NEGATIVE_WORDS:
            return False
    return None


def true_value_below(value: float, comparator: str | None, bound: float) -> bool | None:
    """Is the true value < bound, given value was reported with `comparator`? None: unknown."""
    if comparator is None:
        return value < bound
    if (comparator == "<" and value <= bound) or (comparator == "<=" and value < bound):
        return True
    if comparator in (">", ">=") and value >= bound:
        return False
    return None


def true_value_above(value: float, comparator: str | None, bound: float) -> bool | None:
    """Is the true value > bound, given value was reported with `comparator`? None: unknown."""
    if comparator is None:
        return value > bound
    if (comparator == ">" and value >= bound) or (comparator == ">=" and value > bound):
        return True
    if comparator in ("<", "<=") and value <= bound:
        return False
    return None


def _range_bound(
    resource: JsonObject, which: str, group: UnitGroup, value: Normalised
) -> float | None:
    """referenceRange[].low/high in the value's canonical unit (first range that has it)."""
    for rng in objs(resource.get("referenceRange")):
        bound = obj(rng.get(which))
        if bound is None:
            continue
        if group.keep_any_unit:
            # Kept as reported: comparable only in the very same unit (or none given).
            unit = bound.get("unit") if isinstance(bound.get("unit"), str) else bound.get("code")
            if isinstance(unit, str) and normalise_unit(unit) != normalise_unit(value.unit):
                return None
            return to_canonical({"value": bound.get("value")}, group, default=None)
        return to_canonical(bound, group, default=value.conversion)
    return None


def _complement_low(resource: JsonObject, group: UnitGroup, value: Normalised) -> bool | None:
    """C3/C4 low: below referenceRange.low or interpretation L/LL; never a guessed limit."""
    interp = interpretation_codes(resource)
    low = _range_bound(resource, "low", group, value)
    by_range = None if low is None else true_value_below(value.value, value.comparator, low)
    if by_range is True or interp & INTERPRETATION_LOW:
        return True
    if by_range is False or interp & INTERPRETATION_NOT_LOW:
        return False
    return None


def _dsdna_raised(
    resource: JsonObject, group: UnitGroup, value: Normalised | None, coded: bool | None
) -> bool | None:
    """Anti-dsDNA raised: above referenceRange.high, interpretation H/HH/POS, or coded positive."""
    interp = interpretation_codes(resource)
    by_range = None
    if value is not None:
        high = _range_bound(resource, "high", group, value)
        if high is not None:
            by_range = true_value_above(value.value, value.comparator, high)
    if by_range is True or interp & INTERPRETATION_RAISED or coded is True:
        return True
    if by_range is False or interp & INTERPRETATION_NOT_RAISED or coded is False:
        return False
    return None


def _cast_positive(value: Normalised) -> bool | None:
    """RBC casts positive = count > 0. "<1" (or "<=" below 1) is none seen: negative."""
    if value.comparator == "<" and value.value <= 1:
        return False
    if value.comparator == "<=" and value.value < 1:
        return False
    return true_value_above(value.value, value.comparator, 0.0)


def _concept_label(concept: Any) -> str:
    c = obj(concept)
    if c is None:
        return ""
    t = c.get("text")
    if isinstance(t, str):
        return t
    for coding in objs(c.get("coding")):
        for key in ("display", "code"):
            v = coding.get(key)
            if isinstance(v, str):
                return v
    return ""


def read_observation(
    resource: JsonObject,
    source: Source,
    ocode: ObservationCode,
    as_of: date,
    notes: list[Note],
) -> Measurement | None:
    """One Observation of a known code → a Measurement, or None (with a note saying why).

    Observations dated after `as_of` are dropped without a note: they are simply not yet
    known on that date.
    """
    status = resource.get("status")
    if not isinstance(status, str) or status not in COUNTED_STATUSES:
        notes.append(note("status-not-final", source))
        return None
    when = observation_date(resource)
    if when is None:
        notes.append(note("no-date", source))
        return None
    if when.date > as_of:
        return None
    if when.partial:
        notes.append(note("partial-date", source))

    group = UNIT_GROUPS[ocode.unit_group]
    series = ocode.series
    flag: bool | None = None
    normalised: Normalised | Refused | None = None
    coded: bool | None = None

    if "valueQuantity" in resource:
        normalised = normalise_quantity(resource["valueQuantity"], group)
    elif "valueInteger" in resource:
        normalised = normalise_count(resource["valueInteger"], group)
    elif series in (Series.RBC_CASTS, Series.ANTI_DSDNA) and (
        "valueCodeableConcept" in resource or "valueBoolean" in resource
    ):
        if "valueBoolean" in resource:
            raw_bool = resource["valueBoolean"]
            coded = raw_bool if isinstance(raw_bool, bool) else None
        else:
            coded = coded_result(resource["valueCodeableConcept"])
        if coded is None:
            notes.append(note("uncoded-qualitative", source))
            return None
    elif any(isinstance(key, str) and key.startswith("value") for key in resource):
        notes.append(note("value-not-quantity", source))
        return None
    else:
        notes.append(note("no-value", source))
        return None

    if isinstance(normalised, Refused):
        notes.append(note(normalised.reason, source))
        return None
    if normalised is not None and normalised.comparator is not None:
        notes.append(note("value-at-bound", source))

    if series in FLAG_SERIES:
        if normalised is not None:
            flag = flag_of(resource, series, group, normalised)
        elif series is Series.RBC_CASTS:  # coded: positive/present is the flag
            flag = coded
        elif series is Series.ANTI_DSDNA:
            flag = _dsdna_raised(resource, group, None, coded)

    if normalised is not None:
        value: float | None = normalised.value
        unit = normalised.unit
        reported_value = normalised.reported_value
        reported_unit = normalised.reported_unit
        comparator = normalised.comparator
        converted_from = None if normalised.conversion is None else normalised.conversion.unit
    else:
        value = None
        unit = group.canonical
        concept = resource.get("valueCodeableConcept")
        reported_value = _concept_label(concept) if concept is not None else str(coded).lower()
        reported_unit = ""
        comparator = None
        converted_from = None

    return Measurement(
        series=series,
        date=when.date,
        value=value,
        unit=unit,
        reported_value=reported_value,
        reported_unit=reported_unit,
        code=ocode.code,
        source=source,
        timestamp=when.timestamp,
        issued=parse_timestamp(resource.get("issued")),
        comparator=comparator,
        flag=flag,
        kind=ocode.kind,
        converted_from=converted_from,
    )


def flag_of(
    resource: JsonObject, series: Series, group: UnitGroup, value: Normalised
) -> bool | None:
    """The qualitative flag of a numeric result of a flag series (both readers use it)."""
    if series is Series.RBC_CASTS:
        return _cast_positive(value)
    if series is Series.ANTI_DSDNA:
        return _dsdna_raised(resource, group, value, None)
    return _complement_low(resource, group, value)


def priority_of(ocode: ObservationCode) -> int:
    """Same-day preference of a code within its series (lower wins)."""
    if ocode.kind is not None:
        return KIND_PRIORITY[ocode.kind]
    return ocode.priority
