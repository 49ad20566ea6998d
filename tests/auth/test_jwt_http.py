"""The JWT matrix through the HTTP surface: the app built from the environment, as in production.

`tests/auth/test_jwt_matrix.py` pins each check of the verifier; this module sends the same
tokens to the real routes (Flask test client, `create_app(config_from_env(env))`) and pins what
an EHR sees: 200 for a good token, a bare 401 (`WWW-Authenticate: Bearer`, an OperationOutcome
saying only "authentication required") for every bad one, the reason in the log, never the
token. Each endpoint has its own audience (the exact URL under `LNCDS_PUBLIC_URL`), so a token
for one endpoint does not open another. Every test runs inside `responses`, so any outbound
HTTP call (a JWKS fetch) is seen and counted, and none reaches the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cds.auth import AuthConfigError
from cds.feedback import store_for
from cds.web.app import config_from_env, create_app
from tests.auth.tokens import ISS, NOW, SigningKey, b64url, bearer, jwk_set, unsigned_parts
from tests.service.conftest import hook_body, load_prefetch

PUBLIC_URL = "https://cds.example.org"
HOOK_PATH = "/cds-services/lupus-nephritis"
FEEDBACK_PATH = HOOK_PATH + "/feedback"
DISCOVERY_PATH = "/cds-services"
# Audiences: the exact URL of each endpoint as the EHR calls it.
HOOK_AUD = PUBLIC_URL + HOOK_PATH
FEEDBACK_AUD = PUBLIC_URL + FEEDBACK_PATH
DISCOVERY_AUD = PUBLIC_URL + DISCOVERY_PATH
# A second issuer that publishes its keys only at an allow-listed jku (key rotation tests).
ROTATING_ISS = "https://rotating-ehr.example.org"
ROTATING_JKU = "https://rotating-ehr.example.org/.well-known/jwks.json"
ATTACKER_JKU = "https://attacker.example.net/jwks.json"


def feedback_body() -> dict[str, Any]:
    """One valid feedback item with a card id of its own (so each call stores a new row)."""
    return {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                "outcomeTimestamp": "2025-03-14T11:59:00Z",
            }
        ]
    }


@dataclass
class Service:
    """The app as production builds it, plus what a test needs to look at afterwards."""

    client: FlaskClient
    feedback_db: Path
    jwks: responses.RequestsMock

    def hook(self, authorization: str | None, **kwargs: Any) -> TestResponse:
        headers = {} if authorization is None else {"Authorization": authorization}
        return self.client.post(
            HOOK_PATH, json=hook_body(load_prefetch()), headers=headers, **kwargs
        )

    def feedback(self, authorization: str | None) -> TestResponse:
        headers = {} if authorization is None else {"Authorization": authorization}
        return self.client.post(FEEDBACK_PATH, json=feedback_body(), headers=headers)

    def stored_feedback(self) -> int:
        return len(store_for(str(self.feedback_db)).export()) if self.feedback_db.exists() else 0

    def jwks_fetches(self) -> int:
        return len(self.jwks.calls)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Frozen at `NOW`; tests may move it (`clock.shift(seconds)`)."""
    with time_machine.travel(datetime.fromtimestamp(NOW, tz=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def service_env(tmp_path: Path, es384_key: SigningKey, rs384_key: SigningKey) -> dict[str, str]:
    """Production-style environment: auth on, two issuers, a public URL, a SQLite store."""
    issuers = {
        ISS: {"jwks": jwk_set(es384_key, rs384_key)},
        ROTATING_ISS: {"jku": [ROTATING_JKU]},
    }
    issuers_path = tmp_path / "issuers.json"
    issuers_path.write_text(json.dumps(issuers), encoding="utf-8")
    return {
        "LNCDS_TRUSTED_ISSUERS_FILE": str(issuers_path),
        "LNCDS_PUBLIC_URL": PUBLIC_URL,
        "LNCDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
    }


@pytest.fixture
def service(
    clock: time_machine.Coordinates,
    service_env: dict[str, str],
    tmp_path: Path,
    es384_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Service]:
    caplog.set_level(logging.INFO)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as jwks:
        jwks.get(ROTATING_JKU, json=jwk_set(es384_key))
        app = create_app(config_from_env(service_env))
        yield Service(app.test_client(), tmp_path / "feedback.sqlite3", jwks)


def assert_bare_401(response: TestResponse) -> None:
    """What every refused caller gets: no hint of which check failed."""
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    assert [issue["diagnostics"] for issue in body["issue"]] == ["authentication required"]


def assert_token_not_logged(token: str, log_text: str) -> None:
    for part in token.split("."):
        if len(part) > 8:  # a signature or payload, not a two-letter fragment
            assert part not in log_text


# --- the matrix: (id, audience → Authorization header, reason logged) ----------------------

Keys = dict[str, SigningKey]
HeaderFor = Callable[[Keys, str], str | None]


def _hmac_with_public_key(keys: Keys, aud: str) -> str:
    key = keys["es384"]
    public_pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = unsigned_parts({"alg": "HS256", "typ": "JWT", "kid": key.kid}, _claims(aud))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return bearer(signing_input + "." + b64url(signature))


def _claims(aud: str, **changes: Any) -> dict[str, Any]:
    claims = {"iss": ISS, "aud": aud, "iat": NOW, "exp": NOW + 300, "jti": str(uuid.uuid4())}
    claims.update(changes)
    return claims


REFUSED: list[tuple[str, HeaderFor, str]] = [
    (
        "expired",
        lambda k, aud: bearer(k["es384"].sign({"aud": aud, "iat": NOW - 400, "exp": NOW - 100})),
        "token expired",
    ),
    (
        "not-yet-valid",
        lambda k, aud: bearer(k["es384"].sign({"aud": aud, "nbf": NOW + 120})),
        "token not yet valid",
    ),
    (
        "wrong-aud-other-service",
        lambda k, aud: bearer(k["es384"].sign({"aud": PUBLIC_URL + "/cds-services/other"})),
        "token aud is not this endpoint",
    ),
    (
        "wrong-aud-discovery-url",
        lambda k, aud: bearer(k["es384"].sign({"aud": DISCOVERY_AUD})),
        "token aud is not this endpoint",
    ),
    (
        "wrong-iss",
        lambda k, aud: bearer(k["es384"].sign({"aud": aud, "iss": "https://evil.example.org"})),
        "iss 'https://evil.example.org' is not trusted",
    ),
    (
        "alg-none",
        lambda k, aud: bearer(
            unsigned_parts({"alg": "none", "typ": "JWT", "kid": k["es384"].kid}, _claims(aud)) + "."
        ),
        "alg 'none' is never accepted",
    ),
    ("hs256-signed-with-the-public-key", _hmac_with_public_key, "alg 'HS256' is never accepted"),
    (
        "jku-not-allow-listed",
        lambda k, aud: bearer(
            k["es384"].sign(
                {"aud": aud, "iss": ROTATING_ISS},
                headers={"kid": "attacker-key", "jku": ATTACKER_JKU},
            )
        ),
        f"jku {ATTACKER_JKU!r} is not allow-listed for {ROTATING_ISS}",
    ),
    (
        "missing-jti",
        lambda k, aud: bearer(k["es384"].sign({"aud": aud}, drop=("jti",))),
        "token lacks claim jti",
    ),
    ("garbage", lambda k, aud: "Bearer not.a.jwt", "bearer token is not a JWS compact JWT"),
    ("not-bearer", lambda k, aud: "Basic dXNlcjpwYXNz", "Authorization scheme is not Bearer"),
    ("no-header", lambda k, aud: None, "no Authorization header"),
]


@pytest.mark.parametrize("key_name", ["es384_key", "rs384_key"])
def test_valid_token_opens_the_hook_and_the_feedback_endpoint(
    request: pytest.FixtureRequest, service: Service, key_name: str
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)

    hook = service.hook(bearer(key.sign({"aud": HOOK_AUD})))
    feedback = service.feedback(bearer(key.sign({"aud": FEEDBACK_AUD})))

    assert hook.status_code == 200
    assert hook.get_json()["cards"]
    assert feedback.status_code == 200
    assert service.stored_feedback() == 1
    assert service.jwks_fetches() == 0


@pytest.mark.parametrize("endpoint", ["hook", "feedback"])
@pytest.mark.parametrize("refusal", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_token_gets_a_bare_401_and_its_reason_goes_to_the_log(
    service: Service,
    es384_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
    endpoint: str,
    refusal: tuple[str, HeaderFor, str],
) -> None:
    _, header_for, reason = refusal
    if endpoint == "hook":
        header = header_for({"es384": es384_key}, HOOK_AUD)
        response = service.hook(header)
    else:
        header = header_for({"es384": es384_key}, FEEDBACK_AUD)
        response = service.feedback(header)

    assert_bare_401(response)
    assert reason not in response.get_data(as_text=True)
    assert f"caller not authenticated: {reason}" in caplog.text
    if header is not None:
        assert_token_not_logged(header.removeprefix("Bearer "), caplog.text)
    assert service.stored_feedback() == 0
    assert service.jwks_fetches() == 0  # in particular: the attacker's jku was never called


def test_token_for_the_hook_does_not_open_the_feedback_endpoint_nor_the_reverse(
    service: Service, es384_key: SigningKey
) -> None:
    assert_bare_401(service.feedback(bearer(es384_key.sign({"aud": HOOK_AUD}))))
    assert_bare_401(service.hook(bearer(es384_key.sign({"aud": FEEDBACK_AUD}))))
    assert service.stored_feedback() == 0


def test_discovery_answers_with_or_without_a_token(service: Service, es384_key: SigningKey) -> None:
    """Discovery is public (docs/security.md); an EHR that signs it (aud = the discovery URL,
    as the sandbox does) is answered the same, and that token does not open the hook."""
    token = bearer(es384_key.sign({"aud": DISCOVERY_AUD}))
    signed = service.client.get(DISCOVERY_PATH, headers={"Authorization": token})
    unsigned = service.client.get(DISCOVERY_PATH)

    assert signed.status_code == unsigned.status_code == 200
    assert signed.data == unsigned.data
    assert_bare_401(service.hook(token))


@pytest.mark.parametrize("refusal", [c for c in REFUSED if c[0] != "no-header"], ids=lambda c: c[0])
def test_a_bad_token_sent_to_discovery_gets_a_bare_401(
    service: Service,
    es384_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
    refusal: tuple[str, HeaderFor, str],
) -> None:
    """Discovery needs no token, but one that is sent must be right for the discovery URL:
    the EHR learns of a wrong key, issuer or audience when it registers the service."""
    name, header_for, reason = refusal
    if name == "wrong-aud-discovery-url":  # the right audience here: use the hook's instead
        header: str | None = bearer(es384_key.sign({"aud": HOOK_AUD}))
        reason = "token aud is not this endpoint"
    else:
        header = header_for({"es384": es384_key}, DISCOVERY_AUD)
    assert header is not None

    assert_bare_401(service.client.get(DISCOVERY_PATH, headers={"Authorization": header}))
    assert f"caller not authenticated: {reason}" in caplog.text
    assert service.jwks_fetches() == 0


def test_replayed_token_is_accepted_once(service: Service, es384_key: SigningKey) -> None:
    header = bearer(es384_key.sign({"aud": HOOK_AUD, "jti": "only-once"}))

    assert service.hook(header).status_code == 200
    assert_bare_401(service.hook(header))


def test_refused_call_does_not_use_up_the_tokens_jti(
    service: Service, es384_key: SigningKey
) -> None:
    """A token sent first to the wrong endpoint still works where it belongs."""
    header = bearer(es384_key.sign({"aud": HOOK_AUD}))
    assert_bare_401(service.feedback(header))
    assert service.hook(header).status_code == 200


def test_unknown_kid_refetches_the_jwks_once_then_is_refused(
    service: Service,
    es384_key: SigningKey,
    clock: time_machine.Coordinates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the production defaults: the issuer's set is fetched on first use and cached; a
    kid it does not hold (key rotation?) triggers exactly one refetch, then 401; more made-up
    kids within the minimum refetch interval (60 s) cause no further fetches."""
    known = es384_key.sign({"aud": HOOK_AUD, "iss": ROTATING_ISS}, headers={"jku": ROTATING_JKU})
    assert service.hook(bearer(known)).status_code == 200
    assert service.jwks_fetches() == 1

    clock.shift(61)
    rotated = SigningKey(ec.generate_private_key(ec.SECP384R1()), kid="rotated", alg="ES384")
    unknown = rotated.sign(
        {"aud": HOOK_AUD, "iss": ROTATING_ISS, "iat": NOW + 61, "exp": NOW + 361},
        headers={"jku": ROTATING_JKU},
    )
    assert_bare_401(service.hook(bearer(unknown)))
    assert service.jwks_fetches() == 2
    assert f"caller not authenticated: kid 'rotated' unknown for {ROTATING_ISS}" in caplog.text

    for n in range(3):
        made_up = rotated.sign(
            {"aud": HOOK_AUD, "iss": ROTATING_ISS, "iat": NOW + 61, "exp": NOW + 361},
            headers={"jku": ROTATING_JKU, "kid": f"made-up-{n}"},
        )
        assert_bare_401(service.hook(bearer(made_up)))
    assert service.jwks_fetches() == 2


def test_host_header_cannot_choose_the_audience(service: Service, es384_key: SigningKey) -> None:
    """The audience comes from LNCDS_PUBLIC_URL: a token minted for another deployment of this
    service (same path, other host) is refused even when the caller sends that host."""
    staging = "https://staging.example.org"
    token = bearer(es384_key.sign({"aud": staging + HOOK_PATH}))
    assert_bare_401(service.hook(token, base_url=staging))

    ours = bearer(es384_key.sign({"aud": HOOK_AUD}))
    assert service.hook(ours, base_url=staging).status_code == 200


def test_auth_on_without_a_public_url_refuses_to_start(service_env: dict[str, str]) -> None:
    """Without LNCDS_PUBLIC_URL the audience would be taken from the request's Host header,
    which the caller chooses: a token for another host running this service would pass."""
    env = {k: v for k, v in service_env.items() if k != "LNCDS_PUBLIC_URL"}
    with pytest.raises(AuthConfigError, match="LNCDS_PUBLIC_URL"):
        config_from_env(env)


def test_auth_off_needs_no_public_url(service_env: dict[str, str]) -> None:
    env = {k: v for k, v in service_env.items() if k != "LNCDS_PUBLIC_URL"}
    assert config_from_env(env | {"LNCDS_AUTH": "off"}).authenticator is None
