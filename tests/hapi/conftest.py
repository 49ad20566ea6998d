"""Fixtures of the HAPI integration tests: the service in gunicorn against the session's HAPI.

`service` is the production command (the Dockerfile's CMD) fetching from the `hapi_cohort`
server of tests/conftest.py, started once for all modules here. `cohort_runs` remembers each
patient's EHR-computed prefetch and self-fetched cards, so that tests comparing the ways of
calling do not repeat the same HTTP calls.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gunicorn_server import GunicornServer, running_gunicorn
from tests.hapi.runs import CohortRuns
from tests.hapi.service import service_env
from tests.hapi_server import RunningHapi


@pytest.fixture(scope="session")
def service(
    hapi_cohort: RunningHapi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GunicornServer]:
    """The production command, auth off, fetching from HAPI, on the cohort's as-of date."""
    env = service_env(hapi_cohort.base_url, tmp_path_factory.mktemp("service"))
    with running_gunicorn(env) as server:
        yield server


@pytest.fixture(scope="session")
def cohort_runs(hapi_cohort: RunningHapi, service: GunicornServer) -> CohortRuns:
    """Each patient's prefetch and self-fetched cards, computed on first use."""
    return CohortRuns(hapi_cohort, service)
