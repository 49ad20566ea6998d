"""`ln-cds load-demo` against a real HAPI server: idempotent, and clear when refused.

The session fixture `hapi_cohort` has already run the command once; the test here runs it a
second time and compares every resource's `meta.versionId` and `meta.lastUpdated` before and
after. For the refusal, the command is pointed at HAPI's `Patient` endpoint: HAPI rejects a
transaction Bundle posted there with HTTP 400 and an OperationOutcome, as any FHIR server
does with a bundle it will not take.
"""

from __future__ import annotations

import pytest

from tests.hapi.ehr import get_json, search_all_pages
from tests.hapi.runs import COHORT
from tests.hapi_server import RunningHapi
from tests.ln_cds_command import run_ln_cds

pytestmark = pytest.mark.hapi

COHORT_TYPES = sorted({r["resourceType"] for p in COHORT for r in p.resources()})
COHORT_KEYS = {f"{r['resourceType']}/{r['id']}" for p in COHORT for r in p.resources()}
LOAD_TIMEOUT_SECONDS = 600.0


def _versions(fhir_base: str) -> dict[str, tuple[str, str]]:
    """Every resource of the cohort's types on the server: `Type/id` → (versionId, lastUpdated)."""
    versions: dict[str, tuple[str, str]] = {}
    for resource_type in COHORT_TYPES:
        result = search_all_pages(fhir_base, f"{resource_type}?_count=500")
        for entry in result.bundle["entry"]:
            resource = entry["resource"]
            meta = resource["meta"]
            versions[f"{resource_type}/{resource['id']}"] = (
                meta["versionId"],
                meta["lastUpdated"],
            )
    return versions


def test_second_load_changes_no_version_and_no_count(hapi_cohort: RunningHapi) -> None:
    before = _versions(hapi_cohort.base_url)

    result = run_ln_cds(
        "load-demo", "--fhir-server", hapi_cohort.base_url, timeout=LOAD_TIMEOUT_SECONDS
    )

    assert result.returncode == 0, result.stderr
    after = _versions(hapi_cohort.base_url)
    assert after == before
    assert after.keys() >= COHORT_KEYS
    assert {after[key][0] for key in COHORT_KEYS} == {"1"}
    assert result.stdout.splitlines()[-1] == (
        f"loaded {len(COHORT)} bundles, {len(COHORT_KEYS)} resources into "
        f"{hapi_cohort.base_url} (0 created, {len(COHORT_KEYS)} updated or unchanged)"
    )
    assert result.stderr == ""


def test_load_on_a_server_that_rejects_the_bundle_exits_2_with_one_line(
    hapi_cohort: RunningHapi,
) -> None:
    patients_before = get_json(f"{hapi_cohort.base_url}/Patient?_summary=count")["total"]

    result = run_ln_cds("load-demo", "--fhir-server", f"{hapi_cohort.base_url}/Patient")

    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "ln-cds load-demo: error: the FHIR server rejected bundle ln-demo-01-bundle "
        "(HTTP 400): HAPI-"
    )
    assert get_json(f"{hapi_cohort.base_url}/Patient?_summary=count")["total"] == patients_before
