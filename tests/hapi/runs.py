"""Shared pieces of the HAPI tests: the cohort as parameters, per-patient results computed
once, and waiting for HAPI's request log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cds.demo import load_cohort
from tests.gunicorn_server import GunicornServer
from tests.hapi.ehr import EhrPrefetch, complete_prefetch, discovery_templates
from tests.hapi.service import call_hook, hook_body
from tests.hapi_server import HapiServer, RunningHapi

COHORT = load_cohort()
ACCESS_LOG_WAIT_SECONDS = 10.0
LOG_SETTLE_SECONDS = 0.3


def patient_params() -> list[Any]:
    """Every cohort patient, as test parameters named by id."""
    return [pytest.param(p, id=p.id) for p in COHORT]


class CohortRuns:
    """Per patient, computed once: the EHR's complete prefetch and the self-fetched cards."""

    def __init__(self, hapi: RunningHapi, service: GunicornServer) -> None:
        self.hapi = hapi
        self.service = service
        self.templates = discovery_templates(service.base_url)
        self._prefetch: dict[str, EhrPrefetch] = {}
        self._cards: dict[str, list[dict[str, Any]]] = {}

    def prefetch(self, patient_id: str) -> EhrPrefetch:
        """The EHR's complete prefetch for the patient (every template, every page)."""
        if patient_id not in self._prefetch:
            self._prefetch[patient_id] = complete_prefetch(
                self.hapi.base_url, self.templates, patient_id
            )
        return self._prefetch[patient_id]

    def self_fetched_cards(self, patient_id: str) -> list[dict[str, Any]]:
        """The cards of a hook call without prefetch (the service fetches from HAPI)."""
        if patient_id not in self._cards:
            body = hook_body(patient_id, fhir_server=self.hapi.base_url)
            response = call_hook(self.service.base_url, body)
            assert response.status_code == 200, response.text
            self.remember_cards(patient_id, response.json()["cards"])
        return self._cards[patient_id]

    def remember_cards(self, patient_id: str, cards: list[dict[str, Any]]) -> None:
        self._cards[patient_id] = cards


def settled_log_offset(server: HapiServer) -> int:
    """The end of HAPI's log once it has stopped growing (0.3 s without a new line).

    HAPI writes a request's line just after answering it: marking the log right after our
    own last request could count that request as the next call's.
    """
    offset = server.log_offset()
    while True:
        time.sleep(LOG_SETTLE_SECONDS)
        now = server.log_offset()
        if now == offset:
            return offset
        offset = now


def wait_for_access_lines(
    server: HapiServer, since: int, wanted: Callable[[str], bool], expected: int
) -> list[str]:
    """HAPI's request lines after `since` that `wanted` picks, once `expected` are there.

    HAPI logs a request just after answering it, so the last lines of a call that has returned
    may come a moment later: this waits for them (up to 10 s), waits a little more for lines
    beyond those expected, and returns all it found.
    """
    deadline = time.monotonic() + ACCESS_LOG_WAIT_SECONDS
    while True:
        lines = [line for line in server.access_log(since) if wanted(line)]
        if len(lines) >= expected or time.monotonic() > deadline:
            time.sleep(LOG_SETTLE_SECONDS)
            return [line for line in server.access_log(since) if wanted(line)]
        time.sleep(0.05)
