"""FHIR date and dateTime reading (clinical.md §1).

A timestamp's date is its calendar date as written, in its own offset: "2024-03-01T23:30:00-05:00"
is 1 March even though it is 2 March in UTC. So the date is read from the string's date
prefix and never converted. Full timestamps are parsed only for same-day tie-breaks.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

# YYYY, YYYY-MM, YYYY-MM-DD, optionally followed by a time part.
_DATE_PREFIX = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?=$|T)")


def parse_date(value: Any) -> tuple[date, bool] | None:
    """(calendar date, partial) of a FHIR date/dateTime/instant, or None if unreadable.

    Partial dates (YYYY, YYYY-MM) give their first day and partial=True.
    """
    if not isinstance(value, str):
        return None
    # Fast path (nearly every real value): a full date, alone or before "T".
    if len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[10:11] in ("", "T"):
        try:
            return date.fromisoformat(value[:10]), False
        except ValueError:
            return None
    m = _DATE_PREFIX.match(value)
    if m is None:
        return None
    year_s, month_s, day_s = m.groups()
    try:
        d = date(int(year_s), int(month_s or 1), int(day_s or 1))
    except ValueError:
        return None
    return d, day_s is None


def parse_timestamp(value: Any) -> datetime | None:
    """The instant of a dateTime with a time part, timezone-aware (no offset: read as UTC)."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt
