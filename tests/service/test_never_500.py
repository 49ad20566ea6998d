"""Nothing a client can put in a prefetch resource turns into a 500 (property-based)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import SERVICE_URL, hook_body, load_prefetch

# Valid JSON (RFC 8259) only: no NaN/Infinity, no lone surrogates (those are refused as a
# whole request with 400: test_non_standard_json_is_a_400_not_a_500 below).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
FIELDS = st.sampled_from(
    ["valueQuantity", "effectiveDateTime", "effectivePeriod", "issued", "code", "status",
     "subject", "referenceRange", "interpretation", "valueCodeableConcept", "dosageInstruction",
     "authoredOn", "onsetDateTime", "verificationStatus", "birthDate", "gender", "resourceType"]
)  # fmt: skip
KEYS = st.sampled_from(
    ["patient", "conditions", "proteinuria", "kidneyFunction", "medicationRequests"]
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=KEYS, field=FIELDS, value=JSON)
def test_junk_in_a_prefetched_resource_never_gives_a_500(
    app: Flask, key: str, field: str, value: Any
) -> None:
    prefetch = load_prefetch()
    resource = prefetch[key] if key == "patient" else prefetch[key]["entry"][0]["resource"]
    resource[field] = value
    response = app.test_client().post(SERVICE_URL, json=hook_body(prefetch))
    assert response.status_code in (200, 412), response.get_data(as_text=True)


@pytest.mark.parametrize(
    "junk",
    [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e999",  # overflows a double
        b'"\\ud800"',  # a lone surrogate
    ],
)
def test_non_standard_json_is_a_400_not_a_500(app: Flask, junk: bytes) -> None:
    """What some JSON libraries accept but RFC 8259 does not: refused as malformed JSON."""
    body = json.dumps(hook_body(load_prefetch())).encode()
    body = body.replace(b'"status": "final"', b'"status": ' + junk, 1)
    assert junk in body
    response = app.test_client().post(
        SERVICE_URL, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["diagnostics"] == "request body is not valid JSON"
