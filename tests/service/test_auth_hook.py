"""The authentication hook point: fail closed, called with the endpoint URL as audience."""

from __future__ import annotations

from typing import Any

from flask import Request

from cds.web.errors import AuthenticationFailedError
from tests.service.conftest import SERVICE_URL, hook_body, load_prefetch


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
