"""Validation of feedback bodies: what is accepted, normalised, refused, and never kept."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from cds.feedback import FeedbackError, FeedbackItem, Outcome, OverrideReason, parse_feedback
from tests.feedback.conftest import DATA

CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"
SUGGESTION = "e56e1945-20b3-4393-8503-a1a20fd73152"
WHEN = "2025-03-14T09:41:07Z"


def accepted(**changes: Any) -> dict[str, Any]:
    entry = {
        "card": CARD,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": SUGGESTION}],
        "outcomeTimestamp": WHEN,
    }
    return _apply(entry, changes)


def overridden(**changes: Any) -> dict[str, Any]:
    entry = {
        "card": CARD,
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": "urn:x", "code": "c", "display": "D"}},
        "outcomeTimestamp": WHEN,
    }
    return _apply(entry, changes)


def _apply(entry: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        if value is _DROP:
            entry.pop(name, None)
        else:
            entry[name] = value
    return entry


_DROP = object()


def test_example_body_is_parsed_and_normalised() -> None:
    body = json.loads((DATA / "accepted-and-overridden.json").read_text())

    assert parse_feedback(body) == [
        FeedbackItem(
            card=CARD,
            outcome=Outcome.ACCEPTED,
            outcome_timestamp=datetime(2025, 3, 14, 9, 41, 7, 123000, tzinfo=UTC),
            accepted_suggestions=(SUGGESTION,),
        ),
        FeedbackItem(
            card="2a1d8e3c-62b0-4c9c-8a5e-0f3c1b7d9e44",
            outcome=Outcome.OVERRIDDEN,
            outcome_timestamp=datetime(2025, 3, 14, 9, 41, 7, tzinfo=UTC),
            override_reason=OverrideReason(
                code="already-addressed",
                system="https://ln-cds.example.org/CodeSystem/override-reason",
                display="Already addressed by the nephrology team",
            ),
        ),
    ]


def test_user_comment_is_validated_but_never_kept() -> None:
    body = json.loads((DATA / "accepted-and-overridden.json").read_text())
    items = parse_feedback(body)
    assert "Dr Smith" not in repr(items)
    assert "Dr Smith" not in json.dumps([asdict(i) for i in items], default=str)


@pytest.mark.parametrize(
    "body",
    [accepted(), {"feedback": accepted()}],
    ids=["bare-object", "object-under-feedback"],
)
def test_single_feedback_object_is_tolerated(body: dict[str, Any]) -> None:
    assert [item.card for item in parse_feedback(body)] == [CARD]


def test_override_with_comment_only_keeps_no_reason() -> None:
    body = {"feedback": [overridden(overrideReason={"userComment": "free text"})]}
    (item,) = parse_feedback(body)
    assert item.override_reason is None


def test_override_without_reason_object_is_accepted() -> None:
    (item,) = parse_feedback({"feedback": [overridden(overrideReason=_DROP)]})
    assert (item.outcome, item.override_reason) == (Outcome.OVERRIDDEN, None)


def test_repeated_suggestion_id_counts_once() -> None:
    other = "00000000-0000-4000-8000-000000000001"
    body = accepted(acceptedSuggestions=[{"id": SUGGESTION}, {"id": other}, {"id": SUGGESTION}])
    (item,) = parse_feedback(body)
    assert item.accepted_suggestions == (SUGGESTION, other)


def test_unknown_members_are_tolerated() -> None:
    body = {"feedback": [accepted(extension={"x": 1}, future={"y": [2]})], "extension": {}}
    assert len(parse_feedback(body)) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([accepted()], "body must be a JSON object"),
        ("feedback", "body must be a JSON object"),
        ({"feedback": "x"}, "must be an array"),
        ({"feedback": []}, "array is empty"),
        ({"feedback": [accepted()] * 501}, "more than 500"),
        ({"feedback": ["x"]}, r"feedback\[0\] must be an object"),
        (accepted(card=_DROP), r"card is required"),
        (accepted(card=42), r"card must be a string"),
        (accepted(card="card-1"), r"card must be a uuid"),
        (accepted(card="{" + CARD + "}"), r"card must be a uuid"),
        (accepted(outcome=_DROP), r"outcome is required"),
        (accepted(outcome="ignored"), r"cds-fb-1"),
        (accepted(outcome="Accepted"), r"cds-fb-1"),
        (accepted(acceptedSuggestions=_DROP), r"cds-fb-2"),
        (accepted(acceptedSuggestions=[]), r"cds-fb-2"),
        (accepted(acceptedSuggestions={"id": SUGGESTION}), r"must be an array"),
        (accepted(acceptedSuggestions=[{}]), r"acceptedSuggestions\[0\]\.id is required"),
        (accepted(acceptedSuggestions=[{"id": "s1"}]), r"id must be a uuid"),
        (accepted(acceptedSuggestions=[SUGGESTION]), r"acceptedSuggestions\[0\] must be an obj"),
        (
            accepted(overrideReason={"reason": {"code": "c"}}),
            "overrideReason is only allowed when overridden",
        ),
        (
            overridden(acceptedSuggestions=[{"id": SUGGESTION}]),
            "acceptedSuggestions is only allowed when accepted",
        ),
        (overridden(overrideReason={}), "cds-fb-3"),
        (overridden(overrideReason={"extension": {}}), "cds-fb-3"),
        (overridden(overrideReason="no"), "overrideReason must be an object"),
        (overridden(overrideReason={"reason": "c"}), "reason must be a Coding object"),
        (overridden(overrideReason={"reason": {"system": "urn:x"}}), r"reason\.code is required"),
        (overridden(overrideReason={"reason": {"code": ""}}), r"code must be a non-empty string"),
        (overridden(overrideReason={"reason": {"code": "c", "system": 1}}), r"system must be"),
        (overridden(overrideReason={"reason": {"code": "c" * 1025}}), "longer than 1024"),
        (overridden(overrideReason={"userComment": 7}), r"userComment must be a string"),
        (accepted(outcomeTimestamp=_DROP), r"outcomeTimestamp is required"),
        (accepted(outcomeTimestamp="2025-03-14"), r"must be an ISO 8601 date-time"),
        (accepted(outcomeTimestamp="yesterday"), r"must be an ISO 8601 date-time"),
        (accepted(outcomeTimestamp="2025-13-14T09:41:07Z"), r"must be an ISO 8601 date-time"),
        (accepted(outcomeTimestamp=1741945267), r"must be an ISO 8601 date-time"),
        (accepted(outcomeTimestamp="2025-03-14T09:41:07"), r"must carry a UTC offset"),
    ],
)
def test_invalid_feedback_is_refused_with_a_message(body: object, message: str) -> None:
    with pytest.raises(FeedbackError, match=message):
        parse_feedback(copy.deepcopy(body))


def test_error_message_names_the_entry_but_does_not_echo_values() -> None:
    secret = "Jane Doe 1970-01-01"
    body = {"feedback": [accepted(), accepted(card=secret)]}
    with pytest.raises(FeedbackError) as info:
        parse_feedback(body)
    assert info.value.message == "feedback[1].card must be a uuid"
