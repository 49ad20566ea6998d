"""Where the web edge meets `cds.auth`: the request authenticator and its audience.

The app calls `authenticate(request)` before anything else on every hook and feedback call.
Auth is on unless configuration says `LNCDS_AUTH=off`; when it is on and no authenticator is
configured, every such request is refused (fail closed). The JWT verifier itself lives in
`cds.auth`; `authenticator_from_env` adapts it to the `Authenticator` signature, notes the
verified token's `iss`, `tenant` and `jti` for the request's summary log line (never the
token), and exposes the replay cache's `ping()` to `/readyz`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flask import Request

from cds.config import Authenticator, Config
from cds.tracing import bounded, note
from cds.web.errors import AuthenticationFailedError

if TYPE_CHECKING:
    from cds.auth import JwtVerifier

log = logging.getLogger(__name__)


class JwtAuthenticator:
    """An `Authenticator` over `cds.auth.JwtVerifier`: 401 on any `AuthError`."""

    def __init__(self, verifier: JwtVerifier) -> None:
        from cds.auth import AuthError  # noqa: PLC0415 - only when auth is on

        self._verifier = verifier
        self._auth_error = AuthError

    def __call__(self, request: Request, audience: str) -> None:
        try:
            token = self._verifier.verify(request.headers.get("Authorization"), audience=audience)
        except self._auth_error as error:
            log.info("caller not authenticated: %s", error.reason)
            raise AuthenticationFailedError() from None
        # claims of a verified token only, bounded: `tenant` and `jti` are the caller's choice
        note(iss=bounded(token.iss), tenant=bounded(token.tenant), jti=bounded(token.jti))

    def ping(self) -> None:
        """Readiness: raises when the replay cache (e.g. Redis) cannot be used."""
        self._verifier.ping()


def authenticator_from_env(environ: Mapping[str, str]) -> Authenticator | None:
    """`cds.auth`'s JWT verifier as an `Authenticator` (None when the env turns auth off)."""
    from cds.auth import verifier_from_env  # noqa: PLC0415 - only when auth is on

    verifier = verifier_from_env(environ)
    if verifier is None:
        return None
    return JwtAuthenticator(verifier)


def audience_for(request: Request, config: Config) -> str:
    """The URL the caller's JWT must name as `aud`: this endpoint, as the EHR calls it.

    With `LNCDS_PUBLIC_URL` set (production behind a proxy) it is that base plus the path;
    otherwise the URL the request arrived at.
    """
    if config.public_url:
        return config.public_url.rstrip("/") + request.path
    return request.base_url


def authenticate(request: Request, config: Config) -> None:
    if not config.auth:
        return
    if config.authenticator is None:
        raise AuthenticationFailedError()
    config.authenticator(request, audience_for(request, config))
