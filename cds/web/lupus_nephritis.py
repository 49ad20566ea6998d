"""The `lupus-nephritis` CDS Service (hook `patient-view`): its discovery entry and handler.

One hook call flows in one direction: prefetch decisions → self-fetch of what is missing →
look-back window → `Assessor` (mapping + rules) → cards. The prefetch templates are built
from the mapping's value sets (`fhir_mapping.valuesets`), so every LOINC code the mapping
reads is asked for, and obey CDS Hooks 2.0's template restrictions: reads and type searches
by `patient`, token lists, `_sort` and `_count`, context tokens only (no date tokens).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cds.cards import CardBuilder, CardContext
from cds.config import Assessor, Config, DataSourceFactory
from cds.datasources.base import JsonObject
from cds.datasources.http import SourceUnavailableError
from cds.datasources.prefetch import (
    Decision,
    Query,
    Verdict,
    decide,
    drop_observations_before,
    lookback_start,
    resolve_template,
)
from cds.tracing import note, note_cards, stage
from cds.web.errors import PreconditionFailedError
from cds.web.registry import ServiceDefinition
from cds.web.request_model import ABSENT, HookRequest
from fhir_mapping.record import Series
from fhir_mapping.valuesets import OBSERVATION_CODES

log = logging.getLogger(__name__)

SERVICE_ID = "lupus-nephritis"
HOOK = "patient-view"
TITLE = "Lupus nephritis renal status"
DESCRIPTION = (
    "For patients with lupus nephritis (or SLE with renal findings): complete or partial "
    "renal response, no response, refractory disease or renal flare, judged from proteinuria, "
    "kidney function, urine sediment and induction treatment (KDIGO 2024 by default), with "
    "the evidence behind each statement."
)


def usage_requirements(config: Config) -> str:
    return (
        "Needs the patient's Patient, Condition, Observation (laboratory), MedicationRequest, "
        "MedicationStatement and MedicationAdministration resources, as prefetch or through "
        "fhirServer with an access token granting patient/*.read (or user/*.read) on those "
        f"types. Observations dated more than {config.lookback_years} years before today are "
        "not used. The fhirServer must be on this service's allow-list."
    )


PATIENT_ID = "{{context.patientId}}"

# prefetch key → the laboratory series it asks for (every series of clinical.md §2)
OBSERVATION_GROUPS: Mapping[str, tuple[Series, ...]] = {
    "proteinuria": (Series.PROTEINURIA, Series.UACR),
    "kidneyFunction": (Series.CREATININE, Series.EGFR_REPORTED, Series.ALBUMIN, Series.HEIGHT),
    "urinalysis": (Series.URINE_RBC, Series.URINE_WBC, Series.RBC_CASTS),
    "immunology": (Series.C3, Series.C4, Series.ANTI_DSDNA, Series.SLEDAI2K_RECORDED),
    "bloodCounts": (Series.PLATELETS, Series.LEUKOCYTES),
}
OBSERVATION_PAGE_SIZE = 1000


def prefetch_templates() -> dict[str, str]:
    """Discovery's `prefetch`: the Patient, Conditions, labs newest first, medications."""
    grouped = {s for group in OBSERVATION_GROUPS.values() for s in group}
    missing = sorted(str(s) for s in {c.series for c in OBSERVATION_CODES.values()} - grouped)
    if missing:
        raise ValueError(f"series without a prefetch key: {', '.join(missing)}")
    templates = {
        "patient": f"Patient/{PATIENT_ID}",
        "conditions": f"Condition?patient={PATIENT_ID}",
    }
    for key, series in OBSERVATION_GROUPS.items():
        codes = ",".join(
            f"{c.system}|{c.code}" for c in OBSERVATION_CODES.values() if c.series in series
        )
        templates[key] = (
            f"Observation?patient={PATIENT_ID}&code={codes}"
            f"&_sort=-date&_count={OBSERVATION_PAGE_SIZE}"
        )
    for resource_type in ("MedicationRequest", "MedicationStatement", "MedicationAdministration"):
        key = resource_type[0].lower() + resource_type[1:] + "s"
        templates[key] = f"{resource_type}?patient={PATIENT_ID}"
    return templates


class LupusNephritisHook:
    """The hook handler; built once per app, called once per hook request."""

    def __init__(
        self,
        config: Config,
        *,
        prefetch: Mapping[str, str],
        assessor: Assessor,
        source_factory: DataSourceFactory,
        cards: CardBuilder,
        trend_path: str | None,
    ) -> None:
        self._config = config
        self._prefetch = prefetch
        self._assess = assessor
        self._source_factory = source_factory
        self._cards = cards
        self._trend_path = trend_path  # "/demo/patients/{patient_id}/trend" in demo mode

    def __call__(self, request: HookRequest, base_url: str) -> list[dict[str, Any]]:
        # stages: "fetch" here, "map" and "assess" in cds.engine, "cards" here and in routes
        with stage("fetch"):
            resources, fetched = self._gather(request)
            as_of = self._config.today()
            resources = _unique(
                drop_observations_before(
                    resources, lookback_start(as_of, self._config.lookback_years)
                )
            )
        note(resources=len(resources), fetched_queries=fetched)
        assessment = self._assess(resources, as_of=as_of, patient_id=request.context.patient_id)
        with stage("cards"):
            cards = self._cards.build(assessment, self._card_context(request, base_url))
        note_cards(str(assessment.status), cards)
        return cards

    def _gather(self, request: HookRequest) -> tuple[list[JsonObject], int]:
        """Resources from prefetch where usable, the rest fetched; 412 when unobtainable."""
        tokens = request.context.tokens()
        queries = {k: resolve_template(k, t, tokens) for k, t in self._prefetch.items()}
        verdicts = [decide(q, request.prefetched(k), absent=ABSENT) for k, q in queries.items()]
        missing = [v for v in verdicts if v.decision is Decision.MISSING]
        if missing:
            raise _precondition_failed({v.key: v.reason for v in missing})
        resources: list[JsonObject] = []
        to_fetch: dict[str, str] = {}
        for verdict in verdicts:
            query = queries[verdict.key]
            if verdict.decision is Decision.USE:
                resources.extend(verdict.resources)
            elif verdict.decision is Decision.FOLLOW and not self._config.demo:
                resources.extend(verdict.resources)
                to_fetch[verdict.key] = verdict.next_url or query.text
            elif verdict.decision in (Decision.FETCH, Decision.FOLLOW):
                to_fetch[verdict.key] = query.text
        if to_fetch:
            resources.extend(self._fetch(request, to_fetch, queries, verdicts))
        return resources, len(to_fetch)

    def _fetch(
        self,
        request: HookRequest,
        to_fetch: dict[str, str],
        queries: Mapping[str, Query],
        verdicts: list[Verdict],
    ) -> list[JsonObject]:
        try:
            source = self._source_factory(request.fhir_server, request.access_token)
        except SourceUnavailableError as unavailable:
            why = {v.key: v.reason for v in verdicts if v.key in to_fetch}
            raise _precondition_failed(why, cause=str(unavailable)) from None
        outcome = source.fetch(to_fetch, budget_seconds=self._config.fhir_budget_seconds)
        # HTTP requests to the EHR's FHIR server, pages included: the data source's tally,
        # noted by the request's own thread (the self-fetch pool's threads have no trace)
        note(
            fhir_calls=sum(r.requests_made for r in outcome.results.values())
            + sum(f.requests_made for f in outcome.failures.values())
        )
        failed = {key: f.reason for key, f in outcome.failures.items()}
        failed.update(
            {k: "no result" for k in to_fetch if k not in outcome.results and k not in failed}
        )
        if failed:
            raise _precondition_failed(failed)
        out: list[JsonObject] = []
        for key in to_fetch:
            result = outcome.results[key]
            if queries[key].is_read and not result.resources:
                raise _precondition_failed({key: f"{queries[key].resource_type} not found"})
            out.extend(result.resources)
        return out

    def _card_context(self, request: HookRequest, base_url: str) -> CardContext:
        ctx = request.context
        trend_url = None
        if self._trend_path is not None:
            trend_url = base_url.rstrip("/") + self._trend_path.format(patient_id=ctx.patient_id)
        return CardContext(
            hook_instance=request.hook_instance,
            patient_id=ctx.patient_id,
            user_id=ctx.user_id,
            encounter_id=ctx.encounter_id,
            trend_url=trend_url,
            smart_launch_url=self._config.smart_launch_url,
        )


def _precondition_failed(reasons: Mapping[str, str], *, cause: str = "") -> PreconditionFailedError:
    keys = sorted(reasons)
    message = f"could not obtain prefetch data for: {', '.join(keys)}"
    if cause:
        message = f"{message} ({cause})"
    issues = tuple(
        ("incomplete", f"prefetch key '{key}': {reasons[key] or 'not available'}") for key in keys
    )
    return PreconditionFailedError(message, issues=issues)


def _unique(resources: list[JsonObject]) -> list[JsonObject]:
    """Drop repeats of the same resource (type and id), e.g. across overlapping pages."""
    seen: set[tuple[str, str]] = set()
    out: list[JsonObject] = []
    for resource in resources:
        rid = resource.get("id")
        if isinstance(rid, str):
            key = (str(resource.get("resourceType")), rid)
            if key in seen:
                continue
            seen.add(key)
        out.append(resource)
    return out


def lupus_nephritis_service(
    hook: LupusNephritisHook, prefetch: Mapping[str, str], config: Config
) -> ServiceDefinition:
    return ServiceDefinition(
        id=SERVICE_ID,
        hook=HOOK,
        title=TITLE,
        description=DESCRIPTION,
        usage_requirements=usage_requirements(config),
        prefetch=prefetch,
        handler=hook,
    )
