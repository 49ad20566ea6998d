"""The SMART client's own rules: allow-list matching, discovery parsing, token response checks."""

from __future__ import annotations

import pytest
import requests
import responses

from cds.views.smart import (
    LaunchContext,
    PendingLaunch,
    SmartClientSettings,
    SmartLaunchError,
    check_issuer,
    discover,
    exchange_code,
    parse_configuration,
)

ALLOWED = ("https://ehr.example.org/fhir/r4/",)
CONFIG = {
    "authorization_endpoint": "https://ehr.example.org/auth/authorize",
    "token_endpoint": "https://ehr.example.org/auth/token",
    "code_challenge_methods_supported": ["S256"],
    "capabilities": ["launch-ehr", "client-public"],
}
PENDING = PendingLaunch(
    iss="https://ehr.example.org/fhir/r4",
    state="s" * 43,
    code_verifier="v" * 86,
    token_endpoint="https://ehr.example.org/auth/token",
    redirect_uri="https://lncds.example.org/smart/callback",
)


@pytest.mark.parametrize(
    "iss", ["https://ehr.example.org/fhir/r4", "https://ehr.example.org/fhir/r4/"]
)
def test_issuer_matches_the_allow_list_ignoring_a_trailing_slash(iss: str) -> None:
    assert check_issuer(iss, ALLOWED, allow_http=False) == "https://ehr.example.org/fhir/r4"


@pytest.mark.parametrize(
    ("iss", "message"),
    [
        (None, "did not name"),
        ("https://ehr.example.org/fhir", "not on the allow-list"),
        ("https://ehr.example.org/fhir/r4/extra", "not on the allow-list"),
        ("https://ehr.example.org.evil.test/fhir/r4", "not on the allow-list"),
        ("http://ehr.example.org/fhir/r4", "must use https"),
        ("javascript:alert(1)", "not a valid URL"),
    ],
)
def test_issuer_outside_the_allow_list_is_refused(iss: str | None, message: str) -> None:
    with pytest.raises(SmartLaunchError, match=message):
        check_issuer(iss, ALLOWED, allow_http=False)


def test_configuration_gives_both_endpoints() -> None:
    configuration = parse_configuration(CONFIG, allow_http=False)
    assert configuration.authorization_endpoint == CONFIG["authorization_endpoint"]
    assert configuration.token_endpoint == CONFIG["token_endpoint"]
    assert configuration.code_challenge_methods == ("S256",)


def test_a_server_offering_only_plain_pkce_is_refused_not_downgraded() -> None:
    with pytest.raises(SmartLaunchError, match="S256"):
        parse_configuration(
            {**CONFIG, "code_challenge_methods_supported": ["plain"]}, allow_http=False
        )


def test_a_configuration_without_methods_is_accepted_and_s256_still_used() -> None:
    body = {k: v for k, v in CONFIG.items() if k != "code_challenge_methods_supported"}
    assert parse_configuration(body, allow_http=False).code_challenge_methods == ()


@pytest.mark.parametrize("key", ["authorization_endpoint", "token_endpoint"])
def test_a_configuration_missing_an_endpoint_is_refused(key: str) -> None:
    with pytest.raises(SmartLaunchError, match="lacks"):
        parse_configuration({k: v for k, v in CONFIG.items() if k != key}, allow_http=False)


def test_http_endpoints_are_refused_unless_configured_for_local_testing() -> None:
    body = {**CONFIG, "token_endpoint": "http://ehr.example.org/auth/token"}
    with pytest.raises(SmartLaunchError, match="token endpoint must be an https URL"):
        parse_configuration(body, allow_http=False)
    assert parse_configuration(body, allow_http=True).token_endpoint.startswith("http://")


@responses.activate(assert_all_requests_are_fired=True)
def test_discovery_reads_the_well_known_document_with_a_timeout() -> None:
    responses.get(
        "https://ehr.example.org/fhir/r4/.well-known/smart-configuration",
        json=CONFIG,
        match=[responses.matchers.header_matcher({"Accept": "application/json"})],
    )
    with requests.Session() as http:
        configuration = discover(
            http, "https://ehr.example.org/fhir/r4", timeout=2.0, allow_http=False
        )
    assert configuration.token_endpoint == CONFIG["token_endpoint"]


@responses.activate(assert_all_requests_are_fired=True)
@pytest.mark.parametrize(
    ("status", "body", "message"),
    [(404, {}, "HTTP 404"), (200, ["not", "an", "object"], "not a JSON object")],
)
def test_discovery_failures_are_launch_errors(status: int, body: object, message: str) -> None:
    responses.get(
        "https://ehr.example.org/fhir/r4/.well-known/smart-configuration", json=body, status=status
    )
    with requests.Session() as http, pytest.raises(SmartLaunchError, match=message):
        discover(http, "https://ehr.example.org/fhir/r4", timeout=2.0, allow_http=False)


@responses.activate(assert_all_requests_are_fired=True)
def test_discovery_timeout_is_a_launch_error() -> None:
    responses.get(
        "https://ehr.example.org/fhir/r4/.well-known/smart-configuration",
        body=requests.ConnectTimeout(),
    )
    with requests.Session() as http, pytest.raises(SmartLaunchError, match="could not be read"):
        discover(http, "https://ehr.example.org/fhir/r4", timeout=2.0, allow_http=False)


def _token_endpoint(body: dict[str, object], status: int = 200) -> None:
    responses.post(
        PENDING.token_endpoint,
        json=body,
        status=status,
        match=[
            responses.matchers.urlencoded_params_matcher(
                {
                    "grant_type": "authorization_code",
                    "code": "the-code",
                    "code_verifier": PENDING.code_verifier,
                    "redirect_uri": PENDING.redirect_uri,
                    "client_id": "lncds",
                }
            )
        ],
    )


@responses.activate(assert_all_requests_are_fired=True)
def test_code_exchange_sends_the_verifier_and_keeps_the_patient_context() -> None:
    _token_endpoint(
        {"access_token": "tok-9f3a", "token_type": "bearer", "patient": "pat-77", "expires_in": 300}
    )
    context = exchange_code(
        SmartClientSettings(client_id="lncds"), PENDING, code="the-code", state=PENDING.state
    )
    assert (context.patient, context.access_token, context.expires_in) == (
        "pat-77",
        "tok-9f3a",
        300,
    )
    assert "tok-9f3a" not in repr(context)
    assert "pat-77" not in repr(context)


@responses.activate(assert_all_requests_are_fired=True)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"access_token": "tok", "token_type": "Bearer"}, "no patient"),
        ({"token_type": "Bearer", "patient": "1"}, "no access token"),
        ({"access_token": "tok", "token_type": "MAC", "patient": "1"}, "not a Bearer"),
    ],
)
def test_token_responses_without_bearer_token_or_patient_are_refused(
    body: dict[str, object], message: str
) -> None:
    _token_endpoint(body)
    with pytest.raises(SmartLaunchError, match=message):
        exchange_code(
            SmartClientSettings(client_id="lncds"), PENDING, code="the-code", state=PENDING.state
        )


@responses.activate(assert_all_requests_are_fired=True)
def test_a_refused_code_is_a_launch_error_without_the_servers_text() -> None:
    _token_endpoint({"error": "invalid_grant", "error_description": "secret detail"}, status=400)
    with pytest.raises(SmartLaunchError, match="refused the authorization code") as caught:
        exchange_code(
            SmartClientSettings(client_id="lncds"), PENDING, code="the-code", state=PENDING.state
        )
    assert "secret detail" not in str(caught.value)


def test_a_missing_code_or_wrong_state_never_reaches_the_token_endpoint() -> None:
    settings = SmartClientSettings(client_id="lncds")
    with pytest.raises(SmartLaunchError, match="state does not match"):
        exchange_code(settings, PENDING, code="c", state="other")
    with pytest.raises(SmartLaunchError, match="no code"):
        exchange_code(settings, PENDING, code=None, state=PENDING.state)


def test_launch_context_round_trips_through_the_session_store_format() -> None:
    context = LaunchContext("https://x/fhir", "tok", "Bearer", "p1", "launch", 60)
    assert LaunchContext.from_dict(context.to_dict()) == context
