"""Public JSON Web Keys, parsed once and checked against the algorithm a token claims.

Only public RSA and EC signing keys are kept. A JWK that carries private material (`d`) is
refused outright rather than silently reduced to its public half: a configured private key is a
leak to fix, not a key to use. HMAC (`oct`) keys are never kept, so a token signed with a shared
secret can never find a key to verify against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

MIN_RSA_BITS = 2048

# JWS algorithm → (JWK kty, EC curve name or None).
ALGORITHM_KEY_TYPES: Mapping[str, tuple[str, str | None]] = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
}

_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class KeyRejectedError(ValueError):
    """A JWK is not a usable public signing key (the message says why, without key material)."""


PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class PublicJwk:
    """One public signing key from a JWK Set, addressed by its `kid`."""

    kid: str
    kty: str
    crv: str | None
    alg: str | None
    key: PublicKey

    def accepts(self, alg: str) -> bool:
        """True when a token signed with `alg` may be verified with this key.

        Binds key to algorithm: an RSA key never verifies an ES token, a P-256 key never an
        ES384 token, and a key that names its `alg` only verifies that one.
        """
        expected = ALGORITHM_KEY_TYPES.get(alg)
        if expected is None:
            return False
        kty, crv = expected
        if self.kty != kty or (crv is not None and self.crv != crv):
            return False
        return self.alg is None or self.alg == alg


def parse_jwk(jwk: Mapping[str, Any]) -> PublicJwk:
    """Parse one JWK into a `PublicJwk`, or raise `KeyRejectedError`."""
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise KeyRejectedError("JWK without a kid")
    if _PRIVATE_MEMBERS & set(jwk):
        raise KeyRejectedError(f"JWK {kid!r} contains private key material")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise KeyRejectedError(f"JWK {kid!r} is not a signing key (use={use!r})")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        raise KeyRejectedError(f"JWK {kid!r} key_ops does not allow verify")
    alg = jwk.get("alg")
    if alg is not None and alg not in ALGORITHM_KEY_TYPES:
        raise KeyRejectedError(f"JWK {kid!r} has unsupported alg {alg!r}")
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            key = RSAAlgorithm.from_jwk(dict(jwk))
            if not isinstance(key, rsa.RSAPublicKey):
                raise KeyRejectedError(f"JWK {kid!r} is not an RSA public key")
            if key.key_size < MIN_RSA_BITS:
                raise KeyRejectedError(f"JWK {kid!r} RSA key shorter than {MIN_RSA_BITS} bits")
            return PublicJwk(kid=kid, kty="RSA", crv=None, alg=alg, key=key)
        if kty == "EC":
            crv = jwk.get("crv")
            if crv not in ("P-256", "P-384"):
                raise KeyRejectedError(f"JWK {kid!r} has unsupported curve {crv!r}")
            ec_key = ECAlgorithm.from_jwk(dict(jwk))
            if not isinstance(ec_key, ec.EllipticCurvePublicKey):
                raise KeyRejectedError(f"JWK {kid!r} is not an EC public key")
            return PublicJwk(kid=kid, kty="EC", crv=crv, alg=alg, key=ec_key)
    except (InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, KeyRejectedError):
            raise
        raise KeyRejectedError(f"JWK {kid!r} is malformed: {type(exc).__name__}") from None
    raise KeyRejectedError(f"JWK {kid!r} has unsupported kty {kty!r}")


def parse_jwk_set(document: object, *, strict: bool) -> dict[str, PublicJwk]:
    """Parse a JWK Set document (`{"keys": [...]}`) into keys by `kid`.

    `strict` (configured sets) turns any unusable key into `KeyRejectedError`, so a typo fails at
    start-up; fetched sets (`strict=False`) skip keys we cannot use, as a remote set may carry
    encryption keys or algorithms we do not accept alongside the one that signs for us.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise KeyRejectedError('a JWK Set must be an object with a "keys" array')
    keys: dict[str, PublicJwk] = {}
    ambiguous: set[str] = set()
    for raw in document["keys"]:
        try:
            if not isinstance(raw, Mapping):
                raise KeyRejectedError("JWK Set entry is not an object")
            parsed = parse_jwk(raw)
        except KeyRejectedError:
            if strict:
                raise
            continue
        if parsed.kid in keys or parsed.kid in ambiguous:
            # Two keys under one kid make "the key for this kid" ambiguous: use neither.
            if strict:
                raise KeyRejectedError(f"JWK Set has two keys with kid {parsed.kid!r}")
            keys.pop(parsed.kid, None)
            ambiguous.add(parsed.kid)
            continue
        keys[parsed.kid] = parsed
    return keys
