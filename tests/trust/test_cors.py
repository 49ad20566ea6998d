"""CORS for browser-based CDS Clients: configured origins only, none by default, never `*`.

The app is built from the environment as in production (`LNCDS_CORS_ORIGINS`, auth on), so
these tests pin the whole path from the variable to the headers a browser reads. A preflight
carries no Authorization header (browsers never send credentials on it), so it must be answered
without authentication; the call that follows is authenticated as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cds.config import ConfigError
from cds.web.app import config_from_env, create_app
from tests.trust.ehr import FEEDBACK_PATH, SERVICE_PATH, Ehr

ALLOWED = "https://ehr.example.org"
PUBLIC_URL = "https://cds.example.org"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}

ClientFactory = Callable[..., FlaskClient]


@pytest.fixture
def make_client(tmp_path: Path) -> ClientFactory:
    """A test client of the app built from the environment, auth on, plus `env` overrides."""
    ehr = Ehr(tmp_path)

    def factory(**env: str) -> FlaskClient:
        base = ehr.server_env(PUBLIC_URL) | {"LNCDS_FEEDBACK_DB": str(tmp_path / "fb.sqlite3")}
        return create_app(config_from_env(base | env)).test_client()

    return factory


def preflight(client: FlaskClient, path: str, origin: str) -> TestResponse:
    return client.options(path, headers={**PREFLIGHT, "Origin": origin})


def header_names(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


@pytest.mark.parametrize("path", [SERVICE_PATH, FEEDBACK_PATH])
def test_preflight_for_post_with_authorization_from_a_configured_origin_is_allowed(
    make_client: ClientFactory, path: str
) -> None:
    client = make_client(LNCDS_CORS_ORIGINS=f"{ALLOWED}, https://other-ehr.example.org")

    response = preflight(client, path, ALLOWED)

    assert response.status_code == 200  # no token on a preflight, and none needed
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "post" in header_names(response.headers["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type"} <= header_names(
        response.headers["Access-Control-Allow-Headers"]
    )


def test_discovery_preflight_from_a_configured_origin_is_allowed(
    make_client: ClientFactory,
) -> None:
    client = make_client(LNCDS_CORS_ORIGINS=ALLOWED)
    response = client.options(
        "/cds-services", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://ehr.example.org.evil.example",  # the allowed origin as a prefix
        "https://evil-ehr.example.org",
        "http://ehr.example.org",  # same host, other scheme
        "https://ehr.example.org:8443",  # same host, other port
        "null",  # sandboxed iframes and file:// pages
    ],
)
def test_preflight_from_another_origin_is_not_allowed(
    make_client: ClientFactory, origin: str
) -> None:
    client = make_client(LNCDS_CORS_ORIGINS=ALLOWED)
    response = preflight(client, SERVICE_PATH, origin)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Headers" not in response.headers


def test_no_origin_is_allowed_by_default(make_client: ClientFactory) -> None:
    client = make_client()
    for path in (SERVICE_PATH, FEEDBACK_PATH, "/cds-services"):
        response = preflight(client, path, ALLOWED)
        assert not [h for h in response.headers if h[0].lower().startswith("access-control-")]


def test_actual_call_from_a_configured_origin_can_read_the_401(
    make_client: ClientFactory,
) -> None:
    """A browser client must be able to see that its token was refused (not a CORS error)."""
    client = make_client(LNCDS_CORS_ORIGINS=ALLOWED)
    response = client.post(SERVICE_PATH, json={}, headers={"Origin": ALLOWED})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize(
    "origin",
    [ALLOWED, "https://evil.example", "null"],
)
@pytest.mark.parametrize("method", ["OPTIONS", "POST", "GET"])
def test_wildcard_origin_is_never_sent(
    make_client: ClientFactory, origin: str, method: str
) -> None:
    client = make_client(LNCDS_CORS_ORIGINS=ALLOWED)
    path = "/cds-services" if method == "GET" else SERVICE_PATH
    response = client.open(path, method=method, headers={**PREFLIGHT, "Origin": origin})
    assert response.headers.get("Access-Control-Allow-Origin") in (None, ALLOWED)


@pytest.mark.parametrize("origins", ["*", f"{ALLOWED},*", f"*, {ALLOWED}"])
def test_wildcard_in_the_configuration_stops_the_service(
    make_client: ClientFactory, origins: str
) -> None:
    with pytest.raises(ConfigError, match="LNCDS_CORS_ORIGINS"):
        make_client(LNCDS_CORS_ORIGINS=origins)


@pytest.mark.parametrize(
    "origins",
    [
        "https://*.hospital.org",  # flask-cors would read it as a regex from the start
        "https://ehr.hospital.org.*",
        "https://ehr\\.hospital\\.org",
        "https://(ehr|cds).hospital.org",
        "https://ehr.hospital.org/",  # an origin has no path
        "https://ehr.hospital.org/app",
        "ehr.hospital.org",  # no scheme
        "ftp://ehr.hospital.org",
    ],
)
def test_an_origin_pattern_or_url_stops_the_service(
    make_client: ClientFactory, origins: str
) -> None:
    with pytest.raises(ConfigError, match="LNCDS_CORS_ORIGINS"):
        make_client(LNCDS_CORS_ORIGINS=origins)


def test_an_origin_with_a_port_is_accepted_exactly(make_client: ClientFactory) -> None:
    client = make_client(LNCDS_CORS_ORIGINS="https://ehr.hospital.org:8443")
    allowed = client.open(
        "/cds-services/lupus-nephritis",
        method="OPTIONS",
        headers={**PREFLIGHT, "Origin": "https://ehr.hospital.org:8443"},
    )
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://ehr.hospital.org:8443"
    other = client.open(
        "/cds-services/lupus-nephritis",
        method="OPTIONS",
        headers={**PREFLIGHT, "Origin": "https://ehr.hospital.org"},
    )
    assert other.headers.get("Access-Control-Allow-Origin") is None
