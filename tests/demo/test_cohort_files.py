"""The committed cohort files are the generator's output, and agree with each other."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from cds.assessment import Status
from cds.demo import DEMO_AS_OF, DEMO_PROFILE, CohortPatient

REPO = Path(__file__).resolve().parents[2]
COHORT_DIR = REPO / "cds" / "demo" / "cohort"


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    """`scripts/make_cohort.py`, imported from its path (scripts/ is not a package).

    Registered in `sys.modules` while in use: its dataclasses look their module up there.
    """
    name = "_ln_cds_make_cohort"
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts/make_cohort.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def test_committed_cohort_is_exactly_what_the_generator_writes(generator: ModuleType) -> None:
    files = generator.render_all()
    committed = {p.name for p in COHORT_DIR.iterdir() if p.suffix in (".json", ".md")}
    assert committed == set(files)
    for name, text in files.items():
        assert (COHORT_DIR / name).read_text(encoding="utf-8") == text, name


def test_generator_design_checks_reject_a_value_close_to_a_threshold(
    generator: ModuleType,
) -> None:
    with pytest.raises(AssertionError, match="within 10 %"):
        generator._clear(0.47, 0.5, "P vs complete response")


def test_expected_results_are_for_the_demo_date_and_default_profile() -> None:
    expected = json.loads((COHORT_DIR / "expected.json").read_text(encoding="utf-8"))
    assert expected["as_of"] == DEMO_AS_OF.isoformat() == "2026-11-01"
    assert expected["profile"] == DEMO_PROFILE == "kdigo-2024"


def test_cohort_covers_every_status_of_the_spec(cohort: list[CohortPatient]) -> None:
    assert {p.expected_status for p in cohort} == set(Status)


def test_cohort_covers_the_required_story_variants(cohort: list[CohortPatient]) -> None:
    by_status: dict[Status, list[CohortPatient]] = {}
    for patient in cohort:
        by_status.setdefault(patient.expected_status, []).append(patient)
    flares = by_status[Status.FLARE]
    assert {
        (f.expected_flare.type, f.expected_flare.confirmed) for f in flares if f.expected_flare
    } >= {
        ("proteinuric", True),
        ("nephritic", True),
        ("proteinuric", False),
    }
    assert len(by_status[Status.REFRACTORY]) >= 2
    no_response = {str(p.expected_response) for p in by_status[Status.NO_RESPONSE]}
    assert no_response == {"none", "lost"}
    assert len(cohort) >= 16


def test_flare_details_exactly_when_the_status_is_flare(cohort: list[CohortPatient]) -> None:
    for patient in cohort:
        assert (patient.expected_flare is not None) == (patient.expected_status is Status.FLARE)
        assert patient.expected_refractory == (patient.expected_status is Status.REFRACTORY)


def test_every_expected_date_lies_on_or_before_the_demo_date(cohort: list[CohortPatient]) -> None:
    for patient in cohort:
        if patient.expected_index_date is not None:
            assert patient.expected_index_date <= DEMO_AS_OF
            assert patient.expected_index_source in ("medication", "condition")
        if patient.expected_flare is not None:
            assert patient.expected_flare.date <= DEMO_AS_OF


def _readme_rows() -> dict[str, tuple[str, str]]:
    """patient id → (synthetic name, expected status cell) from the README table."""
    rows = {}
    readme = (COHORT_DIR / "README.md").read_text(encoding="utf-8")
    for line in readme.splitlines():
        match = re.fullmatch(r"\| (ln-demo-\d\d) \| ([^|]+) \| [^|]+ \| ([^|]+) \|", line)
        if match:
            rows[match[1]] = (match[2], match[3])
    return rows


def test_readme_table_lists_every_patient_with_its_expected_status(
    cohort: list[CohortPatient],
) -> None:
    rows = _readme_rows()
    assert list(rows) == [p.id for p in cohort]
    for patient in cohort:
        name, status = rows[patient.id]
        assert name == patient.name
        assert status.split(" (")[0] == patient.expected_status.value


def test_load_cohort_gives_patients_in_id_order_with_their_bundles(
    cohort: list[CohortPatient],
) -> None:
    assert [p.id for p in cohort] == [f"ln-demo-{n:02d}" for n in range(1, len(cohort) + 1)]
    for patient in cohort:
        first = patient.resources()[0]
        assert first["resourceType"] == "Patient"
        assert first["id"] == patient.id
        assert first["name"][0]["text"] == patient.name
        assert patient.story


def test_every_patient_name_is_visibly_synthetic(cohort: list[CohortPatient]) -> None:
    for patient in cohort:
        (name,) = patient.resources()[0]["name"]
        assert name["family"] == "Testpatient"
        assert name["given"][1].startswith("Demo-")
