"""Our CDS Hooks 2.0 schemas and the HL7 invariants: they accept the spec's examples and
catch each violation they exist for."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from cds.schema import (
    SCHEMAS,
    SchemaViolationError,
    load_schema,
    request_warnings,
    validate_discovery,
    validate_feedback,
    validate_request,
    validate_response,
)

EXAMPLES = Path(__file__).parent / "data" / "spec-examples"
CARD: dict[str, Any] = {
    "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
    "summary": "Example",
    "indicator": "info",
    "source": {"label": "LN-CDS"},
}
ACTION = {"type": "create", "description": "Order", "resource": {"resourceType": "ServiceRequest"}}


def _example(name: str) -> dict[str, Any]:
    example: dict[str, Any] = json.loads((EXAMPLES / name).read_text("utf-8"))
    return example


def _card(**fields: Any) -> dict[str, Any]:
    return {"cards": [{**deepcopy(CARD), **fields}]}


def _problems(validate: Any, obj: Any) -> str:
    with pytest.raises(SchemaViolationError) as raised:
        validate(obj)
    return "; ".join(raised.value.problems)


@pytest.mark.parametrize("name", SCHEMAS)
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_fhir_tools_ig_examples_are_accepted() -> None:
    validate_discovery(_example("binary-CDSHookServices.json"))
    validate_request(_example("binary-CDSHooksRequestPV.json"))
    validate_response(_example("binary-CDSHooksResponse.json"))


def test_empty_cards_array_is_a_valid_response() -> None:
    validate_response({"cards": []})


@pytest.mark.parametrize(
    ("response", "problem"),
    [
        (_card(suggestions=[{"label": "a", "isRecommended": True, "actions": [ACTION]},
                            {"label": "b", "isRecommended": True, "actions": [ACTION]}],
               selectionBehavior="at-most-one"), "cds-resp-1"),
        (_card(suggestions=[{"label": "a", "actions": [{"type": "delete", "description": "x",
                                                       "resource": {"resourceType": "X"}}]}],
               selectionBehavior="any"), "cds-resp-2"),
        (_card(links=[{"label": "l", "url": "https://x.example", "type": "absolute",
                       "appContext": "{}"}]), "cds-resp-3"),
        (_card(overrideReasons=[{"system": "s", "code": "c"}]), "cds-resp-4"),
        (_card(suggestions=[{"label": "a", "actions": [{"type": "create",
                                                       "resource": {"resourceType": "X"}}]}],
               selectionBehavior="any"), "cds-resp-5"),
        (_card(suggestions=[{"label": "a", "actions": [ACTION]}]), "cds-resp-6"),
        (_card(suggestions=[{"label": "a", "actions": [ACTION], "actionSelectionBehavior": "some"}],
               selectionBehavior="any"), "cds-resp-7"),
    ],
)  # fmt: skip
def test_each_response_invariant_is_checked(response: dict[str, Any], problem: str) -> None:
    assert problem in _problems(validate_response, response)


@pytest.mark.parametrize(
    ("response", "where"),
    [
        (_card(detail=None), "detail"),
        (_card(detail=""), "detail"),
        (_card(suggestions=[]), "suggestions"),
        (_card(links=[]), "links"),
        (_card(extension={}), "extension"),
        ({"cards": [], "systemActions": []}, "systemActions"),
    ],
)
def test_null_or_empty_optional_fields_are_rejected(response: dict[str, Any], where: str) -> None:
    assert where in _problems(validate_response, response)


@pytest.mark.parametrize(
    "response",
    [
        _card(summary="x" * 140),
        _card(indicator="urgent"),
        _card(source={}),
        _card(uuid="not-a-uuid"),
        _card(selectionBehavior="all"),
        _card(links=[{"label": "l", "url": "/relative", "type": "absolute"}]),
        _card(links=[{"label": "l", "url": "https://x.example", "type": "SMART"}]),
        _card(unknownField=1),
        {"cards": [], "unknown": 1},
        {},
    ],
)
def test_responses_outside_the_spec_are_rejected(response: dict[str, Any]) -> None:
    _problems(validate_response, response)


def test_request_without_fhir_server_but_with_authorization_breaks_cds_r_1() -> None:
    request = _example("binary-CDSHooksRequestPV.json")
    del request["fhirServer"]
    assert "cds-r-1" in _problems(validate_request, request)


def test_patient_scopes_without_patient_is_a_cds_r_2_warning_not_an_error() -> None:
    """cds-r-2 has severity warning: reported, but the request stays valid."""
    request = _example("binary-CDSHooksRequestPV.json")
    request["fhirAuthorization"]["scope"] = "patient/Observation.read patient/Patient.read"
    request["fhirAuthorization"].pop("patient", None)
    validate_request(request)
    assert [w.split(":")[0] for w in request_warnings(request)] == ["cds-r-2"]
    request["fhirAuthorization"]["patient"] = "123"
    assert request_warnings(request) == []
    request["fhirAuthorization"]["scope"] = "user/Observation.read"
    del request["fhirAuthorization"]["patient"]
    assert request_warnings(request) == []


def test_request_with_unknown_fields_is_accepted() -> None:
    request = _example("binary-CDSHooksRequestPV.json")
    request["org.example.extra"] = {"x": 1}
    validate_request(request)


FEEDBACK = {"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "overridden",
            "overrideReason": {"reason": {"system": "s", "code": "c", "display": "d"}},
            "outcomeTimestamp": "2025-03-14T10:00:00Z"}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"outcome": "ignored"}, "cds-fb-1"),
        ({"outcome": "accepted", "overrideReason": None}, "cds-fb-2"),
        ({"overrideReason": {"foo": "bar"}}, "cds-fb-3"),
    ],
)
def test_each_feedback_invariant_is_checked(change: dict[str, Any], problem: str) -> None:
    entry = {**FEEDBACK, **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    assert problem in _problems(validate_feedback, {"feedback": [entry]})


def test_valid_feedback_is_accepted() -> None:
    validate_feedback({"feedback": [FEEDBACK]})
    accepted: dict[str, Any] = {k: v for k, v in FEEDBACK.items() if k != "overrideReason"}
    accepted |= {"outcome": "accepted", "acceptedSuggestions": [{"id": "e56e1945"}]}
    validate_feedback({"feedback": [accepted]})
