"""Feedback on our cards, as we keep it: ids, outcome, timestamps and coded reasons only.

Deliberately absent: `overrideReason.userComment`. It is free text typed by a clinician looking
at a patient's chart, so it can contain anything, including PHI ("pt refuses, see note from
Dr X re: pregnancy"). We parse it (to validate the body) and drop it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"


@dataclass(frozen=True)
class OverrideReason:
    """The Coding the user picked from the card's `overrideReasons` (ours, so not PHI)."""

    code: str
    system: str | None = None
    display: str | None = None


@dataclass(frozen=True)
class FeedbackItem:
    """One validated feedback entry. `card` and suggestion ids are canonical lowercase UUIDs;
    `outcome_timestamp` is timezone-aware UTC."""

    card: str
    outcome: Outcome
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: OverrideReason | None = None


@dataclass(frozen=True)
class FeedbackRow:
    """One stored entry, as `export()` returns it."""

    service_id: str
    card: str
    outcome: Outcome
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...]
    override_reason_system: str | None
    override_reason_code: str | None
    override_reason_display: str | None
    received_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "serviceId": self.service_id,
            "card": self.card,
            "outcome": self.outcome.value,
            "outcomeTimestamp": format_instant(self.outcome_timestamp),
            "acceptedSuggestions": list(self.accepted_suggestions),
            "overrideReason": (
                None
                if self.override_reason_code is None
                else {
                    "system": self.override_reason_system,
                    "code": self.override_reason_code,
                    "display": self.override_reason_display,
                }
            ),
            "receivedAt": format_instant(self.received_at),
        }


def format_instant(value: datetime) -> str:
    """Canonical UTC text for an instant (microseconds, `Z`): equal instants, equal strings."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
