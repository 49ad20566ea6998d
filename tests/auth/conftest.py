"""Fixtures for the auth tests: session-wide signing keys, frozen time, settings builders."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cds.auth import AuthSettings, InMemoryReplayCache, JwtVerifier
from cds.auth.jwks import JwksFetcher
from cds.auth.settings import parse_trusted_issuers
from tests.auth.tokens import ISS, NOW, SigningKey, jwk_set


@pytest.fixture(scope="session")
def es384_key() -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP384R1()), kid="ehr-es384-1", alg="ES384")


@pytest.fixture(scope="session")
def rs384_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(private, kid="ehr-rs384-1", alg="RS384")


@pytest.fixture(scope="session")
def es256_key() -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP256R1()), kid="ehr-es256-1", alg="ES256")


@pytest.fixture
def frozen_now() -> Iterator[None]:
    """Freeze the clock at `NOW` (PyJWT and the replay cache both read it)."""
    with time_machine.travel(datetime.fromtimestamp(NOW, tz=UTC), tick=False):
        yield


SettingsFactory = Callable[..., AuthSettings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings trusting `ISS` with the given issuer entry (default: the static keys given)."""

    def factory(
        *keys: SigningKey, issuer: dict[str, Any] | None = None, **overrides: Any
    ) -> AuthSettings:
        entry = issuer if issuer is not None else {"jwks": jwk_set(*keys)}
        issuers = parse_trusted_issuers({ISS: entry}, base_dir=tmp_path)
        return AuthSettings(issuers=types.MappingProxyType(dict(issuers)), **overrides)

    return factory


@pytest.fixture
def make_verifier(make_settings: SettingsFactory) -> Callable[..., JwtVerifier]:
    """A verifier with its own in-memory replay cache and a JWKS fetcher without rate limit."""

    def factory(*keys: SigningKey, min_refetch_seconds: float = 0, **kwargs: Any) -> JwtVerifier:
        settings = make_settings(*keys, **kwargs)
        return JwtVerifier(
            settings,
            replay_cache=InMemoryReplayCache(),
            jwks_fetcher=JwksFetcher(timeout_seconds=2, min_refetch_seconds=min_refetch_seconds),
        )

    return factory
