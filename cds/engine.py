"""FHIR resources → `Assessment`: the one path the CLI (and any batch job) goes through.

Mapping (`fhir_mapping.extract.build_record`) and rules (`cds.rules.assess`) are glued
here and nowhere else, so `ln-cds assess` and a future bulk run can never disagree on how
a patient is assessed. The profile is loaded first so a bad profile name fails before any
data is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from cds.assessment import Assessment
from cds.profiles import DEFAULT_PROFILE, load_profile
from cds.rules import assess
from cds.tracing import stage  # a no-op outside a web request, e.g. in the CLI
from fhir_mapping.extract import build_record


def assess_resources(
    resources: Iterable[Mapping[str, Any]],
    *,
    as_of: date,
    profile: str = DEFAULT_PROFILE,
    patient_id: str | None = None,
) -> Assessment:
    """Assess one patient's FHIR R4 resources on `as_of` under the named profile.

    Raises `fhir_mapping.bundle.InputError` when the resources are not one patient's, and
    `cds.profiles.ProfileError` for an unknown profile.
    """
    rules = load_profile(profile)
    with stage("map"):
        record = build_record(resources, as_of=as_of, patient_id=patient_id)
    with stage("assess"):
        return assess(record, as_of, rules)
