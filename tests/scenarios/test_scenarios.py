"""Clinical scenarios end to end: each folder of tests/data/ through the real `ln-cds assess`.

Every `expected.json` was derived by hand from clinical.md (see the folder's README.md and
tests/data/_make_scenarios.py), so a failure means the code and the spec disagree — read the
scenario's reasoning before touching either.

Matching rules: dicts in expected.json are a subset of the output (only the keys written must
match, recursively), lists must match exactly, numbers within 1e-6. The special key `_notes`
lists resources that must (`present_for`) or must not (`absent_for`) be the source of a note.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fhir.resources.R4B.bundle import Bundle

from cds.cli import main

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BAD_INPUT_DIR = DATA_DIR / "_bad_input"
SCENARIO_DIRS = sorted(
    p for p in DATA_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
)
TOLERANCE = 1e-6

# Rules never read the clock; freezing it years after every as_of (in a non-UTC zone) makes a
# rule that did read it produce a visibly different answer.
FROZEN_NOW = datetime(2031, 3, 15, 23, 30, tzinfo=ZoneInfo("Asia/Dubai"))


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every place where `actual` does not match `expected` (subset for dicts, exact lists)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        found: list[str] = []
        for key, want in expected.items():
            if key not in actual:
                found.append(f"{path}.{key}: missing (expected {want!r})")
            else:
                found += mismatches(want, actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        found = []
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found += mismatches(want, got, f"{path}[{i}]")
        return found
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return (
            []
            if actual == expected and type(actual) is type(expected)
            else [f"{path}: expected {expected!r}, got {actual!r}"]
        )
    if isinstance(expected, int | float):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        return (
            []
            if abs(actual - expected) <= TOLERANCE
            else [f"{path}: expected {expected!r}, got {actual!r}"]
        )
    return [f"{path}: unsupported expected value {expected!r}"]


def note_sources(output: dict[str, Any]) -> set[str]:
    return {n["source"] for n in output.get("notes", []) if n.get("source")}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with time_machine.travel(FROZEN_NOW, tick=False):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse errors exit; anything else must return a code
            code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assess(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], Any]:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    argv = [
        "assess",
        str(folder / "bundle.json"),
        "--as-of",
        expected["as_of"],
        "--profile",
        expected["profile"],
        "--format",
        "json",
    ]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, f"exit code {code}; stderr: {err}"
    return expected, json.loads(out)


def test_there_are_scenarios_for_every_status() -> None:
    statuses = {
        json.loads((d / "expected.json").read_text(encoding="utf-8"))["status"]
        for d in SCENARIO_DIRS
    }
    assert statuses == {
        "not-applicable",
        "kidney-failure",
        "possible-ln",
        "flare",
        "refractory",
        "no-response",
        "complete-response",
        "partial-response",
        "active",
        "insufficient-data",
    }


@pytest.mark.parametrize("folder", SCENARIO_DIRS, ids=[d.name for d in SCENARIO_DIRS])
def test_scenario_folder_is_complete_and_valid_fhir(folder: Path) -> None:
    assert (folder / "README.md").is_file()
    bundle = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    patients = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert len(patients) == 1


@pytest.mark.parametrize("folder", SCENARIO_DIRS, ids=[d.name for d in SCENARIO_DIRS])
def test_assessment_matches_hand_derived_expectation(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected, output = assess(folder, capsys)
    notes_rule = expected.pop("_notes", {})
    problems = mismatches(expected, output)
    sources = note_sources(output)
    problems += [
        f"$.notes: expected a note about {ref}"
        for ref in notes_rule.get("present_for", [])
        if ref not in sources
    ]
    problems += [
        f"$.notes: unexpected note about {ref}"
        for ref in notes_rule.get("absent_for", [])
        if ref in sources
    ]
    assert not problems, f"{folder.name} (see its README.md):\n" + "\n".join(problems)


BAD_FILES = [
    "not_json.json",
    "empty.json",
    "json_list_not_bundle.json",
    "not_a_fhir_resource.json",
    "no_patient.json",
    "two_patients.json",
]


def assert_rejected(code: int, out: str, err: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert err.strip(), "expected a message on stderr"
    assert len(err.strip().splitlines()) == 1, f"expected one line on stderr, got: {err!r}"
    assert out == ""


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_input_exits_2_with_one_line_message(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["assess", str(BAD_INPUT_DIR / name), "--as-of", "2024-06-30", "--format", "json"]
    assert_rejected(*run_cli(argv, capsys))


def test_unreadable_file_exits_2_with_one_line_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-bundle.json"
    argv = ["assess", str(missing), "--as-of", "2024-06-30", "--format", "json"]
    assert_rejected(*run_cli(argv, capsys))


def test_directory_instead_of_file_exits_2_with_one_line_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["assess", str(tmp_path), "--as-of", "2024-06-30", "--format", "json"]
    assert_rejected(*run_cli(argv, capsys))


def test_mismatch_helper_reports_what_differs() -> None:
    """The comparison the suite relies on: subset dicts, exact lists, 1e-6 numbers, strict types."""
    actual = {"a": 1.0000001, "b": {"c": "x", "extra": 1}, "l": [1, 2], "t": True}
    assert mismatches({"a": 1, "b": {"c": "x"}, "l": [1, 2], "t": True}, actual) == []
    assert mismatches({"a": 1.1}, actual) == ["$.a: expected 1.1, got 1.0000001"]
    assert mismatches({"l": [1]}, actual) == ["$.l: expected [1], got [1, 2]"]
    assert mismatches({"t": 1}, actual) == ["$.t: expected 1, got True"]
    assert mismatches({"b": {"d": None}}, actual) == ["$.b.d: missing (expected None)"]
    assert mismatches({"x": None}, {"x": "null"}) == ["$.x: expected None, got 'null'"]
