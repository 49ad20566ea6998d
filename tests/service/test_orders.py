"""Draft orders are built without the FHIR model on the hot path, exactly as the model writes them.

`cds.cards.orders` validates each order shape once, at import; these tests pin that every
order a hook call can build (each test, each status in the reason, with or without
encounter, any requester form the request accepts) is what `ServiceRequest` validation and
serialisation would have produced, key order included.
"""

from __future__ import annotations

import json

import pytest

from cds.assessment import Status
from cds.cards.orders import ORDERABLE, service_request, validated

TESTS = [t for o in ORDERABLE.values() for t in o.tests]


@pytest.mark.parametrize(("code", "display", "text"), TESTS)
@pytest.mark.parametrize("encounter_id", [None, "enc-7.a"])
@pytest.mark.parametrize(
    "requester",
    [None, "Practitioner/nephro-1", "PractitionerRole/role-2", "Patient/p-1", "RelatedPerson/r"],
)
def test_each_order_is_what_the_r4_model_writes(
    code: str, display: str, text: str, encounter_id: str | None, requester: str | None
) -> None:
    for status in Status:
        built = service_request(
            code,
            display,
            text,
            patient_id="ln-flare-1",
            requester=requester,
            encounter_id=encounter_id,
            reason=f"Lupus nephritis monitoring ({status})",
        )
        assert json.dumps(built) == json.dumps(validated(built)), code
        assert built["status"] == "draft"
        assert built["intent"] == "order"
        assert ("requester" in built) is (
            requester is not None and requester.startswith("Practitioner")
        )


def test_each_order_is_a_fresh_object() -> None:
    """Cards are returned to Flask for encoding: no two orders share a nested object."""
    code, display, text = TESTS[0]
    one = service_request(
        code, display, text, patient_id="p", requester=None, encounter_id=None, reason="r"
    )
    two = service_request(
        code, display, text, patient_id="p", requester=None, encounter_id=None, reason="r"
    )
    one["category"][0]["coding"][0]["display"] = "changed"
    assert two["category"][0]["coding"][0]["display"] == "Laboratory procedure"
