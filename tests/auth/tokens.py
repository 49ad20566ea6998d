"""Test helpers: signing keys, their public JWKs, and tokens shaped like an EHR's.

Keys are generated per test session with `cryptography`; nothing here is a real credential.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISS = "https://ehr.example.org"
AUD = "https://cds.example.org/cds-services/ln-status"
JKU = "https://ehr.example.org/.well-known/jwks.json"
NOW = 1_741_953_600  # 2025-03-14T12:00:00Z, the frozen "now" of the JWT tests

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SigningKey:
    private: PrivateKey
    kid: str
    alg: str

    def public_jwk(self, **extra: Any) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": self.alg, **extra})
        return jwk

    def sign(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        """A token with valid default claims, overridden by `claims`, minus the `drop` names."""
        payload = standard_claims()
        payload.update(claims or {})
        for name in drop:
            payload.pop(name, None)
        header = {"typ": "JWT", "kid": self.kid, **(headers or {})}
        header = {k: v for k, v in header.items() if v is not None}
        return jwt.encode(payload, self.private, algorithm=self.alg, headers=header)


def standard_claims() -> dict[str, Any]:
    return {
        "iss": ISS,
        "aud": AUD,
        "iat": NOW,
        "exp": NOW + 300,
        "jti": str(uuid.uuid4()),
    }


def jwk_set(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.public_jwk() for k in keys]}


def write_issuers(path: Path, keys: Mapping[str, SigningKey]) -> Path:
    """Write a trusted-issuers file trusting each issuer's key (as a static JWK Set); `path`."""
    issuers = {iss: {"jwks": jwk_set(key)} for iss, key in keys.items()}
    path.write_text(json.dumps(issuers), encoding="utf-8")
    return path


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_parts(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """`base64url(header).base64url(payload)`: the JWS signing input, built by hand."""
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())


def bearer(token: str) -> str:
    return f"Bearer {token}"
