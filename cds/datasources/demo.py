"""The embedded demo cohort as a data source: the hook's FHIR queries answered from memory.

Lets the service run its whole path (queries → mapping → rules → cards) with no FHIR
server and no network, on the synthetic patients of `cds.demo`. It understands exactly the
relative queries the hook resolves:

    Patient/<id>
    Condition?patient=<id>
    Observation?patient=<id>&code=<system>|<code>,<system>|<code>&_sort=-date
    MedicationRequest?patient=<id>   (also MedicationStatement, MedicationAdministration)

`patient=` also takes `Patient/<id>`, `subject=` is accepted in its place, `status=` and
`category=` filter as FHIR token searches do, and `_count` is ignored (every match is
returned). A search for a patient not in the cohort finds nothing;
a read of an unknown Patient is a `QueryFailure` (the hook answers 412). Anything else —
another parameter, a resource type the cohort does not hold — is also a `QueryFailure`,
so an unsupported query is never silently answered with the wrong data.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote

from cds.datasources.base import FetchOutcome, JsonObject, QueryFailure, QueryResult
from cds.demo import load_cohort

SEARCHABLE_TYPES = frozenset(
    {
        "Condition",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
    }
)


class QueryError(ValueError):
    """A query the demo source cannot answer; the message becomes the failure reason."""


@dataclass(frozen=True, slots=True)
class _Token:
    system: str | None  # None: any system
    code: str | None  # None: any code of the system ("system|")

    @classmethod
    def parse(cls, text: str) -> _Token:
        if "|" not in text:
            return cls(None, text)
        system, code = text.split("|", 1)
        # "|code" means a coding without a system
        return cls(system, code or None)

    def matches(self, coding: Mapping[str, object]) -> bool:
        if self.code is not None and coding.get("code") != self.code:
            return False
        if self.system is None:
            return True
        return (coding.get("system") or "") == self.system


@dataclass(frozen=True, slots=True)
class _Search:
    resource_type: str
    patient_id: str
    codes: tuple[_Token, ...]  # empty: no code filter
    categories: tuple[_Token, ...]  # empty: no category filter
    statuses: frozenset[str]  # empty: no status filter
    sort_descending: bool | None  # None: keep stored order

    def matches(self, resource: Mapping[str, object]) -> bool:
        if self.codes and not _has_token(resource.get("code"), self.codes):
            return False
        if self.categories and not _has_token(resource.get("category"), self.categories):
            return False
        return not self.statuses or resource.get("status") in self.statuses


class CohortIndex:
    """Each patient's resources by type, and every resource by `Type/id`, built once."""

    def __init__(self, resources: Iterable[JsonObject]) -> None:
        self._by_patient: dict[str, dict[str, list[JsonObject]]] = {}
        self._by_ref: dict[str, JsonObject] = {}
        for resource in resources:
            kind = resource["resourceType"]
            self._by_ref[f"{kind}/{resource['id']}"] = resource
            owner = resource["id"] if kind == "Patient" else _patient_of(resource)
            if owner is not None:
                self._by_patient.setdefault(owner, {}).setdefault(kind, []).append(resource)

    @property
    def patient_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_patient))

    def read(self, reference: str) -> JsonObject | None:
        return self._by_ref.get(reference)

    def of_patient(self, patient_id: str, resource_type: str) -> Sequence[JsonObject]:
        return self._by_patient.get(patient_id, {}).get(resource_type, ())


@functools.cache
def _cohort_index() -> CohortIndex:
    """The packaged cohort's index, read and built on first use, then shared."""
    return CohortIndex(r for patient in load_cohort() for r in patient.resources())


class DemoDataSource:
    """`PatientDataSource` over the demo cohort, in process (no network, no budget used)."""

    def __init__(self, index: CohortIndex | None = None) -> None:
        self._index = index if index is not None else _cohort_index()

    @property
    def patient_ids(self) -> tuple[str, ...]:
        return self._index.patient_ids

    def fetch(self, queries: Mapping[str, str], *, budget_seconds: float) -> FetchOutcome:
        results: dict[str, QueryResult] = {}
        failures: dict[str, QueryFailure] = {}
        for key, query in queries.items():
            try:
                found = self._run(query)
            except QueryError as exc:
                failures[key] = QueryFailure(key=key, reason=str(exc))
                continue
            # copies: callers must not be able to alter the shared cohort
            results[key] = QueryResult(key=key, resources=tuple(copy.deepcopy(found)))
        return FetchOutcome(results=results, failures=failures)

    def _run(self, query: str) -> list[JsonObject]:
        path, _, params = query.strip().lstrip("/").partition("?")
        parts = path.split("/")
        if len(parts) == 2 and not params:
            return [self._read(parts[0], parts[1])]
        if len(parts) != 1 or not parts[0]:
            raise QueryError(f"unsupported query form: {path}")
        search = _parse_search(parts[0], params)
        found = [
            r
            for r in self._index.of_patient(search.patient_id, search.resource_type)
            if search.matches(r)
        ]
        if search.sort_descending is not None:
            found.sort(key=_sort_date, reverse=search.sort_descending)
        return found

    def _read(self, resource_type: str, resource_id: str) -> JsonObject:
        resource = self._index.read(f"{resource_type}/{unquote(resource_id)}")
        if resource is None:
            raise QueryError(f"{resource_type} not found in the demo cohort")
        return resource


def _parse_search(resource_type: str, params: str) -> _Search:
    if resource_type not in SEARCHABLE_TYPES:
        raise QueryError(f"the demo cohort cannot search {resource_type}")
    patient_id: str | None = None
    codes: list[_Token] = []
    categories: list[_Token] = []
    statuses: set[str] = set()
    sort_descending: bool | None = None
    for name, value in parse_qsl(params, keep_blank_values=True, strict_parsing=False):
        if name in ("patient", "subject"):
            patient_id = _patient_param(value)
        elif name == "code":
            codes.extend(_Token.parse(t) for t in value.split(",") if t)
        elif name == "category":
            categories.extend(_Token.parse(t) for t in value.split(",") if t)
        elif name == "status":
            statuses.update(t for t in value.split(",") if t)
        elif name == "_sort":
            sort_descending = _sort_param(value)
        elif name == "_count":
            continue  # every match is returned at once
        else:
            raise QueryError(f"unsupported search parameter: {name}")
    if patient_id is None:
        raise QueryError("the demo cohort only answers patient searches (patient= or subject=)")
    return _Search(
        resource_type,
        patient_id,
        tuple(codes),
        tuple(categories),
        frozenset(statuses),
        sort_descending,
    )


def _patient_param(value: str) -> str:
    """`123`, `Patient/123` or an absolute `…/Patient/123` → `123`."""
    if "/" not in value:
        return value
    kind, _, patient_id = value.rstrip("/").rpartition("/")
    if not kind.endswith("Patient"):
        raise QueryError("patient/subject must reference a Patient")
    return patient_id


def _sort_param(value: str) -> bool:
    descending = value.startswith("-")
    if value.lstrip("-") != "date":
        raise QueryError(f"unsupported sort: {value}")
    return descending


def _patient_of(resource: Mapping[str, object]) -> str | None:
    for field_name in ("subject", "patient"):
        ref = resource.get(field_name)
        if isinstance(ref, Mapping) and isinstance(ref.get("reference"), str):
            kind, _, patient_id = str(ref["reference"]).rpartition("/")
            if kind.endswith("Patient") and patient_id:
                return patient_id
    return None


def _has_token(element: object, tokens: Sequence[_Token]) -> bool:
    """Whether a CodeableConcept (or a list of them) has a coding matching any token."""
    concepts = element if isinstance(element, list) else [element]
    return any(
        isinstance(coding, Mapping) and token.matches(coding)
        for concept in concepts
        if isinstance(concept, Mapping) and isinstance(concept.get("coding"), list)
        for coding in concept["coding"]
        for token in tokens
    )


def _resource_date(resource: Mapping[str, object]) -> str | None:
    """The clinically relevant date the FHIR `date`-type search parameters use, per type."""
    for name in (
        "effectiveDateTime",
        "effectiveInstant",
        "effectivePeriod",
        "authoredOn",
        "onsetDateTime",
        "recordedDate",
        "issued",
    ):
        value = resource.get(name)
        if isinstance(value, Mapping):  # a Period: the end, as clinical.md §2 dates a 24-h urine
            value = value.get("end") or value.get("start")
        if isinstance(value, str):
            return value
    return None


def _sort_date(resource: Mapping[str, object]) -> datetime:
    """Comparable instant of a resource's date; undated resources sort as the oldest."""
    text = _resource_date(resource)
    if text is None:
        return datetime.min.replace(tzinfo=UTC)
    if len(text) <= 10:  # a date, "2025-03" or "2025": pad to the first day
        text = (text + "-01-01")[:10]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
