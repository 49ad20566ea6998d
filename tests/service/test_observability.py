"""What operators see: one summary log line per CDS Hooks call, Prometheus metrics, probes.

The summary line carries timings per stage, the verified caller's `iss`/`tenant`/`jti`, the
FHIR calls made and the cards' statuses and indicators. Canary strings (an access token, a
JWT, a patient's name, a lab value, a note) go into real requests; no log line may carry
any of them, in the plain format nor in the JSON one gunicorn uses.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from cds.config import ConfigError
from cds.engine import assess_resources
from cds.feedback import FeedbackStore, FeedbackStoreError, store_for
from cds.tracing import current_trace, stage, start_trace
from cds.web.app import config_from_env, create_app
from cds.web.observability import HOOK_STAGES, JsonLogFormatter
from tests.auth.tokens import ISS, SigningKey, jwk_set
from tests.service.conftest import (
    AS_OF,
    HOOK_INSTANCE,
    PATIENT_ID,
    SERVICE_URL,
    hook_body,
    load_prefetch,
    with_fhir,
)
from tests.service.fhir_mock import answer

FEEDBACK_URL = SERVICE_URL + "/feedback"
HOOK_RULE = "/cds-services/<service_id>"
FEEDBACK = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2025-03-14T10:05:00+01:00",
}

CANARY_TOKEN = "canary-fhir-token-Qx7v2"
CANARY_FAMILY = "Canaryfamilyzq"
CANARY_GIVEN = "Canarygivenzq"
CANARY_VALUE = 900.0987654  # mg/g: the digits "0987654" appear nowhere else
CANARY_NOTE = "canary-note-Wv3-lupus"
CANARY_TENANT = "tenant-7"  # a claim we do log: the summary must carry it


# --- helpers ------------------------------------------------------------------------------


def summaries(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The fields of every summary line logged so far."""
    return [r.lncds for r in caplog.records if r.name == "cds.web.requests"]  # type: ignore[attr-defined]


def json_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record as gunicorn would write it (JSON, one per line)."""
    formatter = JsonLogFormatter()
    return [formatter.format(record) for record in caplog.records]


def assert_not_logged(caplog: pytest.LogCaptureFixture, *canaries: str) -> None:
    texts = [caplog.text, *json_lines(caplog)]
    for canary in canaries:
        leaks = [t for t in texts if canary in t]
        assert not leaks, f"{canary!r} was logged: {leaks[0][:300]}"


class Scrape:
    """One `/metrics` exposition, parsed; absent samples read as 0."""

    def __init__(self, client: FlaskClient) -> None:
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        self.samples = [
            sample
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )


@pytest.fixture(autouse=True)
def _capture_every_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return store_for(str(tmp_path / "feedback.sqlite3"))


def canary_prefetch() -> dict[str, Any]:
    """The scenario's prefetch with a named patient, an odd lab value and a note."""
    prefetch = load_prefetch()
    prefetch["patient"]["name"] = [{"family": CANARY_FAMILY, "given": [CANARY_GIVEN]}]
    upcr = prefetch["proteinuria"]["entry"][0]["resource"]
    upcr["valueQuantity"]["value"] = CANARY_VALUE
    upcr["note"] = [{"text": CANARY_NOTE}]
    return prefetch


# --- the summary line ---------------------------------------------------------------------


def test_hook_call_logs_one_summary_line_with_stage_timings_and_cards(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    assert response.status_code == 200
    (card,) = response.get_json()["cards"]

    (line,) = summaries(caplog)
    assert line["event"] == "hook"
    assert line["service"] == "lupus-nephritis"
    assert line["status"] == 200
    assert line["hookInstance"] == HOOK_INSTANCE
    assert line["cards"] == [{"status": "flare", "indicator": card["indicator"]}]
    assert line["fhir_calls"] == 0  # everything was prefetched
    assert (line["iss"], line["tenant"], line["jti"]) == (None, None, None)  # auth off
    timings = line["timings_ms"]
    assert set(HOOK_STAGES) <= set(timings)
    assert all(timings[name] >= 0 for name in HOOK_STAGES)
    # stages are exclusive, so together they cannot exceed the whole request
    assert sum(timings[name] for name in HOOK_STAGES) <= timings["total"] + 0.01

    (record,) = [r for r in json_lines(caplog) if '"event": "hook"' in r]
    parsed = json.loads(record)
    assert parsed["logger"] == "cds.web.requests"
    assert parsed["level"] == "INFO"
    assert parsed["cards"] == line["cards"]
    assert parsed["timings_ms"] == timings


def test_discovery_and_feedback_log_a_summary_line_each_but_probes_and_preflights_do_not(
    make_app: Callable[..., Flask], store: FeedbackStore, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_app(feedback_store=store).test_client()
    assert client.get("/cds-services").status_code == 200
    assert client.post(FEEDBACK_URL, json={"feedback": [FEEDBACK]}).status_code == 200
    assert client.post(FEEDBACK_URL, json={"feedback": [FEEDBACK]}).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        client.get(path)
    client.options(SERVICE_URL)

    discovery, first, again = summaries(caplog)
    assert (discovery["event"], discovery["status"]) == ("discovery", 200)
    assert (first["event"], first["service"], first["status"]) == (
        "feedback",
        "lupus-nephritis",
        200,
    )
    assert (first["feedback_items"], first["feedback_new"]) == (1, 1)
    assert (again["feedback_items"], again["feedback_new"]) == (1, 0)  # stored once
    assert {"auth", "validate", "store"} <= set(first["timings_ms"])


@pytest.mark.parametrize(
    ("body", "call"),
    [
        pytest.param(hook_body(load_prefetch(), hookInstance=None),
                     (SERVICE_URL, 400, "lupus-nephritis"), id="invalid-body"),
        pytest.param(hook_body(load_prefetch()), ("/cds-services/no-such-service", 404, None),
                     id="unknown-service"),
        pytest.param(hook_body(), (SERVICE_URL, 412, "lupus-nephritis"), id="no-data"),
    ],
)  # fmt: skip
def test_refused_hook_calls_are_summarised_with_their_status_and_no_cards(
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
    call: tuple[str, int, str | None],
) -> None:
    path, status, service = call
    assert client.post(path, json=body).status_code == status
    (line,) = summaries(caplog)
    assert (line["event"], line["status"], line["service"]) == ("hook", status, service)
    assert line["cards"] == []


def test_no_access_token_name_lab_value_or_note_reaches_any_log_line(
    client: FlaskClient, fhir: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    prefetch = canary_prefetch()
    # self-fetch with the canary token: the Patient and the labs come from the FHIR server
    for key in ("patient", "proteinuria"):
        answer(fhir, key, prefetch[key], token=CANARY_TOKEN)
    body = with_fhir(
        hook_body({k: v for k, v in prefetch.items() if k not in ("patient", "proteinuria")})
    )
    body["fhirAuthorization"]["access_token"] = CANARY_TOKEN
    assert client.post(SERVICE_URL, json=body).status_code == 200
    # the same token, refused by the FHIR server: the failure path logs too
    answer(fhir, "patient", {"error": CANARY_TOKEN}, status=401, token=CANARY_TOKEN)
    failing = with_fhir(hook_body({k: v for k, v in prefetch.items() if k != "patient"}))
    failing["fhirAuthorization"]["access_token"] = CANARY_TOKEN
    assert client.post(SERVICE_URL, json=failing).status_code == 412

    lines = summaries(caplog)
    assert [line["fhir_calls"] for line in lines] == [2, 1]
    assert_not_logged(
        caplog, CANARY_TOKEN, CANARY_FAMILY, CANARY_GIVEN, "0987654", CANARY_NOTE, PATIENT_ID
    )


def test_json_log_lines_never_carry_an_exception_message(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    def failing_assessor(resources: Any, *, as_of: Any, patient_id: str) -> Any:
        raise ValueError(f"cannot read {CANARY_FAMILY}'s value {CANARY_VALUE}")

    client = make_app(assessor=failing_assessor).test_client()
    assert client.post(SERVICE_URL, json=hook_body(load_prefetch())).status_code == 500
    (error,) = [json.loads(line) for line in json_lines(caplog) if '"exception"' in line]
    assert error["exception"]["type"] == "ValueError"
    assert any("failing_assessor" in frame for frame in error["exception"]["frames"])
    assert all(CANARY_FAMILY not in line for line in json_lines(caplog))


# --- verified JWT claims ------------------------------------------------------------------


@pytest.fixture
def jwt_app(tmp_path: Path) -> tuple[Flask, SigningKey]:
    """Auth on, as production builds it: one trusted issuer with an ES384 key."""
    key = SigningKey(ec.generate_private_key(ec.SECP384R1()), "obs-key-1", "ES384")
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({ISS: {"jwks": jwk_set(key)}}), encoding="utf-8")
    env = {
        "LNCDS_TRUSTED_ISSUERS_FILE": str(issuers),
        "LNCDS_PUBLIC_URL": "https://cds.example.org",
        "LNCDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
    }
    return create_app(config_from_env(env)), key


def test_verified_jwt_claims_are_summarised_and_the_jwt_never_logged(
    jwt_app: tuple[Flask, SigningKey], caplog: pytest.LogCaptureFixture
) -> None:
    app, key = jwt_app
    jti = str(uuid.uuid4())
    now = int(time.time())
    token = key.sign(
        {
            "aud": "https://cds.example.org" + SERVICE_URL,
            "iat": now,
            "exp": now + 300,
            "jti": jti,
            "tenant": CANARY_TENANT,
        }
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.post(SERVICE_URL, json=hook_body(load_prefetch()), headers=headers).status_code
        == 200
    )
    # the same token again is a replay: refused, and still never logged
    assert (
        client.post(SERVICE_URL, json=hook_body(load_prefetch()), headers=headers).status_code
        == 401
    )

    accepted, replayed = summaries(caplog)
    assert (accepted["iss"], accepted["tenant"], accepted["jti"]) == (ISS, CANARY_TENANT, jti)
    assert accepted["timings_ms"]["auth"] > 0
    assert (replayed["status"], replayed["iss"], replayed["jti"]) == (401, None, None)
    assert_not_logged(caplog, token, token.rsplit(".", 1)[1])


def test_caller_chosen_claims_are_bounded_in_the_summary(
    jwt_app: tuple[Flask, SigningKey], caplog: pytest.LogCaptureFixture
) -> None:
    app, key = jwt_app
    now = int(time.time())
    token = key.sign(
        {
            "aud": "https://cds.example.org" + SERVICE_URL,
            "iat": now,
            "exp": now + 300,
            "jti": "j" * 5000,
            "tenant": "t" * 5000,
        }
    )
    response = app.test_client().post(
        SERVICE_URL, json=hook_body(load_prefetch()), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    (line,) = summaries(caplog)
    assert len(line["jti"]) == len(line["tenant"]) == 200
    assert line["jti"] == "j" * 197 + "..."


# --- metrics ------------------------------------------------------------------------------


def test_metrics_count_a_hook_its_latency_its_stages_and_its_cards(client: FlaskClient) -> None:
    before = Scrape(client)
    assert before.value("lncds_http_requests_total", endpoint=HOOK_RULE) == 0
    response = client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    (card,) = response.get_json()["cards"]

    after = Scrape(client)
    labels = {"endpoint": HOOK_RULE, "method": "POST", "status": "200"}
    assert after.value("lncds_http_requests_total", **labels) == 1
    assert after.value("lncds_http_request_duration_seconds_count", **labels) == 1
    assert after.value("lncds_http_request_duration_seconds_bucket", le="+Inf", **labels) == 1
    assert after.value("lncds_http_request_duration_seconds_sum", **labels) > 0
    for name in HOOK_STAGES:
        assert after.value("lncds_hook_stage_duration_seconds_count", stage=name) == 1, name
    assert after.value("lncds_cards_total", status="flare", indicator=card["indicator"]) == 1
    # the first scrape is counted by the second
    assert after.value("lncds_http_requests_total", endpoint="/metrics", status="200") == 1


def test_feedback_items_are_counted_by_outcome(
    make_app: Callable[..., Flask], store: FeedbackStore
) -> None:
    client = make_app(feedback_store=store).test_client()
    overridden = {
        "card": "1d3f1a2b-6c4e-4f5a-8b9c-0d1e2f3a4b5c",
        "outcome": "overridden",
        "outcomeTimestamp": "2025-03-14T10:00:00Z",
    }
    assert client.post(FEEDBACK_URL, json={"feedback": [FEEDBACK, overridden]}).status_code == 200
    scrape = Scrape(client)
    assert scrape.value("lncds_feedback_items_total", outcome="accepted") == 1
    assert scrape.value("lncds_feedback_items_total", outcome="overridden") == 1


def test_fhir_call_latency_and_errors_are_counted_by_outcome(
    client: FlaskClient, fhir: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    prefetch = load_prefetch()
    fetched = ("patient", "conditions", "proteinuria", "kidneyFunction")
    answer(fhir, "patient", prefetch["patient"])
    answer(fhir, "conditions", status=500, body="down")
    answer(fhir, "proteinuria", body=requests.Timeout("slow"))
    answer(fhir, "kidneyFunction", body=requests.ConnectionError("refused"))
    body = with_fhir(hook_body({k: v for k, v in prefetch.items() if k not in fetched}))
    assert client.post(SERVICE_URL, json=body).status_code == 412

    scrape = Scrape(client)
    for outcome in ("ok", "http_500", "timeout", "connection_error"):
        count = scrape.value("lncds_fhir_request_duration_seconds_count", outcome=outcome)
        assert count == 1, outcome
    assert scrape.value("lncds_fhir_request_errors_total", reason="ok") == 0
    for reason in ("http_500", "timeout", "connection_error"):
        assert scrape.value("lncds_fhir_request_errors_total", reason=reason) == 1, reason
    (line,) = summaries(caplog)
    assert line["fhir_calls"] == 4


def test_invented_methods_and_unknown_paths_add_no_label_values(client: FlaskClient) -> None:
    client.open("/cds-services", method="BREW")
    client.get("/patients/ln-flare-1/secret")
    scrape = Scrape(client)
    # a method no route has is a 405 before any rule matched: counted as unmatched, "other"
    assert scrape.value("lncds_http_requests_total", endpoint="unmatched", method="other") == 1
    assert scrape.value("lncds_http_requests_total", endpoint="unmatched", status="405") == 1
    assert scrape.value("lncds_http_requests_total", endpoint="unmatched", status="404") == 1
    labels = {s.labels.get("endpoint") for s in scrape.samples}
    assert not any("ln-flare-1" in str(label) for label in labels)


# --- probes -------------------------------------------------------------------------------


def test_healthz_answers_without_checking_dependencies(make_app: Callable[..., Flask]) -> None:
    client = make_app(feedback_store=_BrokenStore()).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_check_when_ready(
    make_app: Callable[..., Flask], store: FeedbackStore
) -> None:
    response = make_app(feedback_store=store).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {
            "config": "ok",
            "templates": "ok",
            "feedback_store": "ok",
            "replay_cache": "not used",
        },
    }


class _BrokenStore:
    def save(self, service_id: str, items: Any) -> int:
        raise FeedbackStoreError("database is down")

    def export(self) -> list[Any]:
        return []

    def ping(self) -> None:
        raise FeedbackStoreError(f"cannot open /var/lib/{CANARY_NOTE}")


def test_readyz_is_503_with_an_operation_outcome_when_the_feedback_store_is_down(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    response = make_app(feedback_store=_BrokenStore()).test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    assert [i["diagnostics"] for i in body["issue"]] == [
        "not ready: feedback_store",
        "feedback_store: unavailable",
    ]
    assert "FeedbackStoreError" in caplog.text  # the kind of failure is logged...
    assert_not_logged(caplog, CANARY_NOTE)  # ...its message is not


def test_readyz_is_503_without_a_feedback_store(client: FlaskClient) -> None:
    assert client.get("/readyz").status_code == 503


class _Authenticator:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def __call__(self, request: Any, audience: str) -> None:
        return None

    def ping(self) -> None:
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize(
    ("error", "status", "state"),
    [(None, 200, "ok"), (ConnectionError("redis down"), 503, "unavailable")],
)
def test_readyz_checks_the_replay_cache_when_auth_is_on(
    make_app: Callable[..., Flask],
    store: FeedbackStore,
    error: Exception | None,
    status: int,
    state: str,
) -> None:
    app = make_app(auth=True, authenticator=_Authenticator(error), feedback_store=store)
    response = app.test_client().get("/readyz")
    assert response.status_code == status
    if state == "ok":
        assert response.get_json()["checks"]["replay_cache"] == "ok"
    else:
        assert "replay_cache: unavailable" in response.get_data(as_text=True)


# --- the trace itself ---------------------------------------------------------------------


def test_stage_outside_a_request_times_nothing_and_the_engine_still_assesses() -> None:
    assert current_trace() is None
    resources = [
        entry["resource"] if "resourceType" not in entry else entry
        for value in load_prefetch().values()
        if value is not None
        for entry in (value.get("entry", []) if value["resourceType"] == "Bundle" else [value])
    ]
    assessment = assess_resources(resources, as_of=AS_OF, patient_id=PATIENT_ID)
    assert str(assessment.status) == "flare"
    assert current_trace() is None


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """`time.perf_counter` as seen by `cds.tracing`, moved by hand."""
    now = [100.0]
    monkeypatch.setattr("cds.tracing.time.perf_counter", lambda: now[0])
    return now


def test_nested_stages_are_exclusive_and_repeated_stages_add_up(fake_clock: list[float]) -> None:
    token = start_trace()
    trace = current_trace()
    assert trace is not None
    with stage("fetch"):
        fake_clock[0] += 1.0
        with stage("map"):
            fake_clock[0] += 2.0
        fake_clock[0] += 0.5
    with stage("map"):
        fake_clock[0] += 0.25
    assert trace.stages == {"fetch": 1.5, "map": 2.25}
    from cds.tracing import end_trace  # noqa: PLC0415

    end_trace(token)
    assert current_trace() is None


def test_a_metrics_directory_that_is_not_there_stops_start_up(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="PROMETHEUS_MULTIPROC_DIR"):
        make_app()
