"""What to do with each prefetch key the EHR sent: the decision table of CDS Hooks 2.0.

| value sent for a key                        | decision                                   |
|---------------------------------------------|--------------------------------------------|
| absent                                      | FETCH the query ourselves, else 412        |
| `null`, search                              | NO_DATA: the client found nothing; no query|
| `null`, read (the Patient)                  | MISSING: the patient does not exist → 412  |
| OperationOutcome (alone or in the Bundle)   | FETCH, else 412                            |
| Bundle of another type, wrong resource/id   | FETCH, else 412                            |
| searchset Bundle with a `next` link         | FOLLOW: keep this page, fetch the rest     |
| fewer matches than its `total`, no `next`   | FETCH the whole query, else 412            |
| searchset/collection Bundle, or the resource| USE                                        |

CDS Hooks 2.0 prefetch templates have no date tokens, so look-back windows are ours to
apply after the data arrive (`drop_observations_before`), identically for prefetch,
self-fetch and the demo cohort. Pure functions: no HTTP, no Flask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from cds.datasources.base import JsonObject

_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
_READ = re.compile(r"([A-Z][A-Za-z]+)/([^/?]+)")
_SEARCH = re.compile(r"([A-Z][A-Za-z]+)\?.*")
SEARCH_BUNDLE_TYPES = ("searchset", "collection")  # a tuple: `in` must not hash client JSON


class UnresolvedTokenError(ValueError):
    """A prefetch template names a token the hook context does not provide."""


class Decision(StrEnum):
    USE = "use"
    NO_DATA = "no-data"
    FOLLOW = "follow"
    FETCH = "fetch"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Query:
    """One resolved relative FHIR query: a read (`Patient/123`) or a type search."""

    key: str
    text: str
    resource_type: str
    read_id: str | None  # the id for a read, None for a search

    @property
    def is_read(self) -> bool:
        return self.read_id is not None


@dataclass(frozen=True, slots=True)
class Verdict:
    key: str
    decision: Decision
    resources: tuple[JsonObject, ...] = ()
    next_url: str | None = None
    reason: str = ""


def resolve_template(key: str, template: str, tokens: Mapping[str, str]) -> Query:
    """Substitute `{{context.patientId}}`-style tokens; the result says read or search."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in tokens:
            raise UnresolvedTokenError(f"prefetch template {key!r} uses unknown token {name!r}")
        return tokens[name]

    text = _TOKEN.sub(substitute, template)
    read = _READ.fullmatch(text)
    if read:
        return Query(key=key, text=text, resource_type=read.group(1), read_id=read.group(2))
    search = _SEARCH.fullmatch(text)
    if search:
        return Query(key=key, text=text, resource_type=search.group(1), read_id=None)
    raise ValueError(f"prefetch template {key!r} is neither a read nor a type search")


def decide(query: Query, value: Any, *, absent: Any) -> Verdict:
    """Apply the decision table to the value sent for `query.key` (`absent` = not sent)."""
    key = query.key
    if value is absent:
        return Verdict(key, Decision.FETCH, reason="not prefetched")
    if value is None:
        if query.is_read:
            return Verdict(key, Decision.MISSING, reason=f"{query.resource_type} not found")
        return Verdict(key, Decision.NO_DATA)
    if not isinstance(value, dict):
        return Verdict(key, Decision.FETCH, reason="prefetch value is not a FHIR resource")
    resource_type = value.get("resourceType")
    if resource_type == "OperationOutcome":
        return Verdict(key, Decision.FETCH, reason="prefetch holds an OperationOutcome")
    if query.is_read:
        if resource_type != query.resource_type or value.get("id") != query.read_id:
            return Verdict(key, Decision.FETCH, reason=f"prefetch is not the {query.text} read")
        return Verdict(key, Decision.USE, resources=(value,))
    if resource_type != "Bundle" or value.get("type") not in SEARCH_BUNDLE_TYPES:
        return Verdict(key, Decision.FETCH, reason="prefetch is not a search Bundle")
    resources, matches, has_outcome = read_entries(value)
    if has_outcome:
        return Verdict(key, Decision.FETCH, reason="prefetch Bundle holds an OperationOutcome")
    next_url = next_link(value)
    if next_url is not None:
        return Verdict(key, Decision.FOLLOW, resources=resources, next_url=next_url)
    total = value.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and matches < total:
        return Verdict(
            key,
            Decision.FETCH,
            reason=f"prefetch Bundle holds {matches} of its total {total} matches, no next link",
        )
    return Verdict(key, Decision.USE, resources=resources)


def bundle_resources(bundle: Mapping[str, Any]) -> tuple[JsonObject, ...]:
    """The resources of a Bundle's entries (entries that are not objects are skipped)."""
    return read_entries(bundle)[0]


def read_entries(bundle: Mapping[str, Any]) -> tuple[tuple[JsonObject, ...], int, bool]:
    """One pass over the entries: their resources, how many are search matches
    (`search.mode` match or absent; not include/outcome), and whether one of the resources
    is an OperationOutcome. A prefetched Bundle (or a self-fetched page) can hold thousands
    of entries, so this is the only loop over them before the mapping.
    """
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return (), 0, False
    out: list[JsonObject] = []
    append = out.append
    matches = 0
    has_outcome = False
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        append(resource)
        search = entry.get("search")
        if not isinstance(search, dict) or search.get("mode") in (None, "match"):
            matches += 1
        if resource.get("resourceType") == "OperationOutcome":
            has_outcome = True
    return tuple(out), matches, has_outcome


def next_link(bundle: Mapping[str, Any]) -> str | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url:
                return url
    return None


def lookback_start(as_of: date, years: int) -> date:
    """The first date kept: `as_of` minus whole calendar years (29 Feb → 28 Feb)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return as_of.replace(year=as_of.year - years, day=28)


def drop_observations_before(resources: Iterable[JsonObject], start: date) -> list[JsonObject]:
    """Drop Observations dated before `start`; everything else (and undated data) is kept.

    The date is the one clinical.md §2 uses (effectiveDateTime/Instant, else
    effectivePeriod.end, else issued), read from its first ten characters; Observations
    whose date cannot be read are kept so that the mapping can note them.
    """
    cutoff = start.isoformat()
    kept: list[JsonObject] = []
    append = kept.append
    for resource in resources:
        if resource.get("resourceType") == "Observation":
            when = resource.get("effectiveDateTime")
            if type(when) is not str:
                when = _observation_date(resource)
            # `when[:10] < cutoff` is implied by `_pad(when) < cutoff` (a padded partial date
            # starts with it; an unreadable one pads to 9999): the cheap test runs first, so a
            # date inside the window costs one slice and one comparison.
            if when is not None and when[:10] < cutoff and _pad(when) < cutoff:
                continue
        append(resource)
    return kept


def _observation_date(obs: Mapping[str, Any]) -> str | None:
    for name in ("effectiveDateTime", "effectiveInstant"):
        value = obs.get(name)
        if isinstance(value, str):
            return value
    period = obs.get("effectivePeriod")
    if isinstance(period, dict) and isinstance(period.get("end"), str):
        end: str = period["end"]
        return end
    issued = obs.get("issued")
    return issued if isinstance(issued, str) else None


_PARTIAL = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _pad(when: str) -> str:
    """`2019` → `2019-01-01`, `2019-05` → `2019-05-01`; unreadable dates sort last (kept)."""
    head = when[:10]
    if not _PARTIAL.fullmatch(head):
        return "9999-12-31"
    return head + "-01-01"[len(head) - 4 :] if len(head) < 10 else head
