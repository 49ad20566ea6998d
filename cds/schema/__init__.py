"""LN-CDS's own JSON Schemas for CDS Hooks 2.0 (draft 2020-12) and the HL7 invariants.

No official JSON Schema exists for CDS Hooks 2.0, so these are written from the spec
(see each schema's `description`). `validate_*` raise `SchemaViolationError` listing every
problem: schema errors, invariant violations, and null/empty values in what we emit.
Tests validate every response the service sends with these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from cds.schema.invariants import (
    empty_value_violations,
    feedback_violations,
    request_violations,
    request_warnings,
    response_violations,
)

__all__ = [
    "SCHEMAS",
    "SchemaViolationError",
    "load_schema",
    "request_warnings",
    "schema_problems",
    "validate_discovery",
    "validate_feedback",
    "validate_request",
    "validate_response",
]

SCHEMAS = ("discovery", "request", "response", "feedback")


class SchemaViolationError(ValueError):
    def __init__(self, kind: str, problems: list[str]) -> None:
        super().__init__(f"invalid CDS Hooks {kind}: " + "; ".join(problems))
        self.problems = problems


def load_schema(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    """Imported here: the service only reads the schema files (OpenAPI); validating what it
    sends is the tests' job, so jsonschema is a test dependency, not a runtime one."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problems(name: str, obj: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '$'}: {e.message}"
        for e in sorted(_validator(name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def _raise_if(kind: str, problems: list[str]) -> None:
    if problems:
        raise SchemaViolationError(kind, problems)


def validate_response(obj: Any) -> None:
    """A hook response: schema, cds-resp-1..7, and no null/empty value but `cards`."""
    problems = schema_problems("response", obj)
    if isinstance(obj, Mapping):
        problems += response_violations(obj)
        problems += empty_value_violations(obj, allow_empty=frozenset({"$.cards"}))
    _raise_if("response", problems)


def validate_discovery(obj: Any) -> None:
    problems = schema_problems("discovery", obj)
    problems += empty_value_violations(obj, allow_empty=frozenset({"$.services"}))
    _raise_if("discovery response", problems)


def validate_request(obj: Any) -> None:
    problems = schema_problems("request", obj)
    if isinstance(obj, Mapping):
        problems += request_violations(obj)
    _raise_if("request", problems)


def validate_feedback(obj: Any) -> None:
    problems = schema_problems("feedback", obj)
    if isinstance(obj, Mapping):
        problems += feedback_violations(obj)
    _raise_if("feedback", problems)
