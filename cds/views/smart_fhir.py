"""Read one patient's resources from the launching EHR's FHIR server with the SMART token.

A `PatientDataSource` (cds.datasources.base) so the trend view runs the same queries through
the same interface whether the data comes from the demo cohort or from a real EHR. Every
request has a timeout, the whole fetch has a budget, paging is followed only on the launching
server's own origin (no SSRF through a `next` link) and up to a page cap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from authlib.integrations.requests_client import (  # type: ignore[import-untyped]
    OAuth2Session,
)

from cds.datasources.base import (
    FetchOutcome,
    JsonObject,
    QueryFailure,
    QueryResult,
    entries,
)
from cds.views.smart import LaunchContext

MAX_PAGES = 20


def patient_queries(patient_id: str) -> dict[str, str]:
    """The hook's own prefetch queries, resolved for one patient.

    The trend view reads exactly what the hook reads (same keys, codes and resource types),
    so the view and the card are computed from the same data.
    """
    from cds.web.lupus_nephritis import PATIENT_ID, prefetch_templates  # noqa: PLC0415

    return {
        key: template.replace(PATIENT_ID, quote(patient_id, safe=""))
        for key, template in prefetch_templates().items()
    }


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


class SmartFhirSource:
    """Runs relative queries against `context.iss` with `Authorization: Bearer`."""

    def __init__(self, context: LaunchContext, *, timeout_seconds: float = 10.0) -> None:
        self._context = context
        self._timeout = timeout_seconds

    def fetch(self, queries: Mapping[str, str], *, budget_seconds: float) -> FetchOutcome:
        deadline = time.monotonic() + budget_seconds
        results: dict[str, QueryResult] = {}
        failures: dict[str, QueryFailure] = {}
        token = {"access_token": self._context.access_token, "token_type": "Bearer"}
        with OAuth2Session(token=token) as http:
            for key, query in queries.items():
                outcome = self._run(http, key, query, deadline)
                if isinstance(outcome, QueryFailure):
                    failures[key] = outcome
                else:
                    results[key] = outcome
        return FetchOutcome(results=results, failures=failures)

    def _run(self, http: Any, key: str, query: str, deadline: float) -> QueryResult | QueryFailure:
        base = self._context.iss
        url: str | None = f"{base}/{query.lstrip('/')}"
        collected: list[JsonObject] = []
        requests_made = 0
        while url is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return QueryFailure(key, "time budget exhausted", requests_made)
            if requests_made >= MAX_PAGES:
                return QueryFailure(key, f"more than {MAX_PAGES} pages", requests_made)
            try:
                response = http.get(
                    url,
                    headers={"Accept": "application/fhir+json"},
                    timeout=min(self._timeout, remaining),
                )
            except requests.RequestException:
                return QueryFailure(key, "FHIR server unreachable", requests_made + 1)
            requests_made += 1
            if response.status_code != 200:
                return QueryFailure(key, f"HTTP {response.status_code}", requests_made)
            try:
                body = response.json()
            except ValueError:
                return QueryFailure(key, "response is not JSON", requests_made)
            if not isinstance(body, dict):
                return QueryFailure(key, "response is not a JSON object", requests_made)
            if body.get("resourceType") == "OperationOutcome":
                return QueryFailure(key, "OperationOutcome returned", requests_made)
            collected.extend(entries(body))
            url = _next_link(body)
            if url is not None and _origin(url) != _origin(base):
                # Never follow a link to another server (SSRF), and never silently drop the
                # rest of the results either: the query fails.
                return QueryFailure(key, "next page is on another server", requests_made)
        return QueryResult(key, tuple(collected), requests_made)


def _next_link(body: Mapping[str, Any]) -> str | None:
    if body.get("resourceType") != "Bundle":
        return None
    for link in body.get("link") or ():
        if isinstance(link, dict) and link.get("relation") == "next":
            target = link.get("url")
            return target if isinstance(target, str) and target else None
    return None
