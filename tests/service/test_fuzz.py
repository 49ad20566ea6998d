"""Hostile input: generated requests never give a 5xx, and every error is an OperationOutcome.

- **schemathesis** reads the app's own `/openapi.json` and generates requests for every
  operation: bodies, parameters and headers that fit the description (positive) and ones
  that break it (negative). Each reply must be documented (status, media type, body schema,
  required headers), never a 5xx, and every 4xx of the CDS Hooks and ops endpoints a FHIR
  OperationOutcome. At least 1,000 requests in all, counted.
- The demo and view routes (HTML for people; demo mode only) get the same generator with
  the checks that apply to them: no 5xx, everything documented.
- **hypothesis** builds patient-view calls shaped like real ones, every part of which may be
  missing, wrong or junk, and prefetch Bundles of every kind (types, entries, OperationOutcomes,
  paging links): 200, 400 or 412, never a 5xx.

`tests/service/test_never_500.py` covers junk field values inside one prefetched resource.
No request reaches the network: a `responses` mock answers (or refuses) every outbound call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import schemathesis
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cds.feedback import store_for
from cds.web.lupus_nephritis import prefetch_templates
from tests.service.conftest import FHIR_BASE, PATIENT_ID, SERVICE_URL, hook_body, load_prefetch
from tests.service.fhir_mock import searchset

API_EXAMPLES = 520  # per generation mode: 1,040 requests against the API in all
VIEW_EXAMPLES = 120
MIN_API_REQUESTS = 1000
TEMPLATE_KEYS = tuple(prefetch_templates())
DOCUMENTED_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def no_network() -> Iterator[responses.RequestsMock]:
    """Every outbound HTTP call is answered here (a refused connection unless registered)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def api_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """Auth off (the JWT matrix lives in tests/auth) so generated calls reach the handlers."""
    return make_app(feedback_store=store_for(str(tmp_path / "feedback.sqlite3")))


def assert_operation_outcome(response: Any, label: str) -> None:
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), label
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", label
    OperationOutcome.model_validate(body)
    assert "Traceback" not in response.text, label


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_api_requests_get_documented_replies_and_operation_outcomes(
    api_app: Flask, no_network: responses.RequestsMock, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", api_app)
    operations = {op.ok().label for op in schema.get_all_operations()}
    assert {"POST /cds-services/{service_id}", "POST /cds-services/{service_id}/feedback"} <= (
        operations
    )
    sent: list[tuple[str, int]] = []

    @settings(FUZZ, max_examples=API_EXAMPLES)
    @given(case=schema.as_strategy(generation_mode=mode))
    def call(case: schemathesis.Case) -> None:
        response = case.call()
        sent.append((case.operation.label, response.status_code))
        case.validate_response(response, checks=DOCUMENTED_CHECKS)
        if response.status_code >= 400:
            assert_operation_outcome(response, case.operation.label)

    call()
    statuses = {status for _, status in sent}
    assert len(sent) >= MIN_API_REQUESTS // 2, len(sent)
    assert max(statuses) < 500
    labels = {label for label, _ in sent}
    if mode is GenerationMode.POSITIVE:
        # every operation was called (but this document itself, which schemathesis skips),
        # and the generator reached past validation into the service, not only its 400s
        assert labels == operations - {"GET /openapi.json"}
        assert statuses & {200, 412}
    else:
        # negative cases exist only where there is something to break: bodies, parameters
        assert {"POST /cds-services/{service_id}", "POST /cds-services/{service_id}/feedback"} <= (
            labels
        )
        assert statuses & {400, 404}


@pytest.fixture
def demo_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(demo=True)


def test_generated_requests_to_the_demo_and_view_routes_never_fail_the_server(
    demo_app: Flask, no_network: responses.RequestsMock
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", demo_app).include(
        tag_regex="^(Demo|Views)$"
    )
    sent: list[int] = []

    @settings(FUZZ, max_examples=VIEW_EXAMPLES)
    @given(case=schema.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def call(case: schemathesis.Case) -> None:
        response = case.call()
        sent.append(response.status_code)
        case.validate_response(response, checks=DOCUMENTED_CHECKS)

    call()
    assert len(sent) >= VIEW_EXAMPLES // 2
    assert max(sent) < 500


# --- structure-aware hypothesis over hook bodies and prefetch Bundles -----------------------

# Valid JSON (RFC 8259) only: Infinity and lone surrogates make the whole body malformed
# JSON, a 400 of its own (tests/service/test_never_500.py::test_non_standard_json_is_a_400...),
# which would hide what these tests look for behind the decoder.
JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=5,
)
ABSENT = object()


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid value; sometimes missing or junk of any JSON type."""
    return st.one_of(valid, valid, valid, st.just(ABSENT), JUNK)


def shaped(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not ABSENT}
    )


IDS = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True) | st.just(PATIENT_ID)
CONTEXT = shaped(
    userId=st.sampled_from(
        ["Practitioner/nephro-1", "PractitionerRole/1", "Patient/" + PATIENT_ID]
    ),
    patientId=IDS,
    encounterId=IDS,
)
AUTHORIZATION = shaped(
    access_token=st.from_regex(r"[\x21-\x7e]{1,40}", fullmatch=True),
    token_type=st.sampled_from(["Bearer", "bearer", "MAC"]),
    expires_in=st.integers(-5, 3600),
    scope=st.just("patient/*.read"),
    subject=st.just("ln-cds"),
    patient=IDS,
)
CODES = st.sampled_from(
    [("http://loinc.org", c) for c in ("2890-2", "2160-0", "62238-1", "13945-1", "4498-2")]
    + [("http://snomed.info/sct", "68815009"), ("http://example.org", "x")]
)
DATES = st.sampled_from(
    ["2025-03-01", "2024-09-10T08:00:00+13:00", "2025-03-14T23:59:59Z", "1900-01-01", "2025",
     "2026-12-31", "not-a-date"]
)  # fmt: skip
OBSERVATION = shaped(
    resourceType=st.just("Observation"),
    id=IDS,
    status=st.sampled_from(["final", "amended", "entered-in-error", "preliminary"]),
    code=CODES.map(lambda c: {"coding": [{"system": c[0], "code": c[1]}]}),
    subject=st.just({"reference": f"Patient/{PATIENT_ID}"}),
    effectiveDateTime=DATES,
    valueQuantity=shaped(
        value=st.floats(-1e6, 1e6, allow_nan=False),
        unit=st.sampled_from(["g/g", "mg/g", "mg/mmol", "umol/L", "mL/min/{1.73_m2}", "%"]),
        system=st.just("http://unitsofmeasure.org"),
        code=st.sampled_from(["g/g", "mg/g", "mg/mmol", "umol/L", "mL/min/{1.73_m2}"]),
    ),
)
OUTCOME = shaped(
    resourceType=st.just("OperationOutcome"),
    issue=st.lists(
        shaped(severity=st.sampled_from(["error", "warning", "information", "fatal"])),
        max_size=2,
    ),
)
RESOURCE = st.one_of(
    OBSERVATION,
    OUTCOME,
    st.builds(lambda i: {"resourceType": "Patient", "id": i}, IDS),
    st.builds(lambda i: {"resourceType": "Condition", "id": i}, IDS),
    JUNK,
)
LINKS = st.lists(
    shaped(
        relation=st.sampled_from(["next", "self", "previous"]),
        url=st.sampled_from(
            [f"{FHIR_BASE}/Observation?page=2", "Observation?page=3", "https://elsewhere.example/x",
             "", "::"]
        ),
    ),
    max_size=2,
)  # fmt: skip
BUNDLE = shaped(
    resourceType=st.just("Bundle"),
    # junk here found the 500 of a list-valued `type` (a frozenset membership test)
    type=st.sampled_from(["searchset", "collection", "batch-response", "transaction", "history"]),
    total=st.integers(-1, 5),
    link=LINKS,
    entry=st.lists(shaped(resource=RESOURCE, search=st.just({"mode": "match"})), max_size=4),
)
PREFETCH = st.dictionaries(
    st.sampled_from(TEMPLATE_KEYS) | st.text(max_size=6), st.none() | BUNDLE | RESOURCE, max_size=5
)


@pytest.fixture
def fhir_server_that_finds_nothing() -> Iterator[responses.RequestsMock]:
    """The allow-listed FHIR server: every search an empty searchset, every read a Bundle."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, re.compile(re.escape(FHIR_BASE) + r"/.*"), json=searchset([]))
        yield mock


@settings(FUZZ, max_examples=150)
@given(
    body=shaped(
        hook=st.sampled_from(["patient-view", "order-select"]),
        hookInstance=st.uuids().map(str) | st.text(min_size=1, max_size=300),
        context=CONTEXT,
        fhirServer=st.sampled_from([FHIR_BASE, FHIR_BASE + "/", "https://evil.example/fhir"]),
        fhirAuthorization=AUTHORIZATION,
        prefetch=PREFETCH,
        extension=JUNK,
    )
)
def test_patient_view_calls_of_any_shape_are_answered_200_400_or_412(
    api_app: Flask, fhir_server_that_finds_nothing: responses.RequestsMock, body: dict[str, Any]
) -> None:
    response = api_app.test_client().post(SERVICE_URL, json=body)
    assert response.status_code in (200, 400, 412), response.get_data(as_text=True)


@settings(FUZZ, max_examples=100)
@given(
    replaced=st.dictionaries(st.sampled_from(TEMPLATE_KEYS), st.none() | BUNDLE, min_size=1),
    with_server=st.booleans(),
)
def test_prefetch_bundles_of_any_kind_are_used_refetched_or_412_never_5xx(
    api_app: Flask,
    fhir_server_that_finds_nothing: responses.RequestsMock,
    replaced: dict[str, Any],
    with_server: bool,
) -> None:
    prefetch = load_prefetch()
    prefetch.update(replaced)
    body = hook_body(prefetch)
    if with_server:
        body["fhirServer"] = FHIR_BASE
    response = api_app.test_client().post(SERVICE_URL, json=body)
    assert response.status_code in (200, 412), response.get_data(as_text=True)
