"""Safe readers for untrusted FHIR JSON: every accessor returns None instead of raising.

The mapping must turn malformed input into notes, never exceptions, so nothing indexes a
resource directly: it asks these helpers, which check types on the way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from fhir_mapping.record import Source

JsonObject = Mapping[str, Any]

# FHIR R4 id: 1-64 of [A-Za-z0-9-.]; anything else is not an id (and may not go in a note).
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def obj(value: Any) -> JsonObject | None:
    return value if isinstance(value, dict) else None


def objs(value: Any) -> Iterator[JsonObject]:
    """The JSON objects of a list (a non-list yields nothing)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def number(value: Any) -> float | None:
    """A finite JSON number (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def valid_id(value: Any) -> str | None:
    if isinstance(value, str) and FHIR_ID.fullmatch(value):
        return value
    return None


def source_of(resource: JsonObject) -> Source | None:
    """`Source` of a resource with a valid FHIR id; None if the id is missing or invalid."""
    rid = valid_id(resource.get("id"))
    rtype = resource.get("resourceType")
    if rid is None or not isinstance(rtype, str):
        return None
    return Source(rtype, rid)


def codings(concept: Any) -> Iterator[tuple[str, str, str | None]]:
    """(system, code, display) of each coding with a string system and code."""
    c = obj(concept)
    if c is None:
        return
    for coding in objs(c.get("coding")):
        system = coding.get("system")
        code = coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            display = coding.get("display")
            yield system, code, display if isinstance(display, str) else None


def concept_texts(concept: Any) -> Iterator[str]:
    """The human texts of a CodeableConcept: its `text` and every coding display."""
    c = obj(concept)
    if c is None:
        return
    t = c.get("text")
    if isinstance(t, str):
        yield t
    for coding in objs(c.get("coding")):
        display = coding.get("display")
        if isinstance(display, str):
            yield display


def concept_codes(concept: Any) -> set[str]:
    """Every coding code of a CodeableConcept, whatever its system."""
    c = obj(concept)
    if c is None:
        return set()
    return {
        coding["code"] for coding in objs(c.get("coding")) if isinstance(coding.get("code"), str)
    }


def format_number(value: Any) -> str:
    """A JSON number as the lab wrote it (as far as JSON keeps it), for display."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return ""
