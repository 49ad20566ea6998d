"""Fixtures for the demo-cohort tests: the packaged cohort, loaded once per session."""

from __future__ import annotations

import pytest

from cds.demo import CohortPatient, load_cohort


@pytest.fixture(scope="session")
def cohort() -> list[CohortPatient]:
    """The packaged cohort (tests read it; none mutates it)."""
    return load_cohort()
