"""Self-fetch from the EHR's FHIR server: parallel, bounded, and never a 500.

`responses` (strict) stands in for the FHIR server; the timing tests use a real slow HTTP
server on loopback so that the socket timeouts and the overall budget are real.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient

from tests.service.conftest import (
    FHIR_BASE,
    PATIENT_ID,
    SERVICE_URL,
    TOKEN,
    RecordingAssessor,
    hook_body,
    load_prefetch,
    with_fhir,
)
from tests.service.fhir_mock import TEMPLATES, answer, answer_like_prefetch, searchset

ALL_KEYS = tuple(TEMPLATES)
ERROR_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "too-costly"}],
}


def _diagnostics(response: Any) -> str:
    assert response.status_code == 412, response.get_data(as_text=True)
    return " ".join(issue["diagnostics"] for issue in response.get_json()["issue"])


def test_self_fetch_of_every_key_gives_the_same_cards_as_prefetch(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    from_prefetch = client.post(SERVICE_URL, json=hook_body(prefetch))
    answer_like_prefetch(fhir, prefetch, *ALL_KEYS)
    from_server = client.post(SERVICE_URL, json=with_fhir(hook_body()))
    assert from_prefetch.status_code == from_server.status_code == 200
    assert from_server.get_json() == from_prefetch.get_json()
    assert from_server.get_json()["cards"][0]["indicator"] == "critical"
    assert len(fhir.calls) == len(ALL_KEYS)


def test_queries_run_in_parallel(make_app: Any, fhir: responses.RequestsMock) -> None:
    prefetch = load_prefetch()
    active = 0
    peak = 0
    lock = threading.Lock()

    def slow(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return 200, {}, '{"resourceType":"Bundle","type":"searchset"}'

    fhir.add_callback(responses.GET, re.compile(re.escape(FHIR_BASE) + r"/Observation\?.*"), slow)
    answer_like_prefetch(fhir, prefetch, "patient", "conditions")
    keys = ("patient", "conditions", "proteinuria", "kidneyFunction", "urinalysis")
    for key in keys:
        del prefetch[key]
    response = make_app().test_client().post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    assert response.status_code == 200
    assert peak >= 2


def test_no_token_is_sent_when_the_client_gave_none(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    conditions = prefetch.pop("conditions")
    answer(fhir, "conditions", conditions, token=None)
    body = hook_body(prefetch, fhirServer=FHIR_BASE)
    assert client.post(SERVICE_URL, json=body).status_code == 200
    assert "Authorization" not in fhir.calls[0].request.headers


@pytest.mark.parametrize(
    ("key", "reply", "reason"),
    [
        ("conditions", {"body": requests.exceptions.ReadTimeout()}, "timed out"),
        ("conditions", {"body": requests.exceptions.ConnectionError()}, "unreachable"),
        ("conditions", {"status": 401, "json": {"resourceType": "OperationOutcome"}}, "HTTP 401"),
        ("patient", {"status": 404, "json": {"resourceType": "OperationOutcome"}}, "HTTP 404"),
        ("conditions", {"status": 500, "body": "Internal Server Error"}, "HTTP 500"),
        ("conditions", {"status": 302, "headers": {"Location": "https://x.example"}}, "HTTP 302"),
        ("conditions", {"body": "<html>not json</html>"}, "invalid JSON"),
        ("conditions", {"json": [1, 2]}, "not a resource"),
        ("conditions", {"json": {"resourceType": "Bundle", "type": "batch-response"}}, "searchset"),
        (
            "conditions",
            {"json": {"resourceType": "OperationOutcome", "issue": []}},
            "OperationOutcome",
        ),
        ("patient", {"json": {"resourceType": "Patient", "id": "other"}}, "did not return"),
        ("conditions", {"json": searchset([ERROR_OUTCOME])}, "error OperationOutcome"),
        (
            "conditions",
            {
                "json": searchset(
                    [{"resourceType": "OperationOutcome", "issue": [{"severity": {}}]}]
                )
            },
            "error OperationOutcome",  # not "unexpected error": junk is judged, not crashed on
        ),
    ],
)
def test_fhir_server_failure_is_412_naming_the_key(
    client: FlaskClient,
    fhir: responses.RequestsMock,
    key: str,
    reply: dict[str, Any],
    reason: str,
) -> None:
    prefetch = load_prefetch()
    del prefetch[key]
    answer(fhir, key, **reply)
    text = _diagnostics(client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))))
    assert f"'{key}'" in text
    assert reason in text
    assert TOKEN not in text


def test_warning_operation_outcome_in_a_searchset_is_not_data(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    conditions = prefetch.pop("conditions")
    warning = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "warning", "code": "informational"}]}  # fmt: skip
    conditions["entry"].append({"resource": warning, "search": {"mode": "outcome"}})
    answer(fhir, "conditions", conditions)
    assert client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))).status_code == 200
    assert not any(r["resourceType"] == "OperationOutcome" for r in assessor.calls[-1][0])


def test_paging_is_followed_across_pages(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    resources = [e["resource"] for e in prefetch.pop("proteinuria")["entry"]]
    page2 = f"{FHIR_BASE}/Observation?_getpages=q1&_getpagesoffset=4"
    answer(fhir, "proteinuria", searchset(resources[:4], next_url=page2))
    fhir.get(page2, json=searchset(resources[4:]))
    assert client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))).status_code == 200
    assert {f"Observation/{r['id']}" for r in resources if r["id"] != f"{PATIENT_ID}-upcr-old"} <= (
        assessor.resource_ids
    )


def test_token_is_sent_on_every_call_including_each_next_page(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    """CDS Hooks 2.0 §FHIR Resource Access: the access token with each API call."""
    prefetch = load_prefetch()
    resources = [e["resource"] for e in prefetch.pop("proteinuria")["entry"]]
    conditions = prefetch.pop("conditions")
    pages = [f"{FHIR_BASE}/Observation?_getpages=q1&_getpagesoffset={n}" for n in (2, 4)]
    answer(fhir, "proteinuria", searchset(resources[:2], next_url=pages[0]))
    answer(fhir, "conditions", conditions)
    bearer = responses.matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})
    fhir.get(pages[0], json=searchset(resources[2:4], next_url=pages[1]), match=[bearer])
    fhir.get(pages[1], json=searchset(resources[4:]), match=[bearer])
    assert client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))).status_code == 200
    assert len(fhir.calls) == 4
    assert {c.request.headers["Authorization"] for c in fhir.calls} == {f"Bearer {TOKEN}"}


def test_endless_chain_of_next_links_stops_at_the_page_cap(
    make_app: Any, fhir: responses.RequestsMock
) -> None:
    pages = 0

    def endless(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        nonlocal pages
        pages += 1
        next_url = f"{FHIR_BASE}/Observation?_page={pages + 1}"
        return (
            200,
            {},
            (
                '{"resourceType":"Bundle","type":"searchset","link":'
                f'[{{"relation":"next","url":"{next_url}"}}]}}'
            ),
        )

    fhir.add_callback(
        responses.GET, re.compile(re.escape(FHIR_BASE) + r"/Observation\?.*"), endless
    )
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    client = make_app(fhir_max_pages=5).test_client()
    text = _diagnostics(client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))))
    assert "'proteinuria'" in text
    assert "more than 5 pages" in text
    assert pages == 5


def test_next_link_loop_is_detected(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    loop = f"{FHIR_BASE}/Observation?_page=2"
    answer(fhir, "proteinuria", searchset([], next_url=loop))
    fhir.get(loop, json=searchset([], next_url=loop))
    assert "loop" in _diagnostics(client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))))


def test_50_mb_response_is_412_without_reading_it_all(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    answer(fhir, "proteinuria", body=b" " * 50_000_000, content_type="application/fhir+json")
    text = _diagnostics(client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))))
    assert "larger than 20000000 bytes" in text


@pytest.mark.parametrize(
    "fhir_server",
    [
        "https://not-allowed.example.org/fhir",
        "https://ehr.example.org.attacker.net/fhir",
        "https://ehr.example.org/other",
        "http://ehr.example.org/fhir",
        "https://user:pw@ehr.example.org/fhir",
        "file:///etc/passwd",
        "https://ehr.example.org:8443/fhir",
        "https://ehr.example.org/fhir/../admin",  # requests would send /admin/...
        "https://ehr.example.org/fhir/%2e%2e/admin",
        "https://ehr.example.org/fhir/./../admin",
    ],
)
def test_fhir_server_not_allowed_is_refused_without_any_outbound_call(
    client: FlaskClient, fhir: responses.RequestsMock, fhir_server: str
) -> None:
    prefetch = load_prefetch()
    del prefetch["conditions"]
    body = with_fhir(hook_body(prefetch))
    body["fhirServer"] = fhir_server
    text = _diagnostics(client.post(SERVICE_URL, json=body))
    assert "'conditions'" in text
    assert len(fhir.calls) == 0


def test_allow_list_with_no_entries_never_calls_out(
    make_app: Any, fhir: responses.RequestsMock
) -> None:
    client = make_app(fhir_allowed_servers=()).test_client()
    assert "allow-list" in _diagnostics(client.post(SERVICE_URL, json=with_fhir(hook_body())))
    assert len(fhir.calls) == 0


# --- a real, slow FHIR server on loopback --------------------------------------------------


class _SlowFhir(BaseHTTPRequestHandler):
    delay = 3.0
    chunks = 0  # > 0: stream this many 1 MB chunks without Content-Length
    trickle_seconds = 0.0  # > 0: send one byte every 20 ms for this long (a dribbling body)
    dropped_at: list[float]  # monotonic times at which the client hung up on a trickle
    next_link = False  # answer every search with a searchset linking to one more page
    requests: list[int]  # the client port of each answered request (one per connection)
    protocol_version = "HTTP/1.1"  # keep-alive, so that connection reuse can be seen

    def do_GET(self) -> None:
        if self.trickle_seconds:
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.end_headers()
            until = time.monotonic() + self.trickle_seconds
            try:
                while time.monotonic() < until:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.02)
            except (BrokenPipeError, ConnectionResetError):
                self.dropped_at.append(time.monotonic())
            return
        if self.chunks:
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.end_headers()
            try:
                for _ in range(self.chunks):
                    self.wfile.write(b" " * 1_000_000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        time.sleep(self.delay)
        self.requests.append(self.client_address[1])
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
        if self.next_link:
            page = len(self.requests) + 1
            host, port = self.server.server_address[:2]
            url = f"http://{host}:{port}/fhir/Observation?_page={page}"
            bundle["link"] = [{"relation": "next", "url": url}]
        body = json.dumps(bundle).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def slow_fhir() -> Iterator[tuple[str, type[_SlowFhir]]]:
    handler = type("Handler", (_SlowFhir,), {"dropped_at": [], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir", handler
    finally:
        server.shutdown()
        server.server_close()


def test_slow_fhir_server_gets_412_within_the_budget(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    base, _ = slow_fhir
    client = make_app(
        fhir_allowed_servers=(base,), fhir_allow_http=True,
        fhir_budget_seconds=0.5, fhir_timeout_seconds=2.0,
    ).test_client()  # fmt: skip
    body = hook_body(fhirServer=base)
    started = time.monotonic()
    text = _diagnostics(client.post(SERVICE_URL, json=body))
    elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert "'patient'" in text


def test_per_call_timeout_applies_within_a_large_budget(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    base, _ = slow_fhir
    client = make_app(
        fhir_allowed_servers=(base,), fhir_allow_http=True,
        fhir_budget_seconds=10.0, fhir_timeout_seconds=0.3,
    ).test_client()  # fmt: skip
    started = time.monotonic()
    text = _diagnostics(client.post(SERVICE_URL, json=hook_body(fhirServer=base)))
    assert time.monotonic() - started < 2.0
    assert "timed out" in text


def test_per_call_timeout_bounds_a_body_that_trickles(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    """A server sending one byte at a time never trips the socket timeout: the call's own."""
    base, handler = slow_fhir
    handler.trickle_seconds = 20.0
    client = make_app(
        fhir_allowed_servers=(base,), fhir_allow_http=True,
        fhir_budget_seconds=10.0, fhir_timeout_seconds=0.3,
    ).test_client()  # fmt: skip
    prefetch = load_prefetch()
    del prefetch["conditions"]
    started = time.monotonic()
    text = _diagnostics(client.post(SERVICE_URL, json=hook_body(prefetch, fhirServer=base)))
    assert time.monotonic() - started < 2.0
    assert "'conditions'" in text
    assert "timed out" in text


def test_trickling_server_is_hung_up_on_when_the_budget_ends(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    """No reader thread (or pooled connection) is left behind dribbling past the budget."""
    base, handler = slow_fhir
    handler.trickle_seconds = 20.0
    client = make_app(
        fhir_allowed_servers=(base,), fhir_allow_http=True,
        fhir_budget_seconds=0.5, fhir_timeout_seconds=5.0,
    ).test_client()  # fmt: skip
    prefetch = load_prefetch()
    del prefetch["conditions"]
    started = time.monotonic()
    assert "'conditions'" in _diagnostics(
        client.post(SERVICE_URL, json=hook_body(prefetch, fhirServer=base))
    )
    while not handler.dropped_at and time.monotonic() - started < 5.0:
        time.sleep(0.05)
    assert handler.dropped_at, "the service kept reading the trickle"
    assert handler.dropped_at[0] - started < 1.5


def test_slow_endless_next_links_stop_at_the_budget_before_the_page_cap(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    """Each page in time, but the chain never ends: the budget, not the cap, stops it."""
    base, handler = slow_fhir
    handler.delay = 0.1
    handler.next_link = True
    client = make_app(
        fhir_allowed_servers=(base,), fhir_allow_http=True, fhir_max_pages=1000,
        fhir_budget_seconds=0.6, fhir_timeout_seconds=2.0,
    ).test_client()  # fmt: skip
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    started = time.monotonic()
    text = _diagnostics(client.post(SERVICE_URL, json=hook_body(prefetch, fhirServer=base)))
    assert time.monotonic() - started < 1.5
    assert "'proteinuria'" in text
    assert "pages" not in text  # not the page cap: the budget (its last call timed out)
    assert len(handler.requests) < 10


def test_one_pooled_session_serves_every_call(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    """Two hook calls, one query each, reuse one kept-alive connection: one session, not a
    session (and a TLS handshake) per call."""
    base, handler = slow_fhir
    handler.delay = 0.0
    client = make_app(fhir_allowed_servers=(base,), fhir_allow_http=True).test_client()
    prefetch = load_prefetch()
    del prefetch["conditions"]
    for _ in range(2):
        response = client.post(SERVICE_URL, json=hook_body(prefetch, fhirServer=base))
        assert response.status_code == 200
    assert len(handler.requests) == 2
    assert len(set(handler.requests)) == 1  # the same client port: the same connection


def test_streamed_50_mb_without_content_length_stops_at_the_cap(
    make_app: Any, slow_fhir: tuple[str, type[_SlowFhir]]
) -> None:
    base, handler = slow_fhir
    handler.chunks = 50
    client = make_app(fhir_allowed_servers=(base,), fhir_allow_http=True).test_client()
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    text = _diagnostics(client.post(SERVICE_URL, json=hook_body(prefetch, fhirServer=base)))
    assert "larger than 20000000 bytes" in text


@pytest.mark.parametrize("fhir_server", ["https://[::1/fhir", "https://ehr.example.org:99999/fhir"])
def test_unparseable_fhir_server_is_412_not_500(
    client: FlaskClient, fhir: responses.RequestsMock, fhir_server: str
) -> None:
    body = with_fhir(hook_body())
    body["fhirServer"] = fhir_server
    assert "'patient'" in _diagnostics(client.post(SERVICE_URL, json=body))
    assert len(fhir.calls) == 0


def test_unparseable_next_link_is_412_not_500(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    answer(fhir, "proteinuria", searchset([], next_url="https://[::1/fhir/Observation?p=2"))
    assert "'proteinuria'" in _diagnostics(
        client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    )


def test_deeply_nested_fhir_json_is_412_not_500(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    prefetch = load_prefetch()
    del prefetch["conditions"]
    answer(fhir, "conditions", body=b"[" * 100_000)
    assert "invalid JSON" in _diagnostics(
        client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch)))
    )


@pytest.mark.parametrize(
    "next_url",
    [
        f"{FHIR_BASE}/../internal/Observation?_page=2",
        f"{FHIR_BASE}/%2E%2E/internal/Observation?_page=2",
        "../internal/Observation?_page=2",
    ],
)
def test_next_link_climbing_out_of_the_fhir_base_is_not_followed(
    client: FlaskClient, fhir: responses.RequestsMock, next_url: str
) -> None:
    prefetch = load_prefetch()
    del prefetch["proteinuria"]
    answer(fhir, "proteinuria", searchset([], next_url=next_url))
    text = _diagnostics(client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))))
    assert "outside the FHIR server" in text
    assert len(fhir.calls) == 1  # the first page only


def test_relative_next_link_is_resolved_against_the_fhir_server(
    client: FlaskClient, fhir: responses.RequestsMock, assessor: RecordingAssessor
) -> None:
    prefetch = load_prefetch()
    resources = [e["resource"] for e in prefetch.pop("proteinuria")["entry"]]
    answer(fhir, "proteinuria", searchset(resources[:2], next_url="Observation?_page=2"))
    fhir.get(f"{FHIR_BASE}/Observation?_page=2", json=searchset(resources[2:]))
    assert client.post(SERVICE_URL, json=with_fhir(hook_body(prefetch))).status_code == 200
    assert f"Observation/{PATIENT_ID}-upcr-5" in assessor.resource_ids
