"""Fetching an issuer's JWK Set: timeouts, no redirects, size cap, cache, stale-on-failure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
import responses
import time_machine

from cds.auth import AuthError, JwksFetcher
from tests.auth.tokens import JKU, NOW, SigningKey, jwk_set


@responses.activate(assert_all_requests_are_fired=True)
def test_fetch_uses_a_timeout_and_returns_usable_keys(es384_key: SigningKey) -> None:
    responses.get(JKU, json=jwk_set(es384_key))
    keys = JwksFetcher(timeout_seconds=3).keys(JKU)

    assert set(keys) == {es384_key.kid}
    assert getattr(responses.calls[0].request, "req_kwargs", {})["timeout"] == 3


@responses.activate
def test_redirect_is_not_followed() -> None:
    responses.get(JKU, status=302, headers={"Location": "https://elsewhere.example.net/k"})
    responses.get("https://elsewhere.example.net/k", json={"keys": []})

    with pytest.raises(AuthError, match="HTTP 302"):
        JwksFetcher().keys(JKU)
    assert [c.request.url for c in responses.calls] == [JKU]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": 500, "json": {}}, "HTTP 500"),
        ({"body": "not json"}, "not a usable JWK Set"),
        ({"json": {"keys": "nope"}}, "not a usable JWK Set"),
        ({"body": b"{" + b" " * 300_000 + b"}"}, "larger than"),
        ({"body": requests.ConnectTimeout()}, "ConnectTimeout"),
    ],
)
def test_bad_jwks_responses_are_refused(kwargs: dict[str, object], message: str) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(JKU, **kwargs)
        with pytest.raises(AuthError, match=message):
            JwksFetcher().keys(JKU)


def test_unusable_keys_in_a_fetched_set_are_skipped(es384_key: SigningKey) -> None:
    document = jwk_set(es384_key)
    document["keys"] += [
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        "not-an-object",
    ]
    with responses.RequestsMock() as rsps:
        rsps.get(JKU, json=document)
        assert set(JwksFetcher().keys(JKU)) == {es384_key.kid}


def test_duplicate_kid_in_a_fetched_set_is_unusable(
    es384_key: SigningKey, rs384_key: SigningKey
) -> None:
    twin = rs384_key.public_jwk(kid=es384_key.kid, alg="RS384")
    with responses.RequestsMock() as rsps:
        rsps.get(JKU, json={"keys": [es384_key.public_jwk(), twin, es384_key.public_jwk()]})
        assert dict(JwksFetcher().keys(JKU)) == {}


def test_cache_expires_and_failed_refetch_keeps_the_last_good_set(
    es384_key: SigningKey,
) -> None:
    fetcher = JwksFetcher(cache_seconds=100, min_refetch_seconds=10)
    with (
        responses.RequestsMock() as rsps,
        time_machine.travel(datetime.fromtimestamp(NOW, tz=UTC), tick=False) as clock,
    ):
        rsps.get(JKU, json=jwk_set(es384_key))
        rsps.get(JKU, status=503)
        assert set(fetcher.keys(JKU)) == {es384_key.kid}
        clock.shift(50)
        fetcher.keys(JKU)
        assert len(rsps.calls) == 1  # still fresh
        clock.shift(51)
        assert set(fetcher.keys(JKU)) == {es384_key.kid}  # refetch failed: stale set kept
        assert len(rsps.calls) == 2
        fetcher.keys(JKU)
        assert len(rsps.calls) == 2  # failure is not retried within min_refetch_seconds


def test_first_fetch_failure_is_not_retried_immediately() -> None:
    fetcher = JwksFetcher(min_refetch_seconds=60)
    with responses.RequestsMock() as rsps:
        rsps.get(JKU, status=500)
        with pytest.raises(AuthError, match="HTTP 500"):
            fetcher.keys(JKU)
        with pytest.raises(AuthError, match="not retrying yet"):
            fetcher.keys(JKU)
        assert len(rsps.calls) == 1
