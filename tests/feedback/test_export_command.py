"""`ln-cds feedback export`: every stored row on stdout, as CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from cds.commands import feedback as command
from cds.feedback import parse_feedback
from cds.feedback.sqlite_store import SqliteFeedbackStore
from tests.feedback.conftest import DATA

RECEIVED = datetime(2025, 3, 14, 9, 45, tzinfo=UTC)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ln-cds feedback")
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "fb.sqlite3"
    body = json.loads((DATA / "accepted-and-overridden.json").read_text())
    with time_machine.travel(RECEIVED, tick=False):
        SqliteFeedbackStore(path).save("ln-status", parse_feedback(body))
    return path


def test_json_export_lists_every_row(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["export", "--format", "json", "--database", str(database)]) == 0

    assert json.loads(capsys.readouterr().out) == {
        "feedback": [
            {
                "serviceId": "ln-status",
                "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                "outcome": "accepted",
                "outcomeTimestamp": "2025-03-14T09:41:07.123000Z",
                "acceptedSuggestions": ["e56e1945-20b3-4393-8503-a1a20fd73152"],
                "overrideReason": None,
                "receivedAt": "2025-03-14T09:45:00.000000Z",
            },
            {
                "serviceId": "ln-status",
                "card": "2a1d8e3c-62b0-4c9c-8a5e-0f3c1b7d9e44",
                "outcome": "overridden",
                "outcomeTimestamp": "2025-03-14T09:41:07.000000Z",
                "acceptedSuggestions": [],
                "overrideReason": {
                    "system": "https://ln-cds.example.org/CodeSystem/override-reason",
                    "code": "already-addressed",
                    "display": "Already addressed by the nephrology team",
                },
                "receivedAt": "2025-03-14T09:45:00.000000Z",
            },
        ]
    }


def test_csv_export_has_a_header_and_one_line_per_row(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["export", "--format", "csv", "--database", str(database)]) == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["card"], r["outcome"], r["override_reason_code"]) for r in rows] == [
        ("9368d37b-283f-44a0-93ea-547cebab93ed", "accepted", ""),
        ("2a1d8e3c-62b0-4c9c-8a5e-0f3c1b7d9e44", "overridden", "already-addressed"),
    ]
    assert rows[0]["accepted_suggestions"] == "e56e1945-20b3-4393-8503-a1a20fd73152"
    assert rows[1]["outcome_timestamp"] == "2025-03-14T09:41:07.000000Z"


def test_csv_cells_that_would_run_as_spreadsheet_formulas_are_neutralised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fb.sqlite3"
    body = {
        "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
        "outcome": "overridden",
        "overrideReason": {"reason": {"code": '=HYPERLINK("http://x")', "display": "+1"}},
        "outcomeTimestamp": "2025-03-14T09:41:07Z",
    }
    SqliteFeedbackStore(path).save("ln-status", parse_feedback(body))

    assert run(["export", "--database", str(path)]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["override_reason_code"] == '\'=HYPERLINK("http://x")'
    assert row["override_reason_display"] == "'+1"


def test_database_defaults_to_the_service_environment(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LNCDS_DATABASE_URL", raising=False)
    monkeypatch.setenv("LNCDS_FEEDBACK_DB", str(database))
    assert run(["export", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["feedback"]) == 2


def test_missing_sqlite_file_is_an_error_not_an_empty_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing-here.sqlite3"
    assert run(["export", "--database", str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no feedback database" in captured.err
    assert not missing.exists()


@pytest.mark.postgres
def test_export_reads_postgres(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from cds.feedback.postgres_store import PostgresFeedbackStore  # noqa: PLC0415

    body = json.loads((DATA / "accepted-and-overridden.json").read_text())
    PostgresFeedbackStore(postgres_url).save("ln-status", parse_feedback(body))

    assert run(["export", "--format", "json", "--database", postgres_url]) == 0
    cards = [r["card"] for r in json.loads(capsys.readouterr().out)["feedback"]]
    assert cards == ["9368d37b-283f-44a0-93ea-547cebab93ed", "2a1d8e3c-62b0-4c9c-8a5e-0f3c1b7d9e44"]


def test_format_must_be_csv_or_json(database: Path) -> None:
    with pytest.raises(SystemExit):
        run(["export", "--format", "xml", "--database", str(database)])


def test_ln_cds_dispatches_feedback_export(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the real `ln-cds` entry point (only our subcommand registered, so the test does
    not depend on the other subcommands' modules)."""
    from cds import cli  # noqa: PLC0415

    monkeypatch.setattr(cli, "SUBCOMMANDS", {"feedback": cli.SUBCOMMANDS["feedback"]})
    assert cli.main(["feedback", "export", "--format", "json", "--database", str(database)]) == 0
    assert len(json.loads(capsys.readouterr().out)["feedback"]) == 2
