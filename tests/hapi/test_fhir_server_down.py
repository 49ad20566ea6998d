"""The FHIR server stops answering mid-run: 412 with an OperationOutcome, within the budget.

The session's HAPI is shared, so "stopped" here is SIGSTOP: the kernel stops the JVM, its
listening socket still accepts connections, and nothing ever answers. That is the hardest case
for the service (a refused connection fails at once; a hung server must be cut off by the
clock), and SIGCONT brings the same server back, so the test also shows the service recovers
without a restart. A server that is gone altogether (nothing listens) is the second test.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.gunicorn_server import GunicornServer, running_gunicorn
from tests.hapi.service import call_hook, hook_body, service_env
from tests.hapi_server import RunningHapi
from tests.infra import free_port

pytestmark = pytest.mark.hapi

PATIENT_ID = "ln-demo-01"
BUDGET_SECONDS = 4.0
# past the budget: the thread pool's 0.25 s grace, building the 412, gunicorn, a busy machine
SLACK_SECONDS = 2.5
HUNG_REASONS = ("FHIR server did not answer within the budget", "FHIR server timed out")
PREFETCH_KEYS = (
    "patient",
    "conditions",
    "proteinuria",
    "kidneyFunction",
    "urinalysis",
    "immunology",
    "bloodCounts",
    "medicationRequests",
    "medicationStatements",
    "medicationAdministrations",
)


@pytest.fixture(scope="module")
def dead_base() -> str:
    """A FHIR base URL on a loopback port where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/fhir"


@pytest.fixture(scope="module")
def budget_service(
    hapi_cohort: RunningHapi, dead_base: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GunicornServer]:
    """The service with a 4 s budget and a per-call timeout far above it: only the budget
    can end a call to a hung server. Both HAPI and the dead base are allowed."""
    env = service_env(
        hapi_cohort.base_url,
        tmp_path_factory.mktemp("budget-service"),
        LNCDS_FHIR_ALLOWED_SERVERS=f"{hapi_cohort.base_url},{dead_base}",
        LNCDS_FHIR_BUDGET_SECONDS=str(BUDGET_SECONDS),
        LNCDS_FHIR_TIMEOUT_SECONDS="60",
    )
    with running_gunicorn(env) as server:
        yield server


def _keys_named(diagnostics: list[str]) -> set[str]:
    return {key for key in PREFETCH_KEYS if any(f"prefetch key '{key}'" in d for d in diagnostics)}


def test_hapi_stopped_mid_run_gives_412_within_the_budget_then_the_service_recovers(
    hapi_cohort: RunningHapi, budget_service: GunicornServer
) -> None:
    body = hook_body(PATIENT_ID, fhir_server=hapi_cohort.base_url)
    before = call_hook(budget_service.base_url, body)
    assert before.status_code == 200, before.text
    assert len(before.json()["cards"]) == 1

    pid = hapi_cohort.server.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        stopped = call_hook(budget_service.base_url, body)
        elapsed = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)

    assert stopped.status_code == 412, stopped.text
    assert BUDGET_SECONDS <= elapsed < BUDGET_SECONDS + SLACK_SECONDS
    outcome = stopped.json()
    assert outcome["resourceType"] == "OperationOutcome"
    diagnostics = [issue["diagnostics"] for issue in outcome["issue"]]
    assert diagnostics[0].startswith("could not obtain prefetch data for: ")
    assert _keys_named(diagnostics) == set(PREFETCH_KEYS)
    # each call's own timeout is the time left, so a call may end by itself at the deadline
    assert all(d.endswith(HUNG_REASONS) for d in diagnostics[1:]), diagnostics

    after = call_hook(budget_service.base_url, body)
    assert after.status_code == 200, after.text
    assert after.json() == before.json()


def test_fhir_server_that_is_gone_gives_412_at_once(
    budget_service: GunicornServer, dead_base: str
) -> None:
    started = time.monotonic()
    response = call_hook(budget_service.base_url, hook_body(PATIENT_ID, fhir_server=dead_base))
    elapsed = time.monotonic() - started

    assert response.status_code == 412, response.text
    assert elapsed < BUDGET_SECONDS
    diagnostics = [issue["diagnostics"] for issue in response.json()["issue"]]
    assert _keys_named(diagnostics) == set(PREFETCH_KEYS)
    assert all(d.endswith("FHIR server unreachable (ConnectionError)") for d in diagnostics[1:])
