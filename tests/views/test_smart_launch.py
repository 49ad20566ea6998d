"""SMART App Launch (EHR launch) of the trend view, against a real Authlib authorization server.

The stand-in EHR (tests/browser/oauth_server.py) runs on loopback; the views run in Flask's
test client. Redirects between the two are followed by hand so each hop can be checked.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cds.views.blueprint import SESSION_COOKIE, create_views_blueprint
from cds.views.session_store import SessionStore
from tests.browser.oauth_server import TOKEN_LIFETIME_SECONDS, RunningEhr
from tests.views.conftest import CLIENT_ID, SMART_PATIENT, smart_settings

STAND_IN_LOGGER = "authlib.oauth2.rfc6749.grants"


def _launch(client: FlaskClient, ehr: RunningEhr) -> TestResponse:
    launch = ehr.new_launch(SMART_PATIENT)
    return client.get("/smart/launch", query_string={"iss": ehr.fhir_base, "launch": launch})


def _authorize(location: str) -> str:
    """The browser's visit to the authorization server; returns where it redirects to."""
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _callback(client: FlaskClient, location: str) -> TestResponse:
    parts = urlsplit(location)
    assert parts.path == "/smart/callback"
    return client.get(parts.path, query_string=parts.query)


def test_launch_sends_the_browser_to_authorize_with_pkce_s256_launch_and_aud(
    client: FlaskClient, ehr: RunningEhr
) -> None:
    response = _launch(client, ehr)

    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ehr.state.base}/auth/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://localhost/smart/callback"
    assert query["aud"] == ehr.fhir_base
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert "launch" in query["scope"].split()
    assert query["launch"] in ehr.state.launches
    assert len(query["state"]) >= 32
    assert ehr.log[0]["path"] == "/fhir/.well-known/smart-configuration"


def test_launch_session_cookie_is_opaque_httponly_samesite_lax(
    client: FlaskClient, ehr: RunningEhr
) -> None:
    response = _launch(client, ehr)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=900" in cookie
    assert "Path=/smart" in cookie
    assert "Secure" not in cookie  # plain http test client; see the public-URL test
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert value not in (query["state"][0], query["code_challenge"][0])


@pytest.mark.parametrize(
    "iss",
    [
        "https://fhir.elsewhere.example/fhir",
        "{base}.evil.example/fhir",  # a prefix look-alike of the allowed server
        "{base}/fhir/../other",
        "",
    ],
)
def test_launch_refuses_an_iss_not_on_the_allow_list_before_contacting_it(
    client: FlaskClient, ehr: RunningEhr, iss: str
) -> None:
    response = client.get(
        "/smart/launch",
        query_string={"iss": iss.format(base=ehr.state.base), "launch": "x"},
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert ehr.log == []


def test_launch_refuses_plain_http_iss_unless_configured_for_local_testing(
    ehr: RunningEhr,
) -> None:
    app = Flask(__name__)
    app.register_blueprint(create_views_blueprint(smart_settings(ehr, fhir_allow_http=False)))
    response = app.test_client().get(
        "/smart/launch", query_string={"iss": ehr.fhir_base, "launch": "x"}
    )
    assert response.status_code == 400
    assert b"must use https" in response.data
    assert ehr.log == []


def test_launch_without_launch_parameter_is_refused(client: FlaskClient, ehr: RunningEhr) -> None:
    response = client.get("/smart/launch", query_string={"iss": ehr.fhir_base})
    assert response.status_code == 400


def test_full_launch_reads_the_tokens_patient_with_the_token_and_shows_the_trend(
    client: FlaskClient, ehr: RunningEhr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    launched = _launch(client, ehr)
    callback = _callback(client, _authorize(launched.headers["Location"]))
    assert callback.status_code == 302
    assert callback.headers["Location"] == "/smart/trend"
    assert SESSION_COOKIE in callback.headers["Set-Cookie"]
    # the authorised session lives no longer than the token (300 s), not the 900 s default
    assert f"Max-Age={TOKEN_LIFETIME_SECONDS}" in callback.headers["Set-Cookie"]

    page = client.get("/smart/trend")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-status="flare"' in html
    assert 'data-indicator="critical"' in html
    assert "Iris Demo-Flare Testpatient" in html
    assert "as of 2026-11-01" in html  # today in Europe/Berlin, not in UTC
    token_calls = [e for e in ehr.log if e["path"] == "/auth/token"]
    assert token_calls == [
        {
            "path": "/auth/token",
            "method": "POST",
            "grant_type": "authorization_code",
            "has_code_verifier": True,
        }
    ]
    fhir_reads = [
        e for e in ehr.log if e["path"].startswith("/fhir/") and ".well-known" not in e["path"]
    ]
    assert {e["path"] for e in fhir_reads} == {
        f"/fhir/Patient/{SMART_PATIENT}",
        "/fhir/Observation",
        "/fhir/Condition",
        "/fhir/MedicationRequest",
        "/fhir/MedicationStatement",
        "/fhir/MedicationAdministration",
    }
    # the hook's own queries: Observations by code group, so none is read twice
    assert len([e for e in fhir_reads if e["path"] == "/fhir/Observation"]) > 1
    assert all(e["bearer"] for e in fhir_reads)
    (token,) = ehr.state.tokens
    assert token not in html
    # Every log line of this process except the stand-in authorization server's own grant
    # logger (which, being test code, logs what it issues).
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith(STAND_IN_LOGGER)]
    assert ours
    assert not [line for line in ours if token in line]
    assert all(token not in c for c in callback.headers.getlist("Set-Cookie"))


def test_callback_with_a_forged_state_is_refused_and_forgets_the_launch(
    client: FlaskClient, ehr: RunningEhr
) -> None:
    launched = _launch(client, ehr)
    location = _authorize(launched.headers["Location"])
    forged = location.replace("state=", "state=x")

    response = _callback(client, forged)

    assert response.status_code == 400
    assert b"state does not match" in response.data
    assert not [e for e in ehr.log if e["path"] == "/auth/token"]
    assert _callback(client, location).status_code == 400  # the pending launch is gone


def test_callback_without_the_launch_cookie_is_refused(smart_app: Flask, ehr: RunningEhr) -> None:
    launched = _launch(smart_app.test_client(), ehr)
    location = _authorize(launched.headers["Location"])

    response = _callback(smart_app.test_client(), location)  # another browser: no cookie

    assert response.status_code == 400
    assert b"expired or was not started here" in response.data


def test_an_authorization_error_is_shown_by_its_code_only(
    client: FlaskClient, ehr: RunningEhr
) -> None:
    launched = _launch(client, ehr)
    state = parse_qs(urlsplit(launched.headers["Location"]).query)["state"][0]
    response = client.get(
        "/smart/callback",
        query_string={"error": "access_denied<script>", "state": state},
    )
    assert response.status_code == 400
    assert b"(access_deniedscript)" in response.data
    assert b"<script>" not in response.data


def test_trend_without_an_authorised_session_is_401(client: FlaskClient) -> None:
    assert client.get("/smart/trend").status_code == 401


def test_a_pending_launch_is_not_an_authorised_session(
    client: FlaskClient, ehr: RunningEhr
) -> None:
    _launch(client, ehr)
    assert client.get("/smart/trend").status_code == 401


def test_smart_routes_are_absent_without_a_client_id(ehr: RunningEhr) -> None:
    app = Flask(__name__)
    app.register_blueprint(create_views_blueprint(smart_settings(ehr, smart_client_id=None)))
    assert app.test_client().get("/smart/launch").status_code == 404


def test_redirect_uri_uses_the_public_url_behind_a_proxy(ehr: RunningEhr) -> None:
    app = Flask(__name__)
    settings = smart_settings(ehr, public_url="https://lncds.example.org/")
    app.register_blueprint(create_views_blueprint(settings))
    response = app.test_client().get(
        "/smart/launch", query_string={"iss": ehr.fhir_base, "launch": ehr.new_launch("p")}
    )
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://lncds.example.org/smart/callback"]
    assert "Secure" in response.headers["Set-Cookie"]  # TLS ends at the proxy


def test_the_authorised_session_ends_when_the_access_token_expires(ehr: RunningEhr) -> None:
    now = [1000.0]
    store = SessionStore(ttl_seconds=900, clock=lambda: now[0])
    app = Flask(__name__)
    app.register_blueprint(create_views_blueprint(smart_settings(ehr), store=store))
    client = app.test_client()
    _callback(client, _authorize(_launch(client, ehr).headers["Location"]))
    now[0] += TOKEN_LIFETIME_SECONDS - 1
    assert client.get("/smart/trend").status_code == 200

    now[0] += 1

    assert client.get("/smart/trend").status_code == 401
