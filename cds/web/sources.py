"""The defaults behind `Config`'s injection points: where data comes from, how it is judged.

- `default_source_factory`: the embedded demo cohort when `LNCDS_DEMO=1`, otherwise the
  EHR's FHIR server over HTTP (allow-list and https checked before any connection).
- `default_assessor`: FHIR resources → `Assessment` through `cds.engine`, the same path
  as `ln-cds assess`, under the configured profile.

Both are resolved once, by `create_app`, so a missing module fails at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import requests

from cds.assessment import Assessment
from cds.config import Assessor, Config, DataSourceFactory
from cds.datasources.base import PatientDataSource
from cds.datasources.http import (
    FetchLimits,
    FhirHttpDataSource,
    SourceUnavailableError,
    check_fhir_server,
)


def http_source_factory(config: Config, session: requests.Session) -> DataSourceFactory:
    limits = FetchLimits(
        timeout_seconds=config.fhir_timeout_seconds,
        max_pages=config.fhir_max_pages,
        max_response_bytes=config.fhir_max_response_bytes,
        workers=config.fhir_workers,
    )

    def factory(fhir_server: str | None, access_token: str | None) -> PatientDataSource:
        if fhir_server is None:
            raise SourceUnavailableError("no fhirServer in the request")
        base = check_fhir_server(
            fhir_server, config.fhir_allowed_servers, allow_http=config.fhir_allow_http
        )
        return FhirHttpDataSource(session, base, access_token, limits)

    return factory


def demo_source_factory() -> DataSourceFactory:
    """The synthetic cohort (`cds.datasources.demo`), shared by every hook call."""
    from cds.datasources.demo import DemoDataSource  # noqa: PLC0415 - demo mode only

    source: PatientDataSource = DemoDataSource()

    def factory(fhir_server: str | None, access_token: str | None) -> PatientDataSource:
        return source  # demo mode never calls out, whatever fhirServer says

    return factory


def default_source_factory(config: Config, session: requests.Session) -> DataSourceFactory:
    if config.data_source_factory is not None:
        return config.data_source_factory
    if config.demo:
        return demo_source_factory()
    return http_source_factory(config, session)


def default_assessor(config: Config) -> Assessor:
    if config.assessor is not None:
        return config.assessor
    # imported here so that `cds.config` stays light; resolved once, at start-up
    from cds.engine import assess_resources  # noqa: PLC0415
    from cds.profiles import load_profile  # noqa: PLC0415

    profile = config.profile
    load_profile(profile)  # an unknown profile fails at start-up, not on the first hook

    def assessor(
        resources: Sequence[Mapping[str, Any]], *, as_of: date, patient_id: str
    ) -> Assessment:
        return assess_resources(resources, as_of=as_of, profile=profile, patient_id=patient_id)

    return assessor
