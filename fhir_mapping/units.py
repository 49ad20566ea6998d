"""Unit normalisation per series (clinical.md §2 "Units").

A Quantity's unit is taken from `code` when `system` is UCUM, else from the printed `unit`,
matched case-insensitively with µ = u and whitespace ignored. Each series accepts only
the units of its group in `valuesets.json`; anything else is refused with a reason (which
becomes a note), never guessed. Conversion factors live in the data file; this module
only applies them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from fhir_mapping.fhirjson import format_number, number, text
from fhir_mapping.valuesets import UCUM, UNIT_GROUPS, Conversion, UnitGroup, normalise_unit

COMPARATORS = frozenset({"<", "<=", ">=", ">"})


class Normalised(NamedTuple):
    """A value in its series' canonical unit, with what the lab wrote (a tuple: hot path)."""

    value: float
    unit: str  # canonical unit (for values kept as reported: the reported unit)
    reported_value: str
    reported_unit: str
    comparator: str | None = None
    conversion: Conversion | None = None  # None: unitless or kept as reported


class Refused(NamedTuple):
    """Why a quantity cannot be used: a note code of `fhir_mapping.notes`."""

    reason: str


def quantity_unit(quantity: Mapping[str, Any]) -> str | None:
    """The unit string to match: the UCUM `code` if the system is UCUM, else `unit`."""
    if quantity.get("system") == UCUM:
        code = text(quantity.get("code"))
        if code is not None:
            return code
    unit = quantity.get("unit")
    if isinstance(unit, str) and unit.strip():
        return unit
    code = text(quantity.get("code"))
    if code is not None and quantity.get("system") is None:
        return code
    return None


def _refuse_unit(unit: str, group: UnitGroup) -> Refused:
    key = normalise_unit(unit)
    if group.other_kind is not None and UNIT_GROUPS[group.other_kind].lookup(unit) is not None:
        return Refused("proteinuria-unit-kind-mismatch")
    if key in group.not_indexed:
        return Refused("egfr-not-indexed")
    return Refused("unknown-unit")


def convert(
    value: float, unit: str | None, group: UnitGroup
) -> tuple[float, str, Conversion | None] | Refused:
    """(value in canonical unit, canonical unit, conversion) or why not."""
    if unit is None or not unit.strip():
        if group.unitless:
            return value, group.canonical, None
        return Refused("missing-unit")
    if group.keep_any_unit:
        return value, unit, None
    conversion = group.lookup(unit)
    if conversion is None:
        return _refuse_unit(unit, group)
    result = conversion.apply(value)
    if not math.isfinite(result):
        return Refused("value-not-numeric")
    return result, group.canonical, conversion


def normalise_quantity(quantity: Any, group: UnitGroup) -> Normalised | Refused:
    """A FHIR Quantity normalised to the group's canonical unit, or why it cannot be."""
    if not isinstance(quantity, dict):
        return Refused("value-not-quantity")
    raw = quantity.get("value")
    value = number(raw)
    if value is None:
        return Refused("value-not-numeric")
    comparator = quantity.get("comparator")
    if comparator is not None and (
        not isinstance(comparator, str) or comparator not in COMPARATORS
    ):
        return Refused("unsupported-comparator")
    if value < 0:
        return Refused("negative-value")
    unit = quantity_unit(quantity)
    converted = convert(value, unit, group)
    if isinstance(converted, Refused):
        return converted
    canonical_value, canonical_unit, conversion = converted
    reported_unit = quantity.get("unit")
    if not isinstance(reported_unit, str):
        reported_unit = unit or ""
    return Normalised(
        value=canonical_value,
        unit=canonical_unit,
        reported_value=format_number(raw),
        reported_unit=reported_unit,
        comparator=comparator,
        conversion=conversion,
    )


def normalise_count(raw: Any, group: UnitGroup) -> Normalised | Refused:
    """A bare number (`valueInteger`): only for groups that accept unitless values."""
    value = number(raw)
    if value is None:
        return Refused("value-not-numeric")
    if not group.unitless:
        return Refused("missing-unit")
    if value < 0:
        return Refused("negative-value")
    return Normalised(
        value=value,
        unit=group.canonical,
        reported_value=format_number(raw),
        reported_unit="",
    )


def to_canonical(quantity: Any, group: UnitGroup, *, default: Conversion | None) -> float | None:
    """A bound (e.g. referenceRange.low) in the canonical unit, or None if unusable.

    A bound without a unit is read in the unit of the value it belongs to (`default`).
    """
    q = quantity if isinstance(quantity, dict) else None
    if q is None:
        return None
    value = number(q.get("value"))
    if value is None:
        return None
    unit = quantity_unit(q)
    if unit is None:
        return default.apply(value) if default is not None else value
    conversion = group.lookup(unit)
    if conversion is None:
        return None
    result = conversion.apply(value)
    return result if math.isfinite(result) else None


def mg_of_dose(quantity: Any) -> float | None:
    """A dose Quantity in mg (mg or g only), or None."""
    if not isinstance(quantity, dict):
        return None
    value = number(quantity.get("value"))
    unit = quantity_unit(quantity)
    if value is None or value < 0 or unit is None:
        return None
    conversion = UNIT_GROUPS["dose_mass"].lookup(unit)
    if conversion is None:
        return None
    result = conversion.apply(value)
    return result if math.isfinite(result) else None


def days_of(value: Any, unit: Any) -> float | None:
    """A duration in days, from a value and a UCUM time unit (s, min, h, d, wk, mo, a)."""
    v = number(value)
    if v is None or v < 0 or not isinstance(unit, str):
        return None
    conversion = UNIT_GROUPS["duration_days"].lookup(unit)
    if conversion is None:
        return None
    result = conversion.apply(v)
    return result if math.isfinite(result) else None
