"""The HL7 CDS Hooks invariants (3.0 ballot FSH, `invariants/*.fsh`) checked in code.

Each function returns the violations found, as `"<id>: <where>: <what>"` strings; the one
warning-severity request invariant (cds-r-2) is reported by `request_warnings` and does not
make a request invalid. These complement the JSON Schemas: a schema says what shape is
allowed, the invariants say which combinations are (the FHIRPath of each is quoted in its
docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SELECTION_BEHAVIORS = frozenset({"all", "any", "at-most-one"})


def request_violations(request: Mapping[str, Any]) -> list[str]:
    """cds-r-1: `fhirAuthorization.exists() implies fhirServer.exists()`."""
    if "fhirAuthorization" in request and "fhirServer" not in request:
        return ["cds-r-1: fhirAuthorization is present but fhirServer is not"]
    return []


def request_warnings(request: Mapping[str, Any]) -> list[str]:
    """cds-r-2 (severity warning), on `fhirAuthorization`:
    `scope.contains('patient/') implies patient.exists()`."""
    authorization = request.get("fhirAuthorization")
    if not isinstance(authorization, Mapping):
        return []
    scope = authorization.get("scope")
    if isinstance(scope, str) and "patient/" in scope and "patient" not in authorization:
        return ["cds-r-2: fhirAuthorization grants patient/ scopes but names no patient"]
    return []


def response_violations(response: Mapping[str, Any]) -> list[str]:
    """cds-resp-1 … cds-resp-7 over every card, suggestion, action and link."""
    found: list[str] = []
    cards = response.get("cards")
    for i, card in enumerate(cards if isinstance(cards, list) else ()):
        if not isinstance(card, dict):
            continue
        where = f"cards[{i}]"
        suggestions = card.get("suggestions") or []
        # cds-resp-1: (selectionBehavior = 'at-most-one')
        #   implies suggestions.where(isRecommended).count() <= 1
        if card.get("selectionBehavior") == "at-most-one":
            recommended = [
                s for s in suggestions if isinstance(s, dict) and s.get("isRecommended") is True
            ]
            if len(recommended) > 1:
                found.append(
                    f"cds-resp-1: {where}: at-most-one with {len(recommended)} recommended"
                )
        # cds-resp-6: suggestions.exists() implies selectionBehavior.exists()
        if suggestions and "selectionBehavior" not in card:
            found.append(f"cds-resp-6: {where}: suggestions without selectionBehavior")
        for j, suggestion in enumerate(suggestions):
            if isinstance(suggestion, dict):
                found += _suggestion_violations(suggestion, f"{where}.suggestions[{j}]")
        # cds-resp-4: overrideReasons.all(display.exists())
        for j, reason in enumerate(card.get("overrideReasons") or []):
            if not isinstance(reason, dict) or not reason.get("display"):
                found.append(f"cds-resp-4: {where}.overrideReasons[{j}]: no display")
        # cds-resp-3: (type != 'smart') implies appContext.empty()
        for j, link in enumerate(card.get("links") or []):
            if isinstance(link, dict) and link.get("type") != "smart" and "appContext" in link:
                found.append(f"cds-resp-3: {where}.links[{j}]: appContext on a non-smart link")
    actions = response.get("systemActions")
    for j, action in enumerate(actions if isinstance(actions, list) else ()):
        if isinstance(action, dict):
            found += _action_violations(action, f"systemActions[{j}]")
    return found


def _suggestion_violations(suggestion: Mapping[str, Any], where: str) -> list[str]:
    found: list[str] = []
    # cds-resp-7: actionSelectionBehavior.empty() or in ('all', 'any', 'at-most-one')
    behavior = suggestion.get("actionSelectionBehavior")
    if behavior is not None and behavior not in SELECTION_BEHAVIORS:
        found.append(f"cds-resp-7: {where}: actionSelectionBehavior {behavior!r}")
    for k, action in enumerate(suggestion.get("actions") or []):
        if isinstance(action, dict):
            found += _action_violations(action, f"{where}.actions[{k}]")
    return found


def _action_violations(action: Mapping[str, Any], where: str) -> list[str]:
    found: list[str] = []
    # cds-resp-5: actions.all(description.exists())
    if not action.get("description"):
        found.append(f"cds-resp-5: {where}: no description")
    # cds-resp-2: (type = 'delete') implies (resourceId.exists() and resource.empty())
    if action.get("type") == "delete" and ("resourceId" not in action or "resource" in action):
        found.append(f"cds-resp-2: {where}: delete needs resourceId and no resource")
    return found


def feedback_violations(body: Mapping[str, Any]) -> list[str]:
    """cds-fb-1 … cds-fb-3 over every feedback entry."""
    found: list[str] = []
    entries = body.get("feedback")
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        if not isinstance(entry, dict):
            continue
        where = f"feedback[{i}]"
        outcome = entry.get("outcome")
        # cds-fb-1: outcome = 'accepted' or outcome = 'overridden'
        if outcome not in ("accepted", "overridden"):
            found.append(f"cds-fb-1: {where}: outcome {outcome!r}")
        # cds-fb-2: (outcome = 'accepted') implies acceptedSuggestions.exists()
        if outcome == "accepted" and not entry.get("acceptedSuggestions"):
            found.append(f"cds-fb-2: {where}: accepted without acceptedSuggestions")
        # cds-fb-3: overrideReason: reason.exists() or userComment.exists()
        reason = entry.get("overrideReason")
        if reason is not None and not (
            isinstance(reason, dict) and (reason.get("reason") or reason.get("userComment"))
        ):
            found.append(f"cds-fb-3: {where}: overrideReason has neither reason nor userComment")
    return found


def empty_value_violations(
    obj: Any, where: str = "$", *, allow_empty: frozenset[str] = frozenset()
) -> list[str]:
    """CDS Hooks #use-of-json: no JSON element is null or empty, except where allowed."""
    found: list[str] = []
    if obj is None:
        found.append(f"empty: {where} is null")
    elif isinstance(obj, str) and obj == "":
        found.append(f"empty: {where} is an empty string")
    elif isinstance(obj, list):
        if not obj and where not in allow_empty:
            found.append(f"empty: {where} is an empty array")
        for i, item in enumerate(obj):
            found += empty_value_violations(item, f"{where}[{i}]", allow_empty=allow_empty)
    elif isinstance(obj, dict):
        if not obj and where not in allow_empty:
            found.append(f"empty: {where} is an empty object")
        for key, value in obj.items():
            found += empty_value_violations(value, f"{where}.{key}", allow_empty=allow_empty)
    return found
