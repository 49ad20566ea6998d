"""The terminology LN-CDS reads, loaded once from `valuesets.json` into lookup indexes.

Codes are data, not code: `valuesets.json` (versioned) holds every LOINC, SNOMED CT,
ICD-10(-CM) and RxNorm code of clinical.md §2 and the unit tables; this module only turns
it into dictionaries keyed the way the mapping looks things up (system + code), so the hot
path is a handful of dict lookups per resource. `tests/mapping/test_valuesets.py` pins
every code to its meaning independently of the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fhir_mapping.record import DrugClass, ProteinuriaKind, Series

_DATA: dict[str, Any] = json.loads(
    resources.files("fhir_mapping").joinpath("valuesets.json").read_text(encoding="utf-8")
)

VERSION: str = _DATA["version"]
SYSTEMS: Mapping[str, str] = dict(_DATA["systems"])

LOINC = SYSTEMS["loinc"]
SNOMED = SYSTEMS["snomed"]
ICD10CM = SYSTEMS["icd10cm"]
ICD10 = SYSTEMS["icd10"]
RXNORM = SYSTEMS["rxnorm"]
UCUM = SYSTEMS["ucum"]
PROJECT = SYSTEMS["project"]

ICD_SYSTEMS = frozenset({ICD10CM, ICD10})


def _system(name: str) -> str:
    """A system named in the data file: a short name from `systems`, else a full URL."""
    return SYSTEMS.get(name, name)


def normalise_code(system: str, code: str) -> str:
    """ICD codes are compared without dots and case-insensitively; others as written."""
    code = code.strip()
    if system in ICD_SYSTEMS:
        return code.replace(".", "").upper()
    return code


_UNIT_TRANSLATION = str.maketrans({"µ": "u", "μ": "u", "²": "2"})


_UNIT_KEYS: dict[str, str] = {}  # memo: labs repeat the same few unit strings


def normalise_unit(unit: str) -> str:
    """The key a unit string is matched by: case-insensitive, µ = u, no whitespace."""
    key = _UNIT_KEYS.get(unit)
    if key is None:
        key = "".join(unit.translate(_UNIT_TRANSLATION).lower().split())
        if len(_UNIT_KEYS) < 4096:  # bounded: garbage input cannot grow it without limit
            _UNIT_KEYS[unit] = key
    return key


# --- observations -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObservationCode:
    """One LOINC (or project) code and the series it feeds."""

    system: str
    code: str
    series: Series
    unit_group: str
    display: str
    kind: ProteinuriaKind | None = None
    method: str | None = None  # reported eGFR: the equation the lab used
    priority: int = 1  # same-day preference within a series (reported eGFR: 98979-8 first)


OBSERVATION_CODES: Mapping[tuple[str, str], ObservationCode] = {
    (_system(e["system"]), e["code"]): ObservationCode(
        system=_system(e["system"]),
        code=e["code"],
        series=Series(e["series"]),
        unit_group=e["units"],
        display=e["display"],
        kind=ProteinuriaKind(e["kind"]) if "kind" in e else None,
        method=e.get("method"),
        priority=int(e.get("priority", 1)),
    )
    for e in _DATA["observations"]
}


# --- units --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversion:
    """value × factor or value ÷ factor: dividing keeps published factors exact (÷ 88.4)."""

    unit: str  # the UCUM code the reported unit was recognised as
    divide: bool
    factor: float

    def apply(self, value: float) -> float:
        return value / self.factor if self.divide else value * self.factor


@dataclass(frozen=True, slots=True)
class UnitGroup:
    """The units one series accepts, and how each converts to the canonical unit."""

    name: str
    canonical: str
    conversions: Mapping[str, Conversion]  # normalised unit key → conversion
    unitless: bool = False  # a bare number is accepted (sediment counts, scores)
    keep_any_unit: bool = False  # values are kept as reported, never converted (antibodies)
    other_kind: str | None = None  # the proteinuria group of the other measurement kind
    not_indexed: frozenset[str] = frozenset()  # eGFR units that are clearances, not eGFR
    _memo: dict[str, Conversion | None] = field(default_factory=dict, compare=False, repr=False)

    def lookup(self, unit: str) -> Conversion | None:
        """The conversion of a unit string (memoised per raw string: labs repeat units)."""
        try:
            return self._memo[unit]
        except KeyError:
            found = self.conversions.get(normalise_unit(unit))
            if len(self._memo) < 1024:
                self._memo[unit] = found
            return found


def _unit_group(name: str, raw: Mapping[str, Any]) -> UnitGroup:
    conversions: dict[str, Conversion] = {}
    for code, (op, factor) in raw["units"].items():
        if op not in ("*", "/"):
            raise ValueError(f"valuesets.json: bad conversion for {name} {code}")
        conversions[normalise_unit(code)] = Conversion(code, op == "/", float(factor))
    for alias, target in raw.get("aliases", {}).items():
        conversions[normalise_unit(alias)] = conversions[normalise_unit(target)]
    return UnitGroup(
        name=name,
        canonical=raw["canonical"],
        conversions=conversions,
        unitless=bool(raw.get("unitless", False)),
        keep_any_unit=bool(raw.get("keep_any_unit", False)),
        other_kind=raw.get("other_kind"),
        not_indexed=frozenset(normalise_unit(u) for u in raw.get("not_indexed", ())),
    )


UNIT_GROUPS: Mapping[str, UnitGroup] = {
    name: _unit_group(name, raw) for name, raw in _DATA["unit_groups"].items()
}

TIMING_SYSTEM: str = _DATA["timing_codes"]["system"]
TIMING_PER_DAY: Mapping[str, int] = dict(_DATA["timing_codes"]["per_day"])

_INTERP = _DATA["interpretation"]
INTERPRETATION_SYSTEMS = frozenset(_INTERP["systems"])
INTERPRETATION_LOW = frozenset(_INTERP["low"])
INTERPRETATION_NOT_LOW = frozenset(_INTERP["not_low"])
INTERPRETATION_RAISED = frozenset(_INTERP["raised"])
INTERPRETATION_NOT_RAISED = frozenset(_INTERP["not_raised"])

_QUAL = _DATA["qualitative"]
CODED_POSITIVE = frozenset((_system(e["system"]), e["code"]) for e in _QUAL["positive"])
CODED_NEGATIVE = frozenset((_system(e["system"]), e["code"]) for e in _QUAL["negative"])
POSITIVE_WORDS = frozenset(w.lower() for w in _QUAL["positive_words"])
NEGATIVE_WORDS = frozenset(w.lower() for w in _QUAL["negative_words"])


# --- conditions ---------------------------------------------------------------------------

ROLE_SLE = "sle"
ROLE_LN = "ln"
ROLE_DRUG_INDUCED = "drug-induced-lupus"
ROLE_KIDNEY_FAILURE = "kidney-failure"
_ROLES = frozenset({ROLE_SLE, ROLE_LN, ROLE_DRUG_INDUCED, ROLE_KIDNEY_FAILURE})


@dataclass(frozen=True, slots=True)
class ConditionCode:
    system: str
    code: str  # as written in the data file (ICD with its dot)
    role: str
    display: str
    ln_class: str | None = None
    family: bool = False  # ICD: also matches this code plus one more character (M32.1x)
    requires: tuple[str, str] | None = None  # (system, normalised code) needed in the record


def _condition_code(e: Mapping[str, Any]) -> ConditionCode:
    if e["role"] not in _ROLES:
        raise ValueError(f"valuesets.json: unknown condition role {e['role']}")
    requires = None
    if "requires" in e:
        req_system, req_code = e["requires"].split("|", 1)
        requires = (_system(req_system), normalise_code(_system(req_system), req_code))
    return ConditionCode(
        system=_system(e["system"]),
        code=e["code"],
        role=e["role"],
        display=e["display"],
        ln_class=e.get("ln_class"),
        family=bool(e.get("family", False)),
        requires=requires,
    )


def _condition_index(
    entries: list[ConditionCode], *, family: bool
) -> Mapping[tuple[str, str], tuple[ConditionCode, ...]]:
    index: dict[tuple[str, str], list[ConditionCode]] = {}
    for c in entries:
        if family and not c.family:
            continue
        index.setdefault((c.system, normalise_code(c.system, c.code)), []).append(c)
    return {k: tuple(v) for k, v in index.items()}


CONDITION_CODE_LIST: tuple[ConditionCode, ...] = tuple(
    _condition_code(e) for e in _DATA["conditions"]
)
_CONDITION_EXACT = _condition_index(list(CONDITION_CODE_LIST), family=False)
_CONDITION_FAMILY = _condition_index(list(CONDITION_CODE_LIST), family=True)


def condition_codes(system: str, code: str) -> tuple[ConditionCode, ...]:
    """Every value-set entry a coding matches: exact, or an ICD family (M32.1 → M32.1x)."""
    key = normalise_code(system, code)
    found = _CONDITION_EXACT.get((system, key), ())
    if system in ICD_SYSTEMS and len(key) > 1:
        family = _CONDITION_FAMILY.get((system, key[:-1]), ())
        if family:
            found = found + family
    return found


# --- medications --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ingredient:
    name: str  # normalised ingredient name, e.g. "mycophenolate mofetil"
    drug_class: DrugClass
    rxnorm: tuple[str, ...]
    names: tuple[str, ...]  # ingredient names and brands, as written in the data file


INGREDIENTS: tuple[Ingredient, ...] = tuple(
    Ingredient(
        name=e["ingredient"],
        drug_class=DrugClass(e["class"]),
        rxnorm=tuple(e["rxnorm"]),
        names=tuple(e["names"]),
    )
    for e in _DATA["medications"]
)
INGREDIENT_ORDER: Mapping[str, int] = {ing.name: i for i, ing in enumerate(INGREDIENTS)}
INGREDIENTS_BY_RXNORM: Mapping[str, Ingredient] = {
    code: ing for ing in INGREDIENTS for code in ing.rxnorm
}
INGREDIENTS_BY_NAME: Mapping[str, Ingredient] = {
    name.lower(): ing for ing in INGREDIENTS for name in ing.names
}
# One alternation, longest name first, bounded by non-letters so that "prednisolone" is
# not found inside "methylprednisolone". Compiled once; matched against lower-cased text.
NAME_PATTERN: re.Pattern[str] = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(n) for n in sorted(INGREDIENTS_BY_NAME, key=len, reverse=True))
    + r")(?![a-z])"
)


def ingredients_in_text(text: str) -> list[Ingredient]:
    """Ingredients named (by ingredient or brand name) anywhere in a display or text."""
    return [INGREDIENTS_BY_NAME[m] for m in NAME_PATTERN.findall(text.lower())]


# Local (non-systemic) forms: whole words or brands in a name, dose form or route text, or a
# route code. Not treatment for the rules (tacrolimus ointment, ciclosporin eye drops).
_LOCAL = _DATA["local_forms"]
LOCAL_FORM_WORDS: tuple[str, ...] = tuple(w.lower() for w in (*_LOCAL["words"], *_LOCAL["brands"]))
LOCAL_FORM_PATTERN: re.Pattern[str] = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(w) for w in sorted(LOCAL_FORM_WORDS, key=len, reverse=True))
    + r")(?![a-z])"
)
LOCAL_ROUTE_CODES = frozenset((_system(e["system"]), e["code"]) for e in _LOCAL["route_codes"])


def names_local_form(text: str) -> bool:
    """Does a name, dose form or route text name a local (non-systemic) form?"""
    return LOCAL_FORM_PATTERN.search(text.lower()) is not None
