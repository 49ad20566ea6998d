"""Authentication of CDS Clients (EHRs) by the signed JWT they send with every call.

Plug-in for the web edge: build one `JwtVerifier` at start-up (`verifier_from_env(os.environ)`,
None when `LNCDS_AUTH=off`), then per request call
`verifier.verify(request.headers.get("Authorization"), audience=<exact endpoint URL>)`
and answer any `AuthError` with a bare 401 (log `error.reason`, never the header).
"""

from cds.auth.errors import AuthConfigError, AuthError, ReplayCacheUnavailableError
from cds.auth.jwks import JwksFetcher
from cds.auth.replay import InMemoryReplayCache, RedisReplayCache, ReplayCache
from cds.auth.settings import AuthSettings, IssuerConfig, load_trusted_issuers
from cds.auth.verifier import (
    AUTH_DISABLED_WARNING,
    JwtVerifier,
    VerifiedToken,
    verifier_from_env,
)

__all__ = [
    "AUTH_DISABLED_WARNING",
    "AuthConfigError",
    "AuthError",
    "AuthSettings",
    "InMemoryReplayCache",
    "IssuerConfig",
    "JwksFetcher",
    "JwtVerifier",
    "RedisReplayCache",
    "ReplayCache",
    "ReplayCacheUnavailableError",
    "VerifiedToken",
    "load_trusted_issuers",
    "verifier_from_env",
]
