"""Every cohort patient through the production service and a real HAPI FHIR server.

For each of the 18 patients the hook is called three ways, and each must give the card (or
no card) that expected.json says:

1. without prefetch: the service runs every discovery query against HAPI itself;
2. with the prefetch an EHR computes from discovery (every page of every search merged):
   the service must use it as is, without a single call to HAPI, and answer the same cards;
3. with only the first page of each search (`_count=5`) and HAPI's `next` link: the service
   must fetch exactly the missing pages of exactly those stored searches, and answer the same.

HAPI's request log (`lncds.hapi.access`) is what proves which requests the service made.
The hookInstance is the same in all three, so the cards (uuids included) compare as equal.
"""

from __future__ import annotations

import pytest

from cds.demo import CohortPatient
from tests.gunicorn_server import GunicornServer
from tests.hapi.ehr import first_page_prefetch, pages_needed
from tests.hapi.runs import (
    CohortRuns,
    patient_params,
    settled_log_offset,
    wait_for_access_lines,
)
from tests.hapi.service import assert_expected_cards, call_hook, hook_body, hook_instance
from tests.hapi_server import RunningHapi

pytestmark = pytest.mark.hapi

FIRST_PAGE_SIZE = 5


def _any_line(line: str) -> bool:
    return True


@pytest.mark.parametrize("patient", patient_params())
def test_self_fetch_from_hapi_gives_the_expected_card(
    patient: CohortPatient,
    hapi_cohort: RunningHapi,
    service: GunicornServer,
    cohort_runs: CohortRuns,
) -> None:
    ehr = cohort_runs.prefetch(patient.id)  # the EHR's view: how many pages each query takes
    since = settled_log_offset(hapi_cohort.server)

    response = call_hook(service.base_url, hook_body(patient.id, fhir_server=hapi_cohort.base_url))

    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert_expected_cards(patient, cards, hook_instance(patient.id))
    cohort_runs.remember_cards(patient.id, cards)
    # exactly the discovery queries, each followed through every page it has on HAPI
    requests_made = sum(ehr.pages.values())
    lines = wait_for_access_lines(hapi_cohort.server, since, _any_line, requests_made)
    assert len(lines) == requests_made, "\n".join(lines)
    assert sum("_getpages=" in line for line in lines) == requests_made - len(ehr.pages)


def test_self_fetch_test_covers_next_links_of_the_hooks_own_searches(
    cohort_runs: CohortRuns,
) -> None:
    """HAPI pages searches without `_count` (here by 5), so the test above also proves that
    the service follows `next` links of its own searches: ln-demo-07's 9 administrations."""
    ehr = cohort_runs.prefetch("ln-demo-07")
    assert ehr.resource_count("medicationAdministrations") == 9
    assert ehr.pages["medicationAdministrations"] >= 2


@pytest.mark.parametrize("patient", patient_params())
def test_complete_prefetch_gives_the_same_cards_without_calling_hapi(
    patient: CohortPatient,
    hapi_cohort: RunningHapi,
    service: GunicornServer,
    cohort_runs: CohortRuns,
) -> None:
    ehr = cohort_runs.prefetch(patient.id)
    self_fetched = cohort_runs.self_fetched_cards(patient.id)
    since = settled_log_offset(hapi_cohort.server)

    body = hook_body(patient.id, fhir_server=hapi_cohort.base_url, prefetch=ehr.complete)
    response = call_hook(service.base_url, body)

    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards == self_fetched
    assert_expected_cards(patient, cards, hook_instance(patient.id))
    assert wait_for_access_lines(hapi_cohort.server, since, _any_line, 0) == []


@pytest.mark.parametrize("patient", patient_params())
def test_first_page_prefetch_is_completed_by_following_hapis_next_links(
    patient: CohortPatient,
    hapi_cohort: RunningHapi,
    service: GunicornServer,
    cohort_runs: CohortRuns,
) -> None:
    ehr = cohort_runs.prefetch(patient.id)
    self_fetched = cohort_runs.self_fetched_cards(patient.id)
    first = first_page_prefetch(hapi_cohort.base_url, ehr.queries, FIRST_PAGE_SIZE)
    assert first.open_searches, "every patient has a search longer than one page"
    since = settled_log_offset(hapi_cohort.server)

    body = hook_body(patient.id, fhir_server=hapi_cohort.base_url, prefetch=first.prefetch)
    response = call_hook(service.base_url, body)

    assert response.status_code == 200, response.text
    assert response.json()["cards"] == self_fetched
    missing_pages = {
        key: pages_needed(ehr.resource_count(key), FIRST_PAGE_SIZE) - 1
        for key in first.open_searches
    }
    lines = wait_for_access_lines(hapi_cohort.server, since, _any_line, sum(missing_pages.values()))
    for key, search_id in first.open_searches.items():
        followed = [line for line in lines if f"_getpages={search_id}&" in line]
        assert len(followed) == missing_pages[key], key
    assert len(lines) == sum(missing_pages.values()), "only the missing pages were fetched"
