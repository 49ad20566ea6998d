"""A tiny read-only FHIR R4 facade over the demo cohort, so the demo EHR page can resolve
prefetch templates against a FHIR base URL exactly as a real EHR would.

Only what prefetch templates use: reads (`Patient/123`) and type searches with parameters,
answered through `DemoDataSource` (the same object the hook's demo mode uses). Searches come
back as `searchset` Bundles, failures as OperationOutcome with the matching HTTP status.
"""

from __future__ import annotations

from typing import Any

from cds.datasources.base import JsonObject, PatientDataSource

FHIR_JSON = "application/fhir+json"
_BUDGET_SECONDS = 5.0


def operation_outcome(code: str, text: str) -> JsonObject:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }


def capability_statement(base_url: str) -> JsonObject:
    types = ["Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement"]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "implementation": {"description": "LN-CDS demo cohort (synthetic)", "url": base_url},
        "rest": [
            {
                "mode": "server",
                "resource": [
                    {"type": t, "interaction": [{"code": "read"}, {"code": "search-type"}]}
                    for t in types
                ],
            }
        ],
    }


def answer(source: PatientDataSource, query: str, *, base_url: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for one relative query such as `Observation?patient=p1`."""
    path = query.split("?", 1)[0].strip("/")
    segments = [s for s in path.split("/") if s]
    if not segments or not segments[0][:1].isupper():
        return 400, operation_outcome("not-supported", "Only reads and type searches.")
    outcome = source.fetch({"q": query}, budget_seconds=_BUDGET_SECONDS)
    failure = outcome.failures.get("q")
    is_read = len(segments) == 2
    if failure is not None:
        status = 404 if is_read else 400
        return status, operation_outcome("not-found" if is_read else "processing", failure.reason)
    resources = list(outcome.results["q"].resources) if "q" in outcome.results else []
    if is_read:
        if not resources:
            return 404, operation_outcome("not-found", f"{path} is not in the demo cohort.")
        return 200, resources[0]
    bundle: JsonObject = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": f"{base_url}/{query}"}],
        "entry": [
            {
                "fullUrl": f"{base_url}/{r.get('resourceType')}/{r.get('id')}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
    return 200, bundle
