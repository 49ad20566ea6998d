"""The demo EHR's own JWT issuer: how the demo page signs its hook calls when auth is on.

An EHR signs each CDS Hooks call with its private key (CDS Hooks 2.0 "Trusting CDS Clients"):
a short-lived JWT whose `aud` is the service endpoint, with `iss`, `sub`, `iat`, `exp`, a fresh
`jti`, and the public key published as a JWK Set (`jku`). The demo EHR does the same, on the
server side like a real EHR (the key never reaches the browser): the page asks
`POST /demo/ehr/token` for a token for one `/cds-services/...` path, then sends it as
`Authorization: Bearer`. The key is an ES384 (P-384) key made when the app starts, so it lives
only in memory; gunicorn's `preload_app` makes it before forking, so every worker shares it.

The service trusts the demo EHR only if the operator says so, in the trusted-issuers file, like
any other EHR (docs/views.md, "Demo EHR with authentication on"):

    {"http://127.0.0.1:8080/demo/ehr": {"jku": ["http://127.0.0.1:8080/demo/ehr/jwks.json"]}}
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES384"
SUBJECT = "ln-cds-demo-ehr"
TOKEN_LIFETIME_SECONDS = 300
ISSUER_PATH = "/demo/ehr"
JWKS_PATH = "/demo/ehr/jwks.json"
TOKEN_PATH = "/demo/ehr/token"  # noqa: S105 - a URL path, not a secret

# The only audiences the demo EHR signs for: a service's hook and feedback endpoints.
_SIGNABLE_PATH = re.compile(r"/cds-services/[A-Za-z0-9._-]{1,64}(/feedback)?")


def signable_path(path: object) -> str | None:
    """`path` if the demo EHR may sign a call to it (a hook or feedback endpoint), else None."""
    if isinstance(path, str) and _SIGNABLE_PATH.fullmatch(path):
        return path
    return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class DemoEhrIssuer:
    """One signing key and its JWK Set; `sign` makes a CDS Hooks client JWT."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: Mapping[str, Any] = field(compare=False)  # with kid, alg and use

    @classmethod
    def generate(cls) -> DemoEhrIssuer:
        """A fresh P-384 key; its kid is the RFC 7638 thumbprint of the public key."""
        key = ec.generate_private_key(ec.SECP384R1())
        public: dict[str, Any] = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        members = {name: public[name] for name in ("crv", "kty", "x", "y")}
        canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
        kid = _b64url(hashlib.sha256(canonical).digest())
        public.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
        return cls(private_key=key, kid=kid, public_jwk=public)

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set served at `jku` (no private member, ever)."""
        return {"keys": [dict(self.public_jwk)]}

    def sign(self, *, issuer: str, audience: str, jku: str, now: float | None = None) -> str:
        """A JWT for one call to `audience` (the endpoint URL the service checks as `aud`)."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": issuer,
            "sub": SUBJECT,
            "aud": audience,
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME_SECONDS,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.kid, "jku": jku, "typ": "JWT"}
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers=headers)

    def __repr__(self) -> str:  # never print the private key
        return f"DemoEhrIssuer(kid={self.kid!r})"
