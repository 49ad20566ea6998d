"""docs/service.md maps every service-side Inferno CDS Hooks 2.0 row, and every complaint of
cds-hooks.md's "What peers' users complain about", to tests that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
DOC = HERE.parents[1] / "docs" / "service.md"
# Service-side rows (actor "Service" or "Client, Service") of Inferno's
# cds-hooks_2.0_requirements.csv (davinci-crd-test-kit @ 1d1f2c4).
SERVICE_ROWS = frozenset(
    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 27, 28, 29, 34, 35, 36, 52, 54, 55, 56,
     57, 58, 59, 60, 61, 74, 75, 76, 77, 78, 80, 81, 82, 83, 84, 85, 87, 88, 89, 90, 92, 93, 94,
     95, 96, 98, 99, 100, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 115, 116, 117,
     118, 119, 120, 121, 122, 123, 124, 125, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136,
     138, 139, 140, 141, 142, 144, 145, 146, 147, 148, 168, 175, 176, 177, 179, 195, 199, 200,
     201, 203, 205, 206, 207, 208, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220}
)  # fmt: skip


def _mapping() -> dict[str, str]:
    section = DOC.read_text("utf-8").split("## Inferno CDS Hooks 2.0 requirements")[1]
    rows = re.findall(r"^\| (\d+) \| .*? \| (.*) \|$", section, flags=re.MULTILINE)
    return dict(rows)


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    }


def test_every_service_row_is_mapped_once() -> None:
    mapping = _mapping()
    assert {int(row) for row in mapping} == SERVICE_ROWS
    assert len(mapping) == len(SERVICE_ROWS)


def test_every_mapped_test_exists_and_every_n_a_says_why() -> None:
    for row, target in _mapping().items():
        named = re.findall(r"(test_\w+\.py)::(test_\w+)", target)
        if not named:
            assert target.startswith("n/a"), f"row {row}: {target}"
            assert ":" in target, f"row {row}: n/a without a reason"
        for file, test in named:
            assert test in _tests_in(HERE / file), f"row {row}: {file}::{test} not found"


# "What peers' users complain about" in ../shared/spec/cds-hooks.md, one test row each
COMPLAINTS = (
    "Partial prefetch assumed complete",
    "Paginated prefetch ignored",
    "OperationOutcome in prefetch treated as data",
    "No look-back window",
    "No timeout on FHIR calls",
    "A missing Patient silently ignored",
    "Unknown request fields rejected",
    "JWT without `kid`",
    "CORS blocking browser clients",
    "Errors returned as stack traces or as 200 with no cards",
    "No feedback endpoint",
    "Actions serialized with wrong case",
)


def test_every_complaint_names_tests_that_exist() -> None:
    section = DOC.read_text("utf-8").split("## What peers' users complain about")[1]
    section = section.split("\n## ")[0]
    rows = dict(re.findall(r"^\| ([^|]+?) \| (.*) \|$", section, flags=re.MULTILINE))
    assert set(COMPLAINTS) <= set(rows)
    for complaint in COMPLAINTS:
        named = re.findall(r"(test_\w+\.py)::(test_\w+)", rows[complaint])
        assert named, complaint
        for file, test in named:
            assert test in _tests_in(HERE / file), f"{complaint}: {file}::{test} not found"
