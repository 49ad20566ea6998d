"""Tests a card can suggest ordering, as FHIR R4 `ServiceRequest`s validated on the way out.

Keys are the rules' suggestion keys (`cds.rules.messages.SUGGESTION_ORDER`). Each accepted
suggestion creates draft orders the clinician still signs: `status: draft`,
`intent: order`. Every order this module can build is validated with `fhir.resources.R4B`
once, when the module is loaded (every test, with and without encounter and requester), so
a suggestion the EHR cannot create stops the service at start-up instead of reaching the
EHR. A hook call then only fills in ids that the request validation has already checked
(FHIR ids, a `Practitioner/<id>` reference): no model validation on the hot path (it cost
about 0.25 ms per order).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
LABORATORY_PROCEDURE = {"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}


@dataclass(frozen=True, slots=True)
class OrderableTest:
    key: str
    label: str  # the suggestion's button text
    tests: tuple[tuple[str, str, str], ...]  # (LOINC code, LOINC display, short text)


ORDERABLE: Mapping[str, OrderableTest] = {
    t.key: t
    for t in (
        OrderableTest(
            "upcr",
            "Order urine protein/creatinine ratio",
            (
                (
                    "2890-2",
                    "Protein/Creatinine [Mass Ratio] in Urine",
                    "Urine protein/creatinine ratio",
                ),
            ),
        ),
        OrderableTest(
            "creatinine",
            "Order serum creatinine",
            (("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "Serum creatinine"),),
        ),
        OrderableTest(
            "urinalysis",
            "Order urinalysis with microscopy",
            (("24356-8", "Urinalysis complete panel - Urine", "Urinalysis with microscopy"),),
        ),
        OrderableTest(
            "complement",
            "Order complement C3 and C4",
            (
                ("4485-9", "Complement C3 [Mass/volume] in Serum or Plasma", "Complement C3"),
                ("4498-2", "Complement C4 [Mass/volume] in Serum or Plasma", "Complement C4"),
            ),
        ),
        OrderableTest(
            "anti-dsdna",
            "Order anti-dsDNA antibodies",
            (("5130-0", "DNA double strand Ab [Units/volume] in Serum", "Anti-dsDNA antibodies"),),
        ),
    )
}


def service_request(
    code: str,
    display: str,
    text: str,
    *,
    patient_id: str,
    requester: str | None,
    encounter_id: str | None,
    reason: str,
) -> dict[str, Any]:
    """One draft laboratory order as FHIR R4 JSON (keys in the order of the R4B model).

    `patient_id` and `encounter_id` are FHIR ids and `requester` a `Type/id` reference,
    as `cds.web.request_model` accepts them; the shape is validated at import (module doc).
    """
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "category": [{"coding": [dict(LABORATORY_PROCEDURE)]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": text},
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    if encounter_id is not None:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if requester is not None and requester.startswith(("Practitioner/", "PractitionerRole/")):
        resource["requester"] = {"reference": requester}
    resource["reasonCode"] = [{"text": reason}]
    return resource


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """`resource` read by the FHIR R4 ServiceRequest model and written back as JSON."""
    model = ServiceRequest.model_validate(resource)
    out: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return out


def _check_every_order() -> None:
    """Each order `service_request` can build is valid FHIR R4 and already in model form."""
    for test in ORDERABLE.values():
        for code, display, text in test.tests:
            for encounter_id in (None, "encounter-1"):
                for requester in (None, "Practitioner/practitioner-1"):
                    built = service_request(
                        code,
                        display,
                        text,
                        patient_id="patient-1",
                        requester=requester,
                        encounter_id=encounter_id,
                        reason="Lupus nephritis monitoring (flare)",
                    )
                    if json.dumps(validated(built)) != json.dumps(built):
                        raise AssertionError(f"order {test.key}/{code} is not valid FHIR R4")


_check_every_order()
