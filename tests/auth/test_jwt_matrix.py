"""The CDS Hooks JWT checks, one behaviour per test: what is accepted and what gets a 401."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cds.auth import AuthError, JwtVerifier, VerifiedToken
from tests.auth.tokens import (
    AUD,
    ISS,
    JKU,
    NOW,
    SigningKey,
    b64url,
    bearer,
    jwk_set,
    standard_claims,
    unsigned_parts,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

VerifierFactory = Callable[..., JwtVerifier]


def rejected(verifier: JwtVerifier, header: str | None, audience: str = AUD) -> str:
    with pytest.raises(AuthError) as info:
        verifier.verify(header, audience)
    return info.value.reason


@pytest.mark.parametrize("key_name", ["es384_key", "rs384_key"])
def test_valid_token_signed_with_default_algorithm_is_accepted(
    request: pytest.FixtureRequest, make_verifier: VerifierFactory, key_name: str
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    verifier = make_verifier(key)
    token = key.sign({"jti": "jti-1", "sub": "ehr-client", "tenant": "hospital-a"})

    assert verifier.verify(bearer(token), AUD) == VerifiedToken(
        iss=ISS, sub="ehr-client", tenant="hospital-a", jti="jti-1", exp=NOW + 300
    )


def test_bearer_scheme_is_case_insensitive(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    assert verifier.verify("bearer " + es384_key.sign(), AUD).iss == ISS


@pytest.mark.parametrize(
    ("exp_offset", "accepted"),
    [(-61, False), (-3600, False), (-30, True)],
    ids=["expired-beyond-60s-skew", "expired-an-hour-ago", "expired-within-skew"],
)
def test_expired_token_is_rejected_beyond_clock_skew(
    make_verifier: VerifierFactory, es384_key: SigningKey, exp_offset: int, accepted: bool
) -> None:
    verifier = make_verifier(es384_key)
    token = bearer(es384_key.sign({"iat": NOW - 200, "exp": NOW + exp_offset}))
    if accepted:
        assert verifier.verify(token, AUD).exp == NOW + exp_offset
    else:
        assert rejected(verifier, token) == "token expired"


@pytest.mark.parametrize(
    "claims",
    [{"nbf": NOW + 120}, {"iat": NOW + 120, "exp": NOW + 400}],
    ids=["nbf-in-future", "iat-in-future"],
)
def test_token_not_yet_valid_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, claims: dict[str, int]
) -> None:
    verifier = make_verifier(es384_key)
    assert rejected(verifier, bearer(es384_key.sign(claims))) == "token not yet valid"


def test_nbf_within_clock_skew_is_accepted(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    assert verifier.verify(bearer(es384_key.sign({"nbf": NOW + 30})), AUD).iss == ISS


@pytest.mark.parametrize(
    "audience",
    [
        "https://cds.example.org/cds-services/other-service",
        AUD + "/",
        "https://cds.example.org/cds-services",
        AUD.replace("https", "http"),
    ],
)
def test_token_for_another_endpoint_url_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, audience: str
) -> None:
    verifier = make_verifier(es384_key)
    token = bearer(es384_key.sign({"aud": audience}))
    assert rejected(verifier, token) == "token aud is not this endpoint"


def test_aud_list_containing_the_endpoint_is_accepted(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    token = es384_key.sign({"aud": ["https://other.example.org/cds-services/x", AUD]})
    assert verifier.verify(bearer(token), AUD).iss == ISS


def test_aud_list_without_the_endpoint_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    token = es384_key.sign({"aud": ["https://other.example.org/a", "https://other.example.org/b"]})
    assert rejected(verifier, bearer(token)) == "token aud is not this endpoint"


def test_untrusted_issuer_is_rejected_even_with_a_known_key(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    token = es384_key.sign({"iss": "https://evil.example.org"})
    assert rejected(verifier, bearer(token)) == "iss 'https://evil.example.org' is not trusted"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_alg_none_token_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, alg: str
) -> None:
    verifier = make_verifier(es384_key)
    token = unsigned_parts({"alg": alg, "typ": "JWT", "kid": es384_key.kid}, standard_claims())
    assert rejected(verifier, bearer(token + ".")) == f"alg {alg!r} is never accepted"


@pytest.mark.parametrize("hmac_alg", ["HS256", "HS384"])
@pytest.mark.parametrize("key_name", ["es384_key", "rs384_key"])
def test_hmac_token_keyed_with_the_public_key_is_rejected(
    request: pytest.FixtureRequest, make_verifier: VerifierFactory, key_name: str, hmac_alg: str
) -> None:
    """The algorithm-confusion attack: HMAC 'signed' with the EHR's public key as the secret."""
    key: SigningKey = request.getfixturevalue(key_name)
    verifier = make_verifier(key)
    public_pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256 if hmac_alg == "HS256" else hashlib.sha384
    for secret in (public_pem, json.dumps(key.public_jwk()).encode()):
        signing_input = unsigned_parts(
            {"alg": hmac_alg, "typ": "JWT", "kid": key.kid}, standard_claims()
        )
        signature = hmac.new(secret, signing_input.encode(), digest).digest()
        token = signing_input + "." + b64url(signature)
        assert rejected(verifier, bearer(token)) == f"alg {hmac_alg!r} is never accepted"


def test_es256_is_rejected_unless_configured(
    make_verifier: VerifierFactory, es256_key: SigningKey
) -> None:
    token = bearer(es256_key.sign())
    assert rejected(make_verifier(es256_key), token) == "alg 'ES256' is not allowed"

    configured = make_verifier(es256_key, algorithms=frozenset({"ES384", "ES256"}))
    assert configured.verify(token, AUD).iss == ISS


def test_key_of_another_type_than_the_alg_is_not_used(
    make_verifier: VerifierFactory, es384_key: SigningKey, rs384_key: SigningKey
) -> None:
    """A kid naming an RSA key cannot verify an ES384 token (key/algorithm binding)."""
    verifier = make_verifier(rs384_key)
    token = es384_key.sign(headers={"kid": rs384_key.kid})
    assert rejected(verifier, bearer(token)) == f"kid {rs384_key.kid!r} is not a key for ES384"


def test_signature_by_another_key_under_a_known_kid_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    impostor = SigningKey(ec.generate_private_key(ec.SECP384R1()), kid=es384_key.kid, alg="ES384")
    verifier = make_verifier(es384_key)
    assert rejected(verifier, bearer(impostor.sign())) == "token signature invalid"


def test_tampered_payload_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    header, _, signature = es384_key.sign().split(".")
    forged = standard_claims() | {"sub": "someone-else"}
    payload = b64url(json.dumps(forged).encode())
    token = f"{header}.{payload}.{signature}"
    assert rejected(verifier, bearer(token)) == "token signature invalid"


def test_token_without_kid_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    token = es384_key.sign(headers={"kid": None})
    assert rejected(verifier, bearer(token)) == "token header has no kid"


def test_token_with_typ_other_than_jwt_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    token = es384_key.sign(headers={"typ": "at+jwt"})
    assert rejected(verifier, bearer(token)) == "typ 'at+jwt' is not JWT"


@responses.activate(assert_all_requests_are_fired=True)
def test_unknown_kid_refetches_jwks_once_then_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, rs384_key: SigningKey
) -> None:
    responses.get(JKU, json=jwk_set(rs384_key))
    verifier = make_verifier(issuer={"jku": [JKU]})
    token = es384_key.sign(headers={"jku": JKU})

    assert rejected(verifier, bearer(token)) == f"kid {es384_key.kid!r} unknown for {ISS}"
    assert len(responses.calls) == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_rotated_key_is_found_by_the_one_refetch(
    make_verifier: VerifierFactory, es384_key: SigningKey, rs384_key: SigningKey
) -> None:
    responses.get(JKU, json=jwk_set(rs384_key))
    responses.get(JKU, json=jwk_set(rs384_key, es384_key))
    verifier = make_verifier(issuer={"jku": [JKU]})
    assert verifier.verify(bearer(rs384_key.sign(headers={"jku": JKU})), AUD).iss == ISS

    assert verifier.verify(bearer(es384_key.sign(headers={"jku": JKU})), AUD).iss == ISS
    assert len(responses.calls) == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_cached_jwks_serves_later_tokens_without_fetching(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    responses.get(JKU, json=jwk_set(es384_key))
    verifier = make_verifier(issuer={"jku": [JKU]})
    for _ in range(3):
        assert verifier.verify(bearer(es384_key.sign(headers={"jku": JKU})), AUD).iss == ISS
    assert len(responses.calls) == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_unknown_kids_cannot_make_the_service_hammer_the_jwks_url(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    responses.get(JKU, json=jwk_set(es384_key))
    verifier = make_verifier(issuer={"jku": [JKU]}, min_refetch_seconds=60)
    for n in range(5):
        token = es384_key.sign(headers={"jku": JKU, "kid": f"made-up-{n}"})
        rejected(verifier, bearer(token))
    assert len(responses.calls) == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_token_without_jku_uses_the_issuers_allow_listed_jwks(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    responses.get(JKU, json=jwk_set(es384_key))
    verifier = make_verifier(issuer={"jku": [JKU]})
    assert verifier.verify(bearer(es384_key.sign()), AUD).iss == ISS


@responses.activate(assert_all_requests_are_fired=True)
def test_jku_not_on_the_allow_list_is_never_fetched(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    attacker_jku = "https://attacker.example.net/jwks.json"
    verifier = make_verifier(issuer={"jku": [JKU]})
    token = es384_key.sign(headers={"jku": attacker_jku})

    reason = rejected(verifier, bearer(token))

    assert reason == f"jku {attacker_jku!r} is not allow-listed for {ISS}"
    assert len(responses.calls) == 0


def test_jku_is_irrelevant_when_the_kid_is_a_configured_key(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    """Trust rests on our configured key; the header's URL is not even looked at."""
    verifier = make_verifier(es384_key)
    token = es384_key.sign(headers={"jku": "https://anywhere.example.net/jwks.json"})
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        assert verifier.verify(bearer(token), AUD).iss == ISS
        assert len(rsps.calls) == 0


def test_replayed_jti_is_rejected(make_verifier: VerifierFactory, es384_key: SigningKey) -> None:
    verifier = make_verifier(es384_key)
    token = bearer(es384_key.sign({"jti": "once-only"}))
    assert verifier.verify(token, AUD).jti == "once-only"

    assert rejected(verifier, token) == "jti 'once-only' replayed"


def test_new_token_reusing_a_jti_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key)
    verifier.verify(bearer(es384_key.sign({"jti": "same"})), AUD)
    again = es384_key.sign({"jti": "same", "exp": NOW + 200})
    assert rejected(verifier, bearer(again)) == "jti 'same' replayed"


def test_rejected_token_does_not_use_up_its_jti(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    """Only accepted tokens are remembered: a bad call cannot burn a good token's jti."""
    verifier = make_verifier(es384_key)
    token = bearer(es384_key.sign({"jti": "precious"}))
    rejected(verifier, token, audience="https://cds.example.org/cds-services/other")
    assert verifier.verify(token, AUD).jti == "precious"


@pytest.mark.parametrize("claim", ["jti", "exp", "iat", "aud"])
def test_token_missing_a_required_claim_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, claim: str
) -> None:
    verifier = make_verifier(es384_key)
    token = bearer(es384_key.sign(drop=(claim,)))
    assert rejected(verifier, token) == f"token lacks claim {claim}"


def test_empty_jti_is_rejected(make_verifier: VerifierFactory, es384_key: SigningKey) -> None:
    verifier = make_verifier(es384_key)
    assert rejected(verifier, bearer(es384_key.sign({"jti": ""}))) == "token jti is empty"


def test_token_living_longer_than_the_maximum_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(es384_key, max_token_lifetime_seconds=600)
    token = bearer(es384_key.sign({"exp": NOW + 601}))
    assert rejected(verifier, token) == "token lifetime 601s exceeds the configured maximum"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJFUzM4NCJ9",
        "Bearer " + "x" * 20_000,
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer    ",
        "eyJhbGciOiJFUzM4NCJ9.e30.sig",
    ],
    ids=[
        "not-a-jwt",
        "three-garbage-segments",
        "header-only",
        "oversized",
        "basic-auth",
        "scheme-only",
        "blank-token",
        "no-scheme",
    ],
)
def test_garbage_authorization_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, header: str
) -> None:
    verifier = make_verifier(es384_key)
    rejected(verifier, header)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_authorization_header_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey, header: str | None
) -> None:
    assert rejected(make_verifier(es384_key), header) == "no Authorization header"


def test_extra_claims_are_tolerated(make_verifier: VerifierFactory, es384_key: SigningKey) -> None:
    verifier = make_verifier(es384_key)
    token = es384_key.sign(
        {
            "sub": "client-42",
            "tenant": "hospital-b",
            "nbf": NOW - 10,
            "fhirUser": "Practitioner/1",
            "scope": ["a", "b"],
            "nested": {"x": [1, 2, {"y": None}]},
        },
        headers={"x-extra": "tolerated"},
    )
    verified = verifier.verify(bearer(token), AUD)
    assert (verified.sub, verified.tenant) == ("client-42", "hospital-b")


def test_subject_outside_the_issuers_subject_allow_list_is_rejected(
    make_verifier: VerifierFactory, es384_key: SigningKey
) -> None:
    verifier = make_verifier(issuer={"jwks": jwk_set(es384_key), "subjects": ["our-client"]})
    assert verifier.verify(bearer(es384_key.sign({"sub": "our-client"})), AUD).sub == "our-client"
    reason = rejected(verifier, bearer(es384_key.sign({"sub": "other-client"})))
    assert reason == f"sub 'other-client' is not allowed for {ISS}"


@responses.activate
def test_token_never_appears_in_logs(
    make_verifier: VerifierFactory,
    es384_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    responses.get(JKU, json=jwk_set())
    caplog.set_level(logging.DEBUG)
    verifier = make_verifier(issuer={"jku": [JKU]})
    tokens = [
        es384_key.sign(headers={"jku": JKU}),
        es384_key.sign({"aud": "https://elsewhere.example.org"}, headers={"jku": JKU}),
    ]
    for token in tokens:
        reason = rejected(verifier, bearer(token))
        assert token not in reason
    for token in tokens:
        for part in token.split("."):
            assert part not in caplog.text
