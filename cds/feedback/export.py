"""Render stored feedback as CSV or JSON for `ln-cds feedback export`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from cds.feedback.model import FeedbackRow, format_instant

CSV_COLUMNS = (
    "service_id",
    "card",
    "outcome",
    "outcome_timestamp",
    "accepted_suggestions",
    "override_reason_system",
    "override_reason_code",
    "override_reason_display",
    "received_at",
)

# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection);
# the coded reason fields come from the EHR, so they are neutralised with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(rows: Iterable[FeedbackRow], out: TextIO) -> None:
    """CSV with a header; accepted suggestion ids are separated by spaces."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.service_id,
                row.card,
                row.outcome.value,
                format_instant(row.outcome_timestamp),
                " ".join(row.accepted_suggestions),
                _cell(row.override_reason_system),
                _cell(row.override_reason_code),
                _cell(row.override_reason_display),
                format_instant(row.received_at),
            )
        )


def write_json(rows: Iterable[FeedbackRow], out: TextIO) -> None:
    """`{"feedback": [...]}`, one object per stored row (camelCase like the CDS Hooks body)."""
    json.dump({"feedback": [row.to_json() for row in rows]}, out, indent=2)
    out.write("\n")


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value
