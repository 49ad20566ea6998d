"""The authentication hook point: fail closed, called with the endpoint URL as audience."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Request

from cds.web.errors import AuthenticationFailedError
from cds.web.security import authenticator_from_env
from tests.auth.tokens import ISS, SigningKey, jwk_set
from tests.service.conftest import SERVICE_URL, hook_body, load_prefetch

PUBLIC_URL = "https://cds.example.org"


@pytest.fixture(scope="module")
def es384_key() -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP384R1()), kid="ehr-es384-1", alg="ES384")


def test_auth_on_without_an_authenticator_refuses_every_hook_call(make_app: Any) -> None:
    client = make_app(auth=True, authenticator=None).test_client()
    response = client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_authenticator_sees_the_request_and_the_endpoint_audience(make_app: Any) -> None:
    seen: list[tuple[str | None, str]] = []

    def authenticator(request: Request, audience: str) -> None:
        seen.append((request.headers.get("Authorization"), audience))

    client = make_app(auth=True, authenticator=authenticator).test_client()
    response = client.post(
        SERVICE_URL, json=hook_body(load_prefetch()), headers={"Authorization": "Bearer jwt"}
    )
    assert response.status_code == 200
    assert seen == [("Bearer jwt", "http://localhost/cds-services/lupus-nephritis")]


def test_audience_uses_the_public_url_behind_a_proxy(make_app: Any) -> None:
    audiences: list[str] = []
    client = make_app(
        auth=True,
        authenticator=lambda request, audience: audiences.append(audience),
        public_url="https://cds.example.org/ln/",
    ).test_client()
    client.post(SERVICE_URL, json=hook_body(load_prefetch()))
    assert audiences == ["https://cds.example.org/ln/cds-services/lupus-nephritis"]


def test_refused_caller_gets_401_without_detail_before_the_body_is_read(make_app: Any) -> None:
    def refuse(request: Request, audience: str) -> None:
        raise AuthenticationFailedError()

    client = make_app(auth=True, authenticator=refuse).test_client()
    response = client.post(SERVICE_URL, data=b"not even json", content_type="application/json")
    assert response.status_code == 401
    assert response.get_json()["issue"][0]["diagnostics"] == "authentication required"


def test_auth_off_needs_no_authenticator(make_app: Any) -> None:
    client = make_app(auth=False, authenticator=None).test_client()
    assert client.post(SERVICE_URL, json=hook_body(load_prefetch())).status_code == 200


@pytest.fixture
def jwt_app(make_app: Any, tmp_path: Path, es384_key: SigningKey) -> Any:
    """The hook behind the real `cds.auth` verifier, trusting `ISS` with `es384_key`."""
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({ISS: {"jwks": jwk_set(es384_key)}}), "utf-8")
    authenticator = authenticator_from_env(
        {"LNCDS_TRUSTED_ISSUERS_FILE": str(issuers), "LNCDS_PUBLIC_URL": PUBLIC_URL}
    )
    return make_app(auth=True, authenticator=authenticator, public_url=PUBLIC_URL)


def _signed(key: SigningKey, **headers: Any) -> str:
    now = int(time.time())
    claims = {"aud": PUBLIC_URL + SERVICE_URL, "iat": now, "exp": now + 300}
    return "Bearer " + key.sign(claims, headers=headers)


def test_jwt_without_kid_is_a_bare_401_not_a_500(jwt_app: Any, es384_key: SigningKey) -> None:
    """CDS Hooks 2.0 requires `kid`: a token without it is refused like any bad token."""
    client = jwt_app.test_client()
    body = hook_body(load_prefetch())
    refused = client.post(
        SERVICE_URL, json=body, headers={"Authorization": _signed(es384_key, kid=None)}
    )
    assert refused.status_code == 401
    assert refused.get_json()["issue"][0]["diagnostics"] == "authentication required"
    accepted = client.post(SERVICE_URL, json=body, headers={"Authorization": _signed(es384_key)})
    assert accepted.status_code == 200
