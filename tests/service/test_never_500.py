"""Nothing a client can put in a prefetch resource turns into a 500 (property-based)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import SERVICE_URL, hook_body, load_prefetch

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
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
