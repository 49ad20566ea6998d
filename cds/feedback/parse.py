"""Parse and validate a CDS Hooks 2.0 feedback request body.

Rules (CDS Hooks 2.0 §Feedback and the HL7 3.0-ballot invariants):
- body `{"feedback": [...]}`; a single feedback object (bare or under `feedback`) is tolerated;
- `card`: the card's uuid (an optional `urn:uuid:` prefix is accepted and removed);
- `outcome`: `accepted` | `overridden` (cds-fb-1);
- `acceptedSuggestions`: `[{id: uuid}]`, required and non-empty when accepted (cds-fb-2),
  refused when overridden;
- `overrideReason`: only when overridden; must hold `reason` (a Coding with `code`) or
  `userComment` or both (cds-fb-3); the comment is validated but not kept (PHI risk);
- `outcomeTimestamp`: ISO 8601 date-time with a UTC offset, normalised to UTC.
Unknown members (e.g. `extension`) are tolerated. Error messages name the entry and field but
never echo the submitted values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from cds.feedback.errors import FeedbackError
from cds.feedback.model import FeedbackItem, Outcome, OverrideReason

MAX_ITEMS = 500
MAX_SUGGESTIONS = 100
MAX_CODING_CHARS = 1024
_URN_UUID = "urn:uuid:"


def parse_feedback(body: object) -> list[FeedbackItem]:
    """The validated items of a feedback body, or `FeedbackError` (→ 400)."""
    if not isinstance(body, Mapping):
        raise FeedbackError("feedback body must be a JSON object")
    entries: object = body.get("feedback", body)
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        raise FeedbackError("feedback must be an array of feedback objects")
    if not entries:
        raise FeedbackError("feedback array is empty")
    if len(entries) > MAX_ITEMS:
        raise FeedbackError(f"feedback array has more than {MAX_ITEMS} entries")
    return [_item(entry, f"feedback[{n}]") for n, entry in enumerate(entries)]


def _item(entry: object, where: str) -> FeedbackItem:
    if not isinstance(entry, Mapping):
        raise FeedbackError(f"{where} must be an object")
    card = _uuid(entry.get("card"), f"{where}.card")
    outcome = _outcome(entry.get("outcome"), where)
    timestamp = _instant(entry.get("outcomeTimestamp"), f"{where}.outcomeTimestamp")
    suggestions = entry.get("acceptedSuggestions")
    reason = entry.get("overrideReason")
    if outcome is Outcome.ACCEPTED:
        if reason is not None:
            raise FeedbackError(f"{where}.overrideReason is only allowed when overridden")
        accepted = _suggestions(suggestions, f"{where}.acceptedSuggestions")
        return FeedbackItem(card, outcome, timestamp, accepted_suggestions=accepted)
    if suggestions is not None:
        raise FeedbackError(f"{where}.acceptedSuggestions is only allowed when accepted")
    override = None if reason is None else _override_reason(reason, f"{where}.overrideReason")
    return FeedbackItem(card, outcome, timestamp, override_reason=override)


def _outcome(value: object, where: str) -> Outcome:
    if value is None:
        raise FeedbackError(f"{where}.outcome is required")
    if value not in (Outcome.ACCEPTED.value, Outcome.OVERRIDDEN.value):
        raise FeedbackError(f"{where}.outcome must be 'accepted' or 'overridden' (cds-fb-1)")
    return Outcome(value)


def _suggestions(value: object, where: str) -> tuple[str, ...]:
    if value is None or value == []:
        raise FeedbackError(f"{where} is required when the outcome is accepted (cds-fb-2)")
    if not isinstance(value, list):
        raise FeedbackError(f"{where} must be an array")
    if len(value) > MAX_SUGGESTIONS:
        raise FeedbackError(f"{where} has more than {MAX_SUGGESTIONS} entries")
    ids: list[str] = []
    for n, suggestion in enumerate(value):
        if not isinstance(suggestion, Mapping):
            raise FeedbackError(f"{where}[{n}] must be an object")
        ids.append(_uuid(suggestion.get("id"), f"{where}[{n}].id"))
    # The same suggestion reported twice is one acceptance; keep the order the EHR sent.
    return tuple(dict.fromkeys(ids))


def _override_reason(value: object, where: str) -> OverrideReason | None:
    if not isinstance(value, Mapping):
        raise FeedbackError(f"{where} must be an object")
    reason = value.get("reason")
    comment = value.get("userComment")
    if reason is None and comment is None:
        raise FeedbackError(f"{where} needs a reason, a userComment or both (cds-fb-3)")
    if comment is not None and not isinstance(comment, str):
        raise FeedbackError(f"{where}.userComment must be a string")
    if reason is None:
        return None  # comment only: nothing we keep
    return _coding(reason, f"{where}.reason")


def _coding(value: object, where: str) -> OverrideReason:
    if not isinstance(value, Mapping):
        raise FeedbackError(f"{where} must be a Coding object")
    code = value.get("code")
    if code is None:
        raise FeedbackError(f"{where}.code is required")
    return OverrideReason(
        code=_text(code, f"{where}.code"),
        system=_optional_text(value.get("system"), f"{where}.system"),
        display=_optional_text(value.get("display"), f"{where}.display"),
    )


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FeedbackError(f"{where} must be a non-empty string")
    if len(value) > MAX_CODING_CHARS:
        raise FeedbackError(f"{where} is longer than {MAX_CODING_CHARS} characters")
    return value


def _uuid(value: object, where: str) -> str:
    if value is None:
        raise FeedbackError(f"{where} is required")
    if not isinstance(value, str):
        raise FeedbackError(f"{where} must be a string (a uuid)")
    text = value[len(_URN_UUID) :] if value.lower().startswith(_URN_UUID) else value
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        raise FeedbackError(f"{where} must be a uuid") from None
    if len(text) not in (32, 36):  # uuid.UUID also accepts braces and "urn:uuid:" forms
        raise FeedbackError(f"{where} must be a uuid")
    return str(parsed)


def _instant(value: object, where: str) -> datetime:
    if value is None:
        raise FeedbackError(f"{where} is required")
    if not isinstance(value, str) or "T" not in value.upper():
        raise FeedbackError(f"{where} must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FeedbackError(f"{where} must be an ISO 8601 date-time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FeedbackError(f"{where} must carry a UTC offset (e.g. Z)")
    return parsed.astimezone(UTC)
