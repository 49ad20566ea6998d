"""Reading FHIR input: a Bundle of any type, a single resource, or NDJSON → resource dicts.

Errors that make the whole input unusable (unreadable file, not JSON, not FHIR, no or two
patients) raise `InputError` with a one-line message naming no patient data; everything
smaller is left to `build_record`, which turns it into notes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

MAX_BUNDLE_DEPTH = 8  # a batch-response of searchsets nests Bundles; no deeper than this


class InputError(Exception):
    """The input cannot be read as one patient's FHIR resources (message: one line)."""


def _flatten(obj: Any, out: list[dict[str, Any]], depth: int) -> None:
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceType"), str):
        raise InputError("not a FHIR Bundle or resource")
    if obj["resourceType"] != "Bundle":
        out.append(obj)
        return
    if depth >= MAX_BUNDLE_DEPTH:
        raise InputError("Bundles nested too deeply")
    entries = obj.get("entry", [])
    if not isinstance(entries, list):
        raise InputError("Bundle.entry is not a list")
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue  # e.g. a transaction-response entry with only a `response`
        if resource.get("resourceType") == "Bundle":
            _flatten(resource, out, depth + 1)
            continue
        out.append(_with_id_from_full_url(resource, entry.get("fullUrl")))


def _with_id_from_full_url(resource: dict[str, Any], full_url: Any) -> dict[str, Any]:
    """A transaction entry without an id is known by its `urn:uuid:` fullUrl: use it as id."""
    if "id" in resource or not isinstance(full_url, str) or not full_url.startswith("urn:uuid:"):
        return resource
    return {**resource, "id": full_url[len("urn:uuid:") :]}


def resources_from_json(obj: Any) -> list[dict[str, Any]]:
    """The resources of a Bundle (any type, nested Bundles flattened), a resource, or a list."""
    out: list[dict[str, Any]] = []
    items = obj if isinstance(obj, list) else [obj]
    for item in items:
        _flatten(item, out, 0)
    return out


def _ndjson(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            raise InputError(f"line {number} is not JSON") from None
        out.extend(resources_from_json(obj))
    return out


def read_resources(path: str | PathLike[str]) -> list[dict[str, Any]]:
    """Resources from a JSON file (Bundle or resource) or an NDJSON file (one per line)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise InputError(f"cannot read {p.name}") from None
    if not text.strip():
        raise InputError(f"{p.name} is empty")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        if "\n" in text.strip():
            return _ndjson(text)
        raise InputError(f"{p.name} is not JSON") from None
    return resources_from_json(obj)


def single_patient(resources: Iterable[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The one Patient of the input; InputError if there is none or two different ones."""
    found: Mapping[str, Any] | None = None
    for r in resources:
        if not isinstance(r, Mapping) or r.get("resourceType") != "Patient":
            continue
        if found is None:
            found = r
        elif r.get("id") != found.get("id"):
            raise InputError("two different Patient resources")
    if found is None:
        raise InputError("no Patient resource")
    return found
