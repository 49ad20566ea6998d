"""The hot path of the mapping: a well-formed laboratory result read in the fewest steps.

Ten years of labs are thousands of Observations per hook call, nearly all of one shape: a
counted status, a full `effectiveDateTime`, a UCUM-coded `valueQuantity`. `fast_read`
reads exactly that shape and nothing else; for any other input it returns None and the
caller hands the resource to `fhir_mapping.observations.read_observation`, which reads it
from scratch and writes the notes. Since this path never writes a note and accepts only
inputs on which the general reader adds none, both give the same `Measurement` for every
input this path accepts (`tests/mapping/test_fast_path.py` checks this on every fixture).

Dates and timestamps are parsed once per distinct string per hook call (`DateMemo`): the
results of one blood draw share their `effectiveDateTime` and `issued`. The memo lives
for one call only; nothing is cached across patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from math import isfinite
from typing import Any, NamedTuple

from fhir_mapping.dates import parse_date, parse_timestamp
from fhir_mapping.fhirjson import JsonObject
from fhir_mapping.observations import (
    COUNTED_STATUSES,
    FLAG_SERIES,
    flag_of,
    match_code,
    priority_of,
)
from fhir_mapping.record import Measurement, Series, Source
from fhir_mapping.units import Normalised
from fhir_mapping.valuesets import (
    OBSERVATION_CODES,
    UCUM,
    UNIT_GROUPS,
    Conversion,
    ObservationCode,
    UnitGroup,
)

_EXACT_INT = 2**53  # a larger JSON integer goes to the general reader (float overflow there)
new_tuple = tuple.__new__  # builds a NamedTuple in one C call (what `_make` does)


class Target(NamedTuple):
    """What reading a result of one code needs, looked up once per code rather than per result."""

    ocode: ObservationCode
    group: UnitGroup
    priority: int  # same-day preference (lower wins)
    flagged: bool  # the series carries a qualitative flag (casts, C3/C4, anti-dsDNA)


TARGETS: Mapping[tuple[str, str], Target] = {
    key: Target(o, UNIT_GROUPS[o.unit_group], priority_of(o), o.series in FLAG_SERIES)
    for key, o in OBSERVATION_CODES.items()
}


def match_target(resource: JsonObject) -> Target | None:
    """The `Target` of the first coding that names one of our series (`match_code`)."""
    ocode = match_code(resource)
    return None if ocode is None else TARGETS[(ocode.system, ocode.code)]


class DateMemo:
    """Dates and timestamps already parsed in this hook call, by the exact string."""

    __slots__ = ("effective", "stamps")

    def __init__(self) -> None:
        # effectiveDateTime → (date, timestamp), or None: not a full date (general reader)
        self.effective: dict[str, tuple[date, datetime | None] | None] = {}
        self.stamps: dict[str, datetime | None] = {}  # issued → its timestamp

    def effective_of(self, value: str) -> tuple[date, datetime | None] | None:
        try:
            return self.effective[value]
        except KeyError:
            pass
        found: tuple[date, datetime | None] | None = None
        parsed = parse_date(value)
        if parsed is not None and not parsed[1]:  # a partial date is the general reader's
            found = (parsed[0], parse_timestamp(value) if len(value) > 10 else None)
        self.effective[value] = found
        return found

    def stamp_of(self, value: object) -> datetime | None:
        if type(value) is not str:
            return parse_timestamp(value)
        try:
            return self.stamps[value]
        except KeyError:
            stamp = self.stamps[value] = parse_timestamp(value)
            return stamp


_UNREAD: Any = object()  # `_complement_low`: not the common shape, ask `flag_of`
_COMPLEMENT = frozenset({Series.C3, Series.C4})


def _complement_low(resource: JsonObject, series: Series, group: UnitGroup, value: float) -> Any:
    """C3/C4 below the low limit, as `flag_of` judges it, for the common shape only.

    The shape: no `interpretation`, and a first reference range whose `low` is a UCUM
    quantity with a finite number and a non-empty code. Then the flag is `value < low` in
    the canonical unit (None when the low limit's unit is not one of the series), exactly
    as `observations._complement_low` finds it. Anything else returns `_UNREAD`.
    """
    if series not in _COMPLEMENT or group.keep_any_unit:
        return _UNREAD
    if resource.get("interpretation") is not None:
        return _UNREAD
    ranges = resource.get("referenceRange")
    if type(ranges) is not list or not ranges or type(ranges[0]) is not dict:
        return _UNREAD
    low = ranges[0].get("low")
    if type(low) is not dict or low.get("system") != UCUM:
        return _UNREAD
    raw = low.get("value")
    code = low.get("code")
    if type(code) is not str or not code:
        return _UNREAD
    if type(raw) is float:
        if not isfinite(raw):
            return _UNREAD
        bound = raw
    elif type(raw) is int and -_EXACT_INT <= raw <= _EXACT_INT:
        bound = float(raw)
    else:
        return _UNREAD
    conversion = group.lookup(code)
    if conversion is None:
        return None  # a limit in a unit the series does not know is no limit
    limit = conversion.apply(bound)
    if not isfinite(limit):
        return None
    return value < limit


def fast_read(
    resource: JsonObject, source: Source, target: Target, as_of: date, dates: DateMemo
) -> Measurement | None:
    """The result as a `Measurement` if it has the common shape, else None (read it in full).

    The shape: status final/amended/corrected; `effectiveDateTime` a full date (with or
    without time) on or before `as_of`; `valueQuantity` with a finite, non-negative number,
    no comparator, the UCUM system and a `code` in a unit of the series. A lookup that
    raises (a wrong JSON type anywhere) also sends the resource to the general reader.
    """
    try:
        if resource["status"] not in COUNTED_STATUSES:
            return None
        effective = resource["effectiveDateTime"]
        quantity = resource["valueQuantity"]
        if quantity.get("comparator") is not None or quantity.get("system") != UCUM:
            return None
        raw = quantity["value"]
        unit = quantity["code"]
    except (KeyError, TypeError, AttributeError):
        return None
    if type(effective) is not str or type(unit) is not str or not unit:
        return None
    when = dates.effective_of(effective)
    if when is None or when[0] > as_of:
        return None
    if type(raw) is float:
        if not isfinite(raw) or raw < 0:
            return None
        value: float = raw
        reported_value = repr(raw)
    elif type(raw) is int and 0 <= raw <= _EXACT_INT:
        value = float(raw)
        reported_value = str(raw)
    else:
        return None
    group = target.group
    conversion: Conversion | None = None
    if group.keep_any_unit:
        if not unit.strip():
            return None
        canonical_unit = unit
    else:
        conversion = group.lookup(unit)
        if conversion is None:
            return None
        value = value / conversion.factor if conversion.divide else value * conversion.factor
        if not isfinite(value):
            return None
        canonical_unit = group.canonical
    reported_unit = quantity.get("unit")
    if not isinstance(reported_unit, str):
        reported_unit = unit
    ocode = target.ocode
    flag: bool | None = None
    if target.flagged and (
        ocode.series is Series.RBC_CASTS  # the flag is the count itself
        # C3/C4 and anti-dsDNA without either have no flag: no lab limit is ever guessed
        or resource.get("interpretation") is not None
        or resource.get("referenceRange") is not None
    ):
        flag = _complement_low(resource, ocode.series, group, value)
        if flag is _UNREAD:
            normalised = Normalised(
                value, canonical_unit, reported_value, reported_unit, None, conversion
            )
            flag = flag_of(resource, ocode.series, group, normalised)
    issued = resource.get("issued")
    return new_tuple(
        Measurement,
        (
            ocode.series,
            when[0],
            value,
            canonical_unit,
            reported_value,
            reported_unit,
            ocode.code,
            source,
            when[1],
            None if issued is None else dates.stamp_of(issued),
            None,
            flag,
            ocode.kind,
            None if conversion is None else conversion.unit,
        ),
    )
