"""JSON in and out of the hook path, with orjson.

A hook body is mostly prefetched Observations: for a patient with ten years of labs,
decoding it is the largest single cost of the call (benchmarks/RESULTS.md), and orjson
decodes it in about two thirds of the standard library's time and encodes the cards in a
fraction of it. It is also stricter, which suits data from outside: the text must be UTF-8
(RFC 8259), and `NaN`, `Infinity`, numbers that overflow a double, lone surrogates and
nesting deeper than 1,024 levels are refused instead of read. Integers beyond 64 bits are
read as floats. Every refusal is a `ValueError`, so callers answer 400 (hook, feedback) or
412 (a FHIR server's page) exactly as they do for any other malformed JSON.
"""

from __future__ import annotations

from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Parse JSON text; raises `ValueError` (`orjson.JSONDecodeError`) when it is not valid JSON."""
    return orjson.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept), keys in insertion order."""
    return orjson.dumps(value)
