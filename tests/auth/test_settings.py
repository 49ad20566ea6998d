"""Auth configuration from the environment: defaults, the issuers file, and refusals at start-up."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm

from cds.auth import (
    AUTH_DISABLED_WARNING,
    AuthConfigError,
    AuthSettings,
    InMemoryReplayCache,
    JwtVerifier,
    RedisReplayCache,
    verifier_from_env,
)
from tests.auth.tokens import ISS, JKU, SigningKey, jwk_set


def issuers_file(tmp_path: Path, document: Any) -> dict[str, str]:
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps(document))
    return {"LNCDS_TRUSTED_ISSUERS_FILE": str(path)}


def test_defaults_allow_es384_and_rs384_with_60s_skew(
    tmp_path: Path, es384_key: SigningKey
) -> None:
    settings = AuthSettings.from_env(issuers_file(tmp_path, {ISS: {"jwks": jwk_set(es384_key)}}))

    assert settings.enabled
    assert settings.algorithms == frozenset({"ES384", "RS384"})
    assert settings.clock_skew_seconds == 60
    assert settings.max_token_lifetime_seconds == 600
    assert settings.redis_url is None
    assert set(settings.issuers[ISS].keys) == {es384_key.kid}


def test_environment_overrides_are_read(tmp_path: Path, es384_key: SigningKey) -> None:
    env = issuers_file(tmp_path, {ISS: {"jwks": jwk_set(es384_key)}}) | {
        "LNCDS_JWT_ALGORITHMS": "es384, RS384, ES256, RS256",
        "LNCDS_JWT_CLOCK_SKEW_SECONDS": "30",
        "LNCDS_JWT_MAX_LIFETIME_SECONDS": "3600",
        "LNCDS_REDIS_URL": "redis://127.0.0.1:6390/2",
        "LNCDS_JWKS_TIMEOUT_SECONDS": "2.5",
        "LNCDS_JWKS_CACHE_SECONDS": "120",
        "LNCDS_JWKS_MIN_REFETCH_SECONDS": "10",
    }
    settings = AuthSettings.from_env(env)

    assert settings.algorithms == frozenset({"ES384", "RS384", "ES256", "RS256"})
    assert (settings.clock_skew_seconds, settings.max_token_lifetime_seconds) == (30, 3600)
    assert settings.redis_url == "redis://127.0.0.1:6390/2"
    assert (settings.jwks_timeout_seconds, settings.jwks_cache_seconds) == (2.5, 120)
    assert settings.jwks_min_refetch_seconds == 10


@pytest.mark.parametrize("algorithms", ["HS256", "ES384,HS384", "none", "PS384", ","])
def test_hmac_none_and_unknown_algorithms_cannot_be_configured(
    tmp_path: Path, es384_key: SigningKey, algorithms: str
) -> None:
    env = issuers_file(tmp_path, {ISS: {"jwks": jwk_set(es384_key)}})
    with pytest.raises(AuthConfigError, match="LNCDS_JWT_ALGORITHMS"):
        AuthSettings.from_env(env | {"LNCDS_JWT_ALGORITHMS": algorithms})


def test_auth_on_without_an_issuers_file_refuses_to_start() -> None:
    with pytest.raises(AuthConfigError, match="LNCDS_TRUSTED_ISSUERS_FILE is required"):
        AuthSettings.from_env({})


@pytest.mark.parametrize("value", ["false", "0", "disabled", "yes"])
def test_auth_switch_accepts_only_on_or_off(value: str) -> None:
    with pytest.raises(AuthConfigError, match="LNCDS_AUTH"):
        AuthSettings.from_env({"LNCDS_AUTH": value})


def test_auth_off_needs_no_issuers_and_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    settings = AuthSettings.from_env({"LNCDS_AUTH": "off"})
    assert not settings.enabled
    with pytest.raises(AuthConfigError):
        JwtVerifier(settings)

    caplog.set_level(logging.WARNING)
    assert verifier_from_env({"LNCDS_AUTH": "off"}) is None
    assert AUTH_DISABLED_WARNING in caplog.text


def test_verifier_from_env_uses_redis_when_configured(
    tmp_path: Path, es384_key: SigningKey
) -> None:
    env = issuers_file(tmp_path, {ISS: {"jwks": jwk_set(es384_key)}}) | {
        "LNCDS_PUBLIC_URL": "https://cds.example.org"
    }
    local = verifier_from_env(env)
    shared = verifier_from_env(env | {"LNCDS_REDIS_URL": "redis://127.0.0.1:1/0"})

    assert local is not None
    assert isinstance(local.replay_cache, InMemoryReplayCache)
    assert shared is not None
    assert isinstance(shared.replay_cache, RedisReplayCache)


def test_jwks_file_is_resolved_next_to_the_issuers_file(
    tmp_path: Path, es384_key: SigningKey, rs384_key: SigningKey
) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ehr.json").write_text(json.dumps(jwk_set(es384_key, rs384_key)))
    env = issuers_file(tmp_path, {ISS: {"jwks_file": "keys/ehr.json", "jku": JKU}})

    issuer = AuthSettings.from_env(env).issuers[ISS]

    assert set(issuer.keys) == {es384_key.kid, rs384_key.kid}
    assert issuer.jku == (JKU,)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({}, "needs jwks_file, jwks or jku"),
        ({"jku": ["http://ehr.example.org/jwks.json"]}, "must be https"),
        ({"jku": ["file:///etc/passwd"]}, "must be https"),
        ({"jku": 7}, "jku must be a URL"),
        ({"jwks_file": "missing.json"}, "cannot read"),
        ({"jwks": {"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}}, "private key"),
        ({"jwks": {"keys": [{"kty": "EC", "crv": "P-384"}]}}, "without a kid"),
        ({"jwks": {"nokeys": []}}, '"keys" array'),
        ({"jwks_fle": "typo.json"}, "unknown field"),
        ({"jku": [JKU], "subjects": []}, "subjects must be a non-empty list"),
    ],
)
def test_bad_issuer_entries_fail_at_start_up(
    tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuthConfigError, match=message):
        AuthSettings.from_env(issuers_file(tmp_path, {ISS: entry}))


def test_configured_private_key_is_refused(tmp_path: Path, es384_key: SigningKey) -> None:
    """A pasted key *pair* (as some sandboxes publish) must not be silently accepted."""
    assert isinstance(es384_key.private, ec.EllipticCurvePrivateKey)
    pair = ECAlgorithm.to_jwk(es384_key.private, as_dict=True) | {"kid": "pair"}
    with pytest.raises(AuthConfigError, match="private key material"):
        AuthSettings.from_env(issuers_file(tmp_path, {ISS: {"jwks": {"keys": [pair]}}}))


def test_weak_rsa_key_is_refused(tmp_path: Path) -> None:
    weak = SigningKey(rsa.generate_private_key(65537, 1024), kid="weak", alg="RS384")  # noqa: S505 - the point
    with pytest.raises(AuthConfigError, match="shorter than 2048"):
        AuthSettings.from_env(issuers_file(tmp_path, {ISS: {"jwks": jwk_set(weak)}}))


def test_issuers_file_that_is_not_json_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "issuers.json"
    path.write_text("{not json")
    with pytest.raises(AuthConfigError, match="not JSON"):
        AuthSettings.from_env({"LNCDS_TRUSTED_ISSUERS_FILE": str(path)})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LNCDS_JWT_CLOCK_SKEW_SECONDS", "-1"),
        ("LNCDS_JWT_CLOCK_SKEW_SECONDS", "sixty"),
        ("LNCDS_JWT_MAX_LIFETIME_SECONDS", "0"),
        ("LNCDS_JWKS_TIMEOUT_SECONDS", "nan"),
    ],
)
def test_out_of_range_numbers_refuse_to_start(name: str, value: str) -> None:
    with pytest.raises(AuthConfigError, match=name):
        AuthSettings.from_env({"LNCDS_AUTH": "off", name: value})
