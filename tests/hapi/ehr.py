"""What an EHR does before it calls the hook: read discovery, run the prefetch templates.

The templates come from the service's own discovery document (`GET /cds-services`), are
resolved for one patient (`{{context.patientId}}`, the only token they use) and run against the
HAPI server with plain `requests`, independently of the service's own FHIR client. An EHR may
send each search's result whole (every page followed and merged into one searchset) or only
its first page with the `next` link, which the service must then follow itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.hapi.service import REQUEST_TIMEOUT_SECONDS

SERVICE_ID = "lupus-nephritis"
PATIENT_TOKEN = "{{context.patientId}}"
FHIR_JSON = "application/fhir+json"
TOKEN = re.compile(r"\{\{.*?\}\}")
JsonObject = dict[str, Any]


def discovery_templates(service_url: str) -> dict[str, str]:
    """The prefetch templates the service lists in discovery."""
    response = requests.get(f"{service_url}/cds-services", timeout=REQUEST_TIMEOUT_SECONDS)
    response.raise_for_status()
    (service,) = [s for s in response.json()["services"] if s["id"] == SERVICE_ID]
    templates: dict[str, str] = service["prefetch"]
    return templates


def resolve(template: str, patient_id: str) -> str:
    """The query for one patient; the templates use no token but the patient id."""
    query = template.replace(PATIENT_TOKEN, patient_id)
    assert TOKEN.search(query) is None, f"unresolved token in {template}"
    return query


def is_read(query: str) -> bool:
    """`Patient/123` is a read; anything with `?` is a search."""
    return "?" not in query


def with_count(query: str, count: int) -> str:
    """The search asking for pages of `count` entries (replacing any `_count` it has)."""
    path, _, params = query.partition("?")
    kept = [p for p in params.split("&") if p and not p.startswith("_count=")]
    return f"{path}?{'&'.join([*kept, f'_count={count}'])}"


def get_json(url: str) -> JsonObject:
    response = requests.get(url, headers={"Accept": FHIR_JSON}, timeout=REQUEST_TIMEOUT_SECONDS)
    assert response.status_code == 200, f"GET {url}: HTTP {response.status_code}"
    body: JsonObject = response.json()
    return body


def next_url(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or ():
        if link.get("relation") == "next":
            url: str = link["url"]
            return url
    return None


def getpages_id(url: str) -> str:
    """The id HAPI gives a stored search, from a `next` link (`?_getpages=<id>&...`)."""
    (value,) = parse_qs(urlsplit(url).query)["_getpages"]
    return value


@dataclass(frozen=True)
class SearchResult:
    """All pages of one search, merged, and how many pages it took."""

    bundle: JsonObject  # a searchset with every entry and no `next` link
    pages: int


def search_all_pages(fhir_base: str, query: str) -> SearchResult:
    """Run a search and follow every `next` link, as an EHR does before it prefetches."""
    url: str | None = f"{fhir_base}/{query}"
    entries: list[JsonObject] = []
    pages = 0
    while url is not None:
        page = get_json(url)
        assert page["resourceType"] == "Bundle"
        assert page["type"] == "searchset"
        entries.extend(page.get("entry") or ())
        pages += 1
        url = next_url(page)
    merged = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": f"{fhir_base}/{query}"}],
        "entry": entries,
    }
    return SearchResult(bundle=merged, pages=pages)


@dataclass(frozen=True)
class EhrPrefetch:
    """One patient's prefetch, computed by the EHR from the templates."""

    queries: dict[str, str]  # key → resolved query
    complete: dict[str, JsonObject]  # key → the Patient, or the search with every page merged
    pages: dict[str, int]  # key → pages the search took at the server's page size (read: 1)

    def resource_count(self, key: str) -> int:
        if is_read(self.queries[key]):
            return 1
        return len(self.complete[key].get("entry") or ())


def complete_prefetch(fhir_base: str, templates: Mapping[str, str], patient_id: str) -> EhrPrefetch:
    """Every template run for the patient, every page followed: a complete prefetch."""
    queries = {key: resolve(t, patient_id) for key, t in templates.items()}
    complete: dict[str, JsonObject] = {}
    pages: dict[str, int] = {}
    for key, query in queries.items():
        if is_read(query):
            complete[key] = get_json(f"{fhir_base}/{query}")
            pages[key] = 1
        else:
            result = search_all_pages(fhir_base, query)
            complete[key] = result.bundle
            pages[key] = result.pages
    return EhrPrefetch(queries=queries, complete=complete, pages=pages)


@dataclass(frozen=True)
class FirstPages:
    """A prefetch of first pages only; `open_searches` maps key → HAPI's stored-search id."""

    prefetch: dict[str, JsonObject]
    open_searches: dict[str, str]


def first_page_prefetch(fhir_base: str, queries: Mapping[str, str], page_size: int) -> FirstPages:
    """Each search run with `_count=page_size`, sent as its first page with HAPI's `next` link."""
    prefetch: dict[str, JsonObject] = {}
    open_searches: dict[str, str] = {}
    for key, query in queries.items():
        if is_read(query):
            prefetch[key] = get_json(f"{fhir_base}/{query}")
            continue
        page = get_json(f"{fhir_base}/{with_count(query, page_size)}")
        prefetch[key] = page
        following = next_url(page)
        if following is not None:
            open_searches[key] = getpages_id(following)
    return FirstPages(prefetch=prefetch, open_searches=open_searches)


def pages_needed(resources: int, page_size: int) -> int:
    """How many pages a search of `resources` results takes (HAPI: no empty last page)."""
    return max(1, math.ceil(resources / page_size))
