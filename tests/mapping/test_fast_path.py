"""The fast reader of well-formed results agrees with the general reader, always.

`observations_fast.fast_read` only accepts inputs on which `read_observation` writes no note;
on those it must build exactly the same `Measurement`. Checked on every Observation shipped
in the repository's FHIR fixtures (mapping fixtures, the clinical scenarios, the demo cohort)
and on generated variations of a well-formed result.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mapping.fhirjson import source_of
from fhir_mapping.observations import read_observation
from fhir_mapping.observations_fast import DateMemo, fast_read, match_target
from fhir_mapping.record import Note

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIRS = [ROOT / "tests" / "mapping" / "data", ROOT / "tests" / "data", ROOT / "cds" / "demo"]
AS_OF = date(2030, 1, 1)


def _resources(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object with a resourceType, at any depth (bundle entries, contained)."""
    if isinstance(value, dict):
        if isinstance(value.get("resourceType"), str):
            yield value
        for child in value.values():
            yield from _resources(child)
    elif isinstance(value, list):
        for child in value:
            yield from _resources(child)


def _fixture_observations() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for folder in FIXTURE_DIRS:
        for path in sorted(folder.rglob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue  # the deliberately broken fixtures
            found.extend(r for r in _resources(data) if r.get("resourceType") == "Observation")
    return found


OBSERVATIONS = _fixture_observations()


def _both_readers(resource: dict[str, Any]) -> tuple[Any, Any, list[Note]] | None:
    """(fast result, general result, general notes) for a resource of one of our codes."""
    target = match_target(resource)
    source = source_of(resource)
    if target is None or source is None:
        return None
    fast = fast_read(resource, source, target, AS_OF, DateMemo())
    notes: list[Note] = []
    general = read_observation(resource, source, target.ocode, AS_OF, notes)
    return fast, general, notes


def test_fixtures_hold_many_observations_of_our_codes() -> None:
    ours = [r for r in OBSERVATIONS if match_target(r) is not None]
    assert len(ours) > 500


def test_fast_reader_accepts_most_fixture_results() -> None:
    """The fast path must actually be taken for the common shape, or it is dead weight."""
    results = [_both_readers(r) for r in OBSERVATIONS]
    taken = [r for r in results if r is not None and r[0] is not None]
    assert len(taken) > 0.8 * len([r for r in results if r is not None])


def test_fast_reader_equals_general_reader_on_every_fixture_result() -> None:
    checked = 0
    for resource in OBSERVATIONS:
        both = _both_readers(resource)
        if both is None or both[0] is None:
            continue
        fast, general, notes = both
        assert fast == general, resource.get("id")
        assert notes == [], resource.get("id")
        checked += 1
    assert checked > 0


WELL_FORMED: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "gen",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2890-2"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-01T08:30:00+01:00",
    "issued": "2024-03-01T12:00:00Z",
    "valueQuantity": {
        "value": 1.2,
        "unit": "g/g",
        "system": "http://unitsofmeasure.org",
        "code": "g/g",
    },
}

CODES_AND_UNITS = [
    ("2890-2", ["g/g", "mg/g", "mg/mg", "mg/mmol", "g/mmol", "mg/mmol{creat}", "mg/dL", "xyz"]),
    ("2889-4", ["mg/(24.h)", "g/(24.h)", "g/d", "mg/d", "g/g"]),
    ("2160-0", ["mg/dL", "umol/L", "µmol/L", "mmol/L", "mg/L", "g/L"]),
    ("14682-9", ["umol/L", "mg/dL"]),
    ("98979-8", ["mL/min/{1.73_m2}", "mL/min/1.73m2", "mL/min"]),
    ("4485-9", ["mg/dL", "g/L", "mg/L"]),
    ("4498-2", ["mg/dL", "g/L"]),
    ("5130-0", ["[iU]/mL", "IU/mL", "U/mL"]),
    ("13945-1", ["/[HPF]", "{cells}/[HPF]"]),
    ("777-3", ["10*3/uL", "10*9/L", "/uL"]),
    ("9318-7", ["mg/g", "mg/mmol"]),
    ("1751-7", ["g/dL", "g/L"]),
]

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from(["1.2", None, True, [], {}]),
)
dates = st.sampled_from(
    [
        "2024-03-01",
        "2024-03-01T08:30:00Z",
        "2024-03-01T23:30:00-05:00",
        "2024-03-01T08:30:00.123+01:00",
        "2024-03",
        "2024",
        "2024-02-30",
        "2031-01-01",
        "2029-12-31T23:59:59+14:00",
        "not a date",
        "",
        7,
        None,
    ]
)


@st.composite
def observations(draw: st.DrawFn) -> dict[str, Any]:
    resource = copy.deepcopy(WELL_FORMED)
    code, units = draw(st.sampled_from(CODES_AND_UNITS))
    resource["code"]["coding"][0]["code"] = code
    quantity = resource["valueQuantity"]
    quantity["value"] = draw(values)
    quantity["code"] = draw(st.sampled_from(units))
    quantity["unit"] = draw(st.sampled_from([quantity["code"], "as printed", None, 3]))
    if quantity["unit"] is None:
        del quantity["unit"]
    if draw(st.booleans()):
        quantity["system"] = draw(st.sampled_from(["http://example.org/units", None]))
    if draw(st.integers(0, 5)) == 0:
        quantity["comparator"] = draw(st.sampled_from(["<", ">=", "~"]))
    resource["status"] = draw(
        st.sampled_from(["final", "amended", "corrected", "preliminary", "entered-in-error", 1])
    )
    resource["effectiveDateTime"] = draw(dates)
    issued = draw(st.sampled_from(["2024-03-02T09:00:00Z", "2024-03-02", "garbage", None]))
    if issued is None:
        del resource["issued"]
    else:
        resource["issued"] = issued
    if draw(st.booleans()):
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": draw(st.sampled_from(["L", "N", "H", "A", "POS", "XX"])),
                    }
                ]
            }
        ]
    if draw(st.booleans()):
        low = draw(st.sampled_from([0.9, 90, None]))
        high = draw(st.sampled_from([1.8, 180, None]))
        ref: dict[str, Any] = {}
        if low is not None:
            ref["low"] = {"value": low, "system": "http://unitsofmeasure.org", "code": "g/L"}
        if high is not None:
            ref["high"] = {"value": high, "system": "http://unitsofmeasure.org", "code": "g/L"}
        resource["referenceRange"] = [ref]
    return resource


@settings(max_examples=600, deadline=None)
@given(observations())
def test_fast_reader_equals_general_reader_on_generated_results(resource: dict[str, Any]) -> None:
    both = _both_readers(resource)
    assert both is not None
    fast, general, notes = both
    if fast is not None:
        assert fast == general
        assert notes == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "preliminary"),
        ("effectiveDateTime", "2024-03"),
        ("valueQuantity", {"value": 1.0, "comparator": "<", "code": "g/g"}),
    ],
)
def test_fast_reader_declines_shapes_that_need_a_note(field: str, value: Any) -> None:
    resource = copy.deepcopy(WELL_FORMED)
    resource[field] = value
    both = _both_readers(resource)
    assert both is not None
    assert both[0] is None
    assert both[2] != []


UCUM = "http://unitsofmeasure.org"
limit_values = st.one_of(
    st.sampled_from([0.9, 90, 0, -1.0, 1e308, float("inf"), float("nan"), 2**60, True, "0.9"]),
    st.floats(min_value=0, max_value=500),
    st.none(),
)
limit_quantities = st.fixed_dictionaries(
    {},
    optional={
        "value": limit_values,
        "code": st.sampled_from(["g/L", "mg/dL", "mg/L", "", "xyz", None, 7]),
        "system": st.sampled_from([UCUM, "http://example.org/units", None]),
        "unit": st.sampled_from(["mg/dL", "g/L", " ", "as printed", None]),
    },
)
reference_ranges = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {},
                optional={"low": st.one_of(limit_quantities, st.just("90")), "text": st.just("")},
            ),
            st.just("not a range"),
        ),
        max_size=3,
    ),
    st.just({"low": {"value": 0.9, "code": "g/L", "system": UCUM}}),
    st.none(),
)


@settings(max_examples=800, deadline=None)
@given(
    code=st.sampled_from(["4485-9", "4498-2"]),
    unit=st.sampled_from(["mg/dL", "g/L"]),
    value=st.floats(min_value=0, max_value=400),
    ranges=reference_ranges,
    interpretation=st.sampled_from([None, "L", "N", "H"]),
)
def test_fast_reader_judges_complement_limits_as_the_general_reader(
    code: str, unit: str, value: float, ranges: Any, interpretation: str | None
) -> None:
    """C3/C4 low flags: the fast reader's shortcut for a UCUM low limit agrees everywhere."""
    resource = copy.deepcopy(WELL_FORMED)
    resource["code"]["coding"][0]["code"] = code
    resource["valueQuantity"].update({"value": value, "code": unit, "unit": unit})
    if ranges is not None:
        resource["referenceRange"] = ranges
    if interpretation is not None:
        resource["interpretation"] = [
            {"coding": [{"system": UCUM.replace("unitsofmeasure.org", "x"), "code": "L"}]},
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": interpretation,
                    }
                ]
            },
        ]
    both = _both_readers(resource)
    assert both is not None
    fast, general, notes = both
    assert fast is not None  # a well-formed result: the fast reader takes it
    assert fast == general
    assert notes == []
