"""Verify the bearer JWT an EHR sends with every call (CDS Hooks 2.0 §Trusting CDS Clients).

Order matters: everything that can be decided without a key (header shape, algorithm, `kid`,
trusted `iss`) is decided first, so a forged token never reaches key lookup or a network fetch,
and `none`/HMAC tokens never reach a key at all (the classic "HS256 signed with the public key"
confusion needs the verifier to hand an RSA/EC public key to an HMAC routine). The `jti` is
recorded last, only for tokens that passed every other check, so junk cannot fill the cache.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from cds.auth.errors import AuthConfigError, AuthError
from cds.auth.jwks import JwksFetcher
from cds.auth.keys import PublicJwk
from cds.auth.replay import InMemoryReplayCache, RedisReplayCache, ReplayCache, replay_key
from cds.auth.settings import AuthSettings, IssuerConfig

log = logging.getLogger(__name__)

MAX_TOKEN_CHARS = 16 * 1024
AUTH_DISABLED_WARNING = (
    "AUTHENTICATION IS OFF (LNCDS_AUTH=off): any caller can invoke the CDS services. "
    "Use this only for local development, never with real patient data."
)


@dataclass(frozen=True)
class VerifiedToken:
    """The claims worth keeping from an accepted token (safe to log: no secrets, no PHI)."""

    iss: str
    sub: str | None
    tenant: str | None
    jti: str
    exp: int


class JwtVerifier:
    """Thread-safe; build one per process at start-up and call `verify` per request."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        replay_cache: ReplayCache | None = None,
        jwks_fetcher: JwksFetcher | None = None,
    ) -> None:
        if not settings.enabled:
            raise AuthConfigError("auth is off (LNCDS_AUTH=off): there is nothing to verify")
        if not settings.issuers:
            raise AuthConfigError("no trusted issuers configured")
        self._settings = settings
        if replay_cache is None:
            replay_cache = (
                RedisReplayCache(settings.redis_url)
                if settings.redis_url
                else InMemoryReplayCache()
            )
        self.replay_cache: ReplayCache = replay_cache
        self._fetcher = jwks_fetcher or JwksFetcher(
            timeout_seconds=settings.jwks_timeout_seconds,
            cache_seconds=settings.jwks_cache_seconds,
            min_refetch_seconds=settings.jwks_min_refetch_seconds,
        )

    def verify(self, authorization_header: str | None, audience: str) -> VerifiedToken:
        """Accept the request's token for the endpoint URL `audience`, or raise `AuthError`."""
        token = _bearer_token(authorization_header)
        header = _unverified_header(token)
        alg = self._check_algorithm(header.get("alg"))
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise AuthError(f"typ {_short(typ)} is not JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token header has no kid")
        iss = _unverified_claims(token).get("iss")
        if not isinstance(iss, str):
            raise AuthError("token has no iss")
        issuer = self._settings.issuers.get(iss)
        if issuer is None:
            raise AuthError(f"iss {_short(iss)} is not trusted")
        key = self._find_key(issuer, kid, alg, header.get("jku"))
        claims = self._decode(token, key, alg, audience, iss)
        return self._accept(issuer, claims)

    def ping(self) -> None:
        """Readiness: raise `ReplayCacheUnavailableError` when the replay cache cannot be used."""
        self.replay_cache.ping()

    def _check_algorithm(self, alg: object) -> str:
        if not isinstance(alg, str):
            raise AuthError("token header has no alg")
        # Spelled out although the allow-list already excludes them: these two must never pass,
        # whatever the configuration says.
        if alg.lower() == "none" or alg.upper().startswith("HS"):
            raise AuthError(f"alg {_short(alg)} is never accepted")
        if alg not in self._settings.algorithms:
            raise AuthError(f"alg {_short(alg)} is not allowed")
        return alg

    def _find_key(self, issuer: IssuerConfig, kid: str, alg: str, jku: object) -> PublicJwk:
        key = issuer.keys.get(kid)
        if key is None:
            if jku is not None:
                if not isinstance(jku, str) or jku not in issuer.jku:
                    raise AuthError(f"jku {_short(jku)} is not allow-listed for {issuer.iss}")
                urls: tuple[str, ...] = (jku,)
            else:
                # No jku in the token: the issuer's allow-listed URLs are its out-of-band JWKS.
                urls = issuer.jku
            for url in urls:
                keys = self._fetcher.keys(url)
                if kid not in keys:  # perhaps rotated since we cached the set: ask once more
                    keys = self._fetcher.keys(url, refresh=True)
                key = keys.get(kid)
                if key is not None:
                    break
        if key is None:
            raise AuthError(f"kid {_short(kid)} unknown for {issuer.iss}")
        if not key.accepts(alg):
            raise AuthError(f"kid {_short(kid)} is not a key for {alg}")
        return key

    def _decode(
        self, token: str, key: PublicJwk, alg: str, audience: str, iss: str
    ) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                leeway=self._settings.clock_skew_seconds,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"token lacks claim {exc.claim}") from None
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not yet valid") from None
        except jwt.InvalidAudienceError:
            raise AuthError("token aud is not this endpoint") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature invalid") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {type(exc).__name__}") from None
        return claims

    def _accept(self, issuer: IssuerConfig, claims: Mapping[str, Any]) -> VerifiedToken:
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("token jti is empty")
        exp = int(claims["exp"])
        lifetime = exp - int(claims["iat"])
        if lifetime > self._settings.max_token_lifetime_seconds:
            raise AuthError(f"token lifetime {lifetime}s exceeds the configured maximum")
        sub = claims.get("sub")
        sub = sub if isinstance(sub, str) else None
        if issuer.subjects is not None and sub not in issuer.subjects:
            raise AuthError(f"sub {_short(sub)} is not allowed for {issuer.iss}")
        tenant = claims.get("tenant")
        # The token may still be accepted until exp + skew: remember its jti that long.
        ttl = math.ceil(exp + self._settings.clock_skew_seconds - time.time())
        if not self.replay_cache.add_if_absent(replay_key(issuer.iss, jti), max(1, ttl)):
            raise AuthError(f"jti {_short(jti)} replayed")
        return VerifiedToken(
            iss=issuer.iss,
            sub=sub,
            tenant=tenant if isinstance(tenant, str) else None,
            jti=jti,
            exp=exp,
        )


def verifier_from_env(env: Mapping[str, str]) -> JwtVerifier | None:
    """The verifier the environment asks for, or None (with a loud warning) when auth is off.

    With auth on, `LNCDS_PUBLIC_URL` is required: the audience every token must name is that
    base URL plus the endpoint's path. Without it the web edge would take the base from the
    request's Host header, which the caller chooses, so a token minted for another host running
    this service (say, a staging deployment trusted by the same EHR) would be accepted here.
    """
    settings = AuthSettings.from_env(env)
    if not settings.enabled:
        log.warning(AUTH_DISABLED_WARNING)
        return None
    if not env.get("LNCDS_PUBLIC_URL", "").strip():
        raise AuthConfigError(
            "LNCDS_PUBLIC_URL is required while LNCDS_AUTH is on: it is the base of the JWT "
            "audience (the URL the EHR calls), which must not come from the Host header"
        )
    return JwtVerifier(settings)


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header:
        raise AuthError("no Authorization header")
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthError("Authorization scheme is not Bearer")
    token = token.strip()
    if not token:
        raise AuthError("empty bearer token")
    if len(token) > MAX_TOKEN_CHARS:
        raise AuthError("bearer token too long")
    return token


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        header: dict[str, Any] = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError("bearer token is not a JWS compact JWT") from None
    return header


def _unverified_claims(token: str) -> dict[str, Any]:
    """Claims read without verification, only to pick the issuer whose keys will verify them."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AuthError("token payload is not a JSON object") from None
    return claims


def _short(value: object) -> str:
    """A log-safe rendering of an attacker-chosen header or claim value."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
