"""The one interface between the hook and wherever patient data comes from.

Three implementations share it: the prefetch the EHR sent, self-fetch over HTTP from the
EHR's FHIR server (`cds.datasources.http`), and the embedded demo cohort
(`cds.datasources.demo`). The hook asks for resolved relative FHIR queries, keyed like the
prefetch templates, and gets back each key's resources or a reason it could not get them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The resources one query returned (a read gives one resource, a search its entries)."""

    key: str
    resources: tuple[JsonObject, ...]
    requests_made: int = 0  # HTTP requests spent (pages followed), 0 for in-process sources


@dataclass(frozen=True, slots=True)
class QueryFailure:
    """Why one query could not be satisfied; becomes a 412 naming `key` (no PHI, no token)."""

    key: str
    reason: str
    requests_made: int = 0


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    results: Mapping[str, QueryResult] = field(default_factory=dict)
    failures: Mapping[str, QueryFailure] = field(default_factory=dict)


class PatientDataSource(Protocol):
    """Runs resolved relative queries such as `Observation?patient=123&code=...`."""

    def fetch(self, queries: Mapping[str, str], *, budget_seconds: float) -> FetchOutcome:
        """Run every query (in parallel where the source can), within the overall budget."""
        ...


def entries(bundle_or_resource: JsonObject) -> Sequence[JsonObject]:
    """The resources of a searchset Bundle page, or a single resource as a one-item list."""
    if bundle_or_resource.get("resourceType") == "Bundle":
        out: list[JsonObject] = []
        for entry in bundle_or_resource.get("entry") or ():
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                out.append(entry["resource"])
        return out
    return [bundle_or_resource]
