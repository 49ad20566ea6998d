"""`ln-cds load-demo` against a mocked FHIR server (strict `responses`).

The fake server below keeps what was PUT and, like HAPI, answers 201 for a new resource,
200 for an update, and keeps the version when the content did not change; that is what
lets the idempotency test see whether a second run changed anything.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from cds.commands import load_demo
from cds.demo import CohortPatient

BASE = "http://fhir.test/fhir"
TOKEN = "s3cret-token-value"


class FakeFhirServer:
    """Transaction endpoint over an in-memory store: `Type/id` → (version, content)."""

    def __init__(self) -> None:
        self.store: dict[str, tuple[int, str]] = {}
        self.bundles: list[dict[str, Any]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        bundle = json.loads(request.body)
        self.bundles.append(bundle)
        out = []
        for entry in bundle["entry"]:
            assert entry["request"]["method"] == "PUT"
            url = entry["request"]["url"]
            content = json.dumps(entry["resource"], sort_keys=True)
            version, old = self.store.get(url, (0, None))
            status = "201 Created" if old is None else "200 OK"
            if content != old:
                version += 1
                self.store[url] = (version, content)
            out.append({"response": {"status": status, "etag": f'W/"{version}"'}})
        body = {"resourceType": "Bundle", "type": "transaction-response", "entry": out}
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(body)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    load_demo.add_arguments(parser)
    return load_demo.run(parser.parse_args(list(argv)))


def _operation_outcome(diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": diagnostics}],
    }


def test_uploads_each_patient_as_one_put_transaction_on_the_servers_base(
    mock: responses.RequestsMock,
    cohort: list[CohortPatient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = FakeFhirServer()
    mock.add_callback(
        responses.POST,
        BASE,
        callback=server,
        match=[matchers.header_matcher({"Content-Type": "application/fhir+json"})],
    )

    assert _run("--fhir-server", BASE + "/") == 0

    assert [b["id"] for b in server.bundles] == [f"{p.id}-bundle" for p in cohort]
    for sent, patient in zip(server.bundles, cohort, strict=True):
        assert sent["type"] == "transaction"
        assert [e["resource"] for e in sent["entry"]] == patient.resources()
        for entry in sent["entry"]:
            assert entry["fullUrl"] == f"{BASE}/{entry['request']['url']}"
    total = sum(len(p.resources()) for p in cohort)
    assert len(server.store) == total
    out = capsys.readouterr().out
    assert f"loaded {len(cohort)} bundles, {total} resources into {BASE}" in out
    assert f"({total} created, 0 updated or unchanged)" in out
    assert "ln-demo-01: " in out


def test_progress_names_patients_by_id_never_by_name(
    mock: responses.RequestsMock,
    cohort: list[CohortPatient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    mock.add_callback(responses.POST, BASE, callback=FakeFhirServer())
    assert _run("--fhir-server", BASE) == 0
    captured = capsys.readouterr()
    assert "Testpatient" not in captured.out + captured.err
    assert all(p.name.split()[0] not in captured.out for p in cohort)


def test_second_run_changes_nothing_on_the_server(
    mock: responses.RequestsMock,
    cohort: list[CohortPatient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = FakeFhirServer()
    mock.add_callback(responses.POST, BASE, callback=server)
    assert _run("--fhir-server", BASE) == 0
    after_first = dict(server.store)
    capsys.readouterr()

    assert _run("--fhir-server", BASE) == 0

    assert server.store == after_first
    assert {version for version, _ in server.store.values()} == {1}
    assert "(0 created, " in capsys.readouterr().out.splitlines()[-1]


def test_bearer_token_is_sent_on_every_call_and_never_printed(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add_callback(
        responses.POST,
        BASE,
        callback=FakeFhirServer(),
        match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
    )
    assert _run("--fhir-server", BASE, "--bearer-token", TOKEN) == 0
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in mock.calls)


def test_every_call_carries_the_timeout(mock: responses.RequestsMock) -> None:
    server = FakeFhirServer()
    mock.add_callback(
        responses.POST,
        BASE,
        callback=server,
        match=[matchers.request_kwargs_matcher({"timeout": 7.5})],
    )
    assert _run("--fhir-server", BASE, "--timeout", "7.5") == 0
    assert len(server.bundles) == len(mock.calls) > 0


def test_unreachable_server_exits_2_with_one_line(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, body=requests.ConnectionError("connection refused"))
    assert _run("--fhir-server", BASE) == 2
    err = capsys.readouterr().err
    assert err == f"ln-cds load-demo: error: cannot reach the FHIR server at {BASE}\n"


def test_server_that_does_not_answer_in_time_exits_2(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, body=requests.ReadTimeout("read timed out"))
    assert _run("--fhir-server", BASE, "--timeout", "3") == 2
    assert f"no answer from the FHIR server at {BASE} within 3 s" in capsys.readouterr().err


def test_refused_token_exits_2_saying_so_without_showing_it(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, status=401, json=_operation_outcome("HAPI-0644: invalid"))
    assert _run("--fhir-server", BASE, "--bearer-token", TOKEN) == 2
    err = capsys.readouterr().err
    assert "refused the bearer token (HTTP 401)" in err
    assert TOKEN not in err
    assert len(err.splitlines()) == 1


def test_forbidden_without_a_token_asks_for_one(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, status=403)
    assert _run("--fhir-server", BASE) == 2
    assert "requires authorization (HTTP 403); pass --bearer-token" in capsys.readouterr().err


def test_rejected_bundle_exits_2_showing_the_operation_outcome(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    diagnostics = "HAPI-0450: Failed to parse request body as JSON resource.\nLine 1"
    mock.add(responses.POST, BASE, status=400, json=_operation_outcome(diagnostics))
    assert _run("--fhir-server", BASE) == 2
    err = capsys.readouterr().err
    assert err == (
        "ln-cds load-demo: error: the FHIR server rejected bundle ln-demo-01-bundle "
        "(HTTP 400): HAPI-0450: Failed to parse request body as JSON resource. Line 1\n"
    )


def test_upload_stops_at_the_first_rejected_bundle(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    server = FakeFhirServer()
    mock.add_callback(responses.POST, BASE, callback=server)
    mock.add(responses.POST, BASE, status=422, json=_operation_outcome("unprocessable"))
    # responses serves registrations for the same URL in order, the last one repeatedly
    assert _run("--fhir-server", BASE) == 2
    assert len(mock.calls) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("ln-demo-01: ")
    assert "rejected bundle ln-demo-02-bundle (HTTP 422): unprocessable" in captured.err


def test_error_without_operation_outcome_says_so(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, status=404, body="<html>Not Found</html>")
    assert _run("--fhir-server", BASE) == 2
    assert "(HTTP 404): no OperationOutcome in the response" in capsys.readouterr().err


def test_success_status_without_a_transaction_response_is_an_error(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, status=200, json={"resourceType": "CapabilityStatement"})
    assert _run("--fhir-server", BASE) == 2
    assert "not a transaction-response Bundle" in capsys.readouterr().err


def test_redirect_is_not_followed(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.add(responses.POST, BASE, status=302, headers={"Location": "http://elsewhere.test/"})
    assert _run("--fhir-server", BASE, "--bearer-token", TOKEN) == 2
    assert "redirected (HTTP 302)" in capsys.readouterr().err
    assert len(mock.calls) == 1


@pytest.mark.parametrize("url", ["fhir.test/fhir", "ftp://fhir.test/", "http://fhir.test/fhir?x=1"])
def test_a_url_that_is_not_a_server_base_is_refused_before_any_call(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        assert _run("--fhir-server", url) == 2
    assert "--fhir-server must be" in capsys.readouterr().err


def test_credentials_in_the_url_are_not_printed(
    mock: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    with_credentials = "http://demo-user:hunter2@fhir.test/fhir"
    mock.add(responses.POST, with_credentials, body=requests.ConnectionError("refused"))
    assert _run("--fhir-server", with_credentials) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err
    assert "demo-user" not in err
    assert "http://fhir.test/fhir" in err


@pytest.mark.parametrize("timeout", ["0", "-1", "soon"])
def test_timeout_must_be_a_positive_number(timeout: str) -> None:
    parser = argparse.ArgumentParser()
    load_demo.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--fhir-server", BASE, "--timeout", timeout])
