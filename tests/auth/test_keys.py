"""Which JWKs may verify which tokens: public signing keys only, bound to their algorithm."""

from __future__ import annotations

from typing import Any

import pytest

from cds.auth.keys import KeyRejectedError, parse_jwk, parse_jwk_set
from tests.auth.tokens import SigningKey


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"use": "enc"}, "not a signing key"),
        ({"key_ops": ["encrypt"]}, "key_ops does not allow verify"),
        ({"key_ops": "verify"}, "key_ops does not allow verify"),
        ({"alg": "HS384"}, "unsupported alg"),
        ({"crv": "P-521"}, "unsupported curve"),
        ({"kty": "OKP"}, "unsupported kty"),
        ({"x": "not-base64!"}, "malformed"),
        ({"kid": ""}, "without a kid"),
    ],
)
def test_unusable_ec_jwk_is_rejected(
    es384_key: SigningKey, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(KeyRejectedError, match=message):
        parse_jwk(es384_key.public_jwk(**changes))


def test_malformed_rsa_jwk_is_rejected(rs384_key: SigningKey) -> None:
    jwk = rs384_key.public_jwk()
    del jwk["n"]
    with pytest.raises(KeyRejectedError, match="malformed"):
        parse_jwk(jwk)


@pytest.mark.parametrize(
    ("key_name", "alg", "accepts"),
    [
        ("es384_key", "ES384", True),
        ("es384_key", "ES256", False),  # curve P-384 is not ES256's P-256
        ("es384_key", "RS384", False),
        ("es256_key", "ES256", True),
        ("es256_key", "ES384", False),
        ("rs384_key", "RS384", True),
        ("rs384_key", "RS256", False),  # the JWK says alg RS384
        ("rs384_key", "PS384", False),
        ("rs384_key", "HS384", False),
    ],
)
def test_key_accepts_only_its_own_algorithm(
    request: pytest.FixtureRequest, key_name: str, alg: str, accepts: bool
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    assert parse_jwk(key.public_jwk()).accepts(alg) is accepts


def test_rsa_key_without_alg_serves_both_rsa_algorithms(rs384_key: SigningKey) -> None:
    jwk = rs384_key.public_jwk()
    del jwk["alg"]
    parsed = parse_jwk(jwk)
    assert (parsed.accepts("RS256"), parsed.accepts("RS384"), parsed.accepts("ES384")) == (
        True,
        True,
        False,
    )


def test_configured_set_with_a_duplicate_kid_is_rejected(es384_key: SigningKey) -> None:
    document = {"keys": [es384_key.public_jwk(), es384_key.public_jwk()]}
    with pytest.raises(KeyRejectedError, match="two keys with kid"):
        parse_jwk_set(document, strict=True)


def test_configured_set_with_a_non_object_entry_is_rejected() -> None:
    with pytest.raises(KeyRejectedError, match="not an object"):
        parse_jwk_set({"keys": ["x"]}, strict=True)
