"""`ln-cds assess` on a patient exported from HAPI agrees with the hook on the same server.

Each patient is exported as a clinician's tool would do it: `Patient/{id}/$everything`, every
page followed (pages of 50, so the larger records take two), saved as one searchset Bundle
file. The CLI, run as a separate process, must give expected.json's status, and the hook (the
service fetching from the same HAPI) must have sent the card of that very finding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds.cards.builder import stable_uuid
from cds.demo import DEMO_AS_OF, CohortPatient
from tests.hapi.ehr import pages_needed, search_all_pages
from tests.hapi.runs import CohortRuns, patient_params
from tests.hapi.service import NO_CARD_STATUSES, hook_instance
from tests.hapi_server import RunningHapi
from tests.ln_cds_command import run_ln_cds

pytestmark = pytest.mark.hapi

EXPORT_PAGE_SIZE = 50


def _finding(assessment: dict[str, object]) -> str:
    """The finding an assessment's card reports (the seed of its uuid), from the CLI's JSON."""
    parts = ["lupus-nephritis", str(assessment["status"])]
    flare = assessment["flare"]
    if isinstance(flare, dict):
        parts += [str(flare["type"]), "confirmed" if flare["confirmed"] else "possible"]
    return "/".join(parts)


@pytest.mark.parametrize("patient", patient_params())
def test_assess_on_the_hapi_export_gives_the_hooks_status(
    patient: CohortPatient, hapi_cohort: RunningHapi, cohort_runs: CohortRuns, tmp_path: Path
) -> None:
    export = search_all_pages(
        hapi_cohort.base_url, f"Patient/{patient.id}/$everything?_count={EXPORT_PAGE_SIZE}"
    )
    exported = sorted(
        f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in export.bundle["entry"]
    )
    loaded = sorted(f"{r['resourceType']}/{r['id']}" for r in patient.resources())
    assert exported == loaded
    assert export.pages == pages_needed(len(loaded), EXPORT_PAGE_SIZE)
    bundle_file = tmp_path / f"{patient.id}-everything.json"
    bundle_file.write_text(json.dumps(export.bundle), encoding="utf-8")

    result = run_ln_cds("assess", str(bundle_file), "--as-of", DEMO_AS_OF.isoformat())

    assert result.returncode == 0, result.stderr
    assessment = json.loads(result.stdout)
    assert assessment["status"] == str(patient.expected_status)
    expected_flare = patient.expected_flare
    if expected_flare is None:
        assert assessment["flare"] is None
    else:
        assert assessment["flare"]["type"] == expected_flare.type
        assert assessment["flare"]["confirmed"] is expected_flare.confirmed
    cards = cohort_runs.self_fetched_cards(patient.id)
    if assessment["status"] in NO_CARD_STATUSES:
        assert cards == []
    else:
        assert [c["uuid"] for c in cards] == [
            stable_uuid(hook_instance(patient.id), _finding(assessment))
        ]
