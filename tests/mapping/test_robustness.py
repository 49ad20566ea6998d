"""Property tests: no input, however malformed, makes build_record raise.

Arbitrary JSON trees, wrong types in every field, huge numbers, NaN and infinities, and
fixture resources with one part replaced by garbage all become notes (or are ignored).
"""

from __future__ import annotations

import contextlib
import copy
import math
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_mapping.bundle import InputError, resources_from_json
from fhir_mapping.extract import build_record
from fhir_mapping.notes import MESSAGES
from tests.mapping.conftest import load

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-02-03", "gender": "female"}
RESOURCE_TYPES = [
    "Patient",
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Medication",
    "Bundle",
]
FIELDS = [
    "id",
    "status",
    "code",
    "subject",
    "effectiveDateTime",
    "effectiveInstant",
    "effectivePeriod",
    "issued",
    "valueQuantity",
    "valueInteger",
    "valueCodeableConcept",
    "valueBoolean",
    "valueString",
    "referenceRange",
    "interpretation",
    "clinicalStatus",
    "verificationStatus",
    "onsetDateTime",
    "onsetPeriod",
    "recordedDate",
    "medicationCodeableConcept",
    "medicationReference",
    "contained",
    "authoredOn",
    "dispenseRequest",
    "dosageInstruction",
    "dosage",
    "ingredient",
    "birthDate",
    "gender",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-1e999",
            "",
            "2024-13-45",
            "2024-02",
            "2024",
            "2024-03-01T25:61:00Z",
            "mg/dL",
            "g/g",
            "final",
            "active",
            "#x",
            "Patient/p1",
            "Patient/p2",
            "http://loinc.org",
            "2890-2",
            "µmol/L",
        ]
    ),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    *FIELDS,
                    "value",
                    "unit",
                    "system",
                    "coding",
                    "reference",
                    "start",
                    "end",
                    "low",
                    "high",
                    "comparator",
                    "timing",
                    "repeat",
                    "doseAndRate",
                    "doseQuantity",
                    "dose",
                    "frequency",
                    "period",
                    "periodUnit",
                    "resource",
                    "entry",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)
garbage_resources = st.builds(
    lambda rtype, fields: {"resourceType": rtype, **fields},
    st.sampled_from(RESOURCE_TYPES),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8),
)
FIXTURE_RESOURCES = [
    r
    for name in ("observations.json", "conditions.json", "medications.json")
    for r in load(name)
    if r["resourceType"] != "Patient"
]


def _check(resources: list[Any], *, patient_id: str | None = "p1") -> None:
    record = build_record(resources, as_of=date(2024, 6, 30), patient_id=patient_id)
    for n in record.notes:
        assert n.message == MESSAGES[n.code]
    for series in record.measurements.values():
        for m in series:
            assert m.value is None or math.isfinite(m.value)
    for p in record.egfr:
        assert math.isfinite(p.value)


@SETTINGS
@given(st.lists(json_values, max_size=6))
def test_arbitrary_json_never_raises(items: list[Any]) -> None:
    _check([PATIENT, *items])


@SETTINGS
@given(st.lists(garbage_resources, max_size=8))
def test_resources_with_wrong_types_in_every_field_never_raise(items: list[Any]) -> None:
    _check([PATIENT, *items])


@SETTINGS
@given(st.lists(garbage_resources, max_size=4))
def test_garbage_without_patient_id_raises_only_input_error(items: list[Any]) -> None:
    with contextlib.suppress(InputError):
        _check(items, patient_id=None)


def _mutate(data: st.DataObject, resource: dict[str, Any]) -> dict[str, Any]:
    """Replace one node, anywhere in the resource, by garbage."""
    mutated = copy.deepcopy(resource)
    node: Any = mutated
    while True:
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            key = data.draw(st.integers(0, len(node) - 1))
        else:
            return mutated
        child = node[key]
        if not isinstance(child, dict | list) or data.draw(st.booleans()):
            node[key] = data.draw(json_values)
            return mutated
        node = child


@SETTINGS
@given(st.data())
def test_valid_resources_with_one_part_garbled_never_raise(data: st.DataObject) -> None:
    picked = data.draw(st.lists(st.sampled_from(FIXTURE_RESOURCES), min_size=1, max_size=5))
    _check([PATIENT, *(_mutate(data, r) for r in picked)])


@SETTINGS
@given(st.lists(st.sampled_from(FIXTURE_RESOURCES), max_size=30), st.integers(0, 3))
def test_valid_resources_in_any_order_give_the_same_record(picked: list[Any], seed: int) -> None:
    forward = build_record([PATIENT, *picked], as_of=date(2024, 6, 30))
    backward = build_record([PATIENT, *reversed(picked)], as_of=date(2024, 6, 30))
    assert forward.egfr == backward.egfr
    assert forward.sle_conditions == backward.sle_conditions
    assert set(forward.courses) == set(backward.courses)
    del seed


@SETTINGS
@given(json_values)
def test_reading_arbitrary_json_gives_resources_or_input_error(obj: Any) -> None:
    try:
        resources = resources_from_json(obj)
    except InputError:
        return
    assert all(isinstance(r, dict) for r in resources)
