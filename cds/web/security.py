"""Where the web edge meets `cds.auth`: the request authenticator and its audience.

The app calls `authenticate(request)` before anything else on every hook and feedback call.
Auth is on unless configuration says `LNCDS_AUTH=off`; when it is on and no authenticator is
configured, every such request is refused (fail closed). The JWT verifier itself lives in
`cds.auth`; `authenticator_from_env` adapts it to the `Authenticator` signature.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Request

from cds.config import Authenticator, Config
from cds.web.errors import AuthenticationFailedError

log = logging.getLogger(__name__)


def authenticator_from_env(environ: Mapping[str, str]) -> Authenticator | None:
    """`cds.auth`'s JWT verifier as an `Authenticator` (None when the env turns auth off)."""
    from cds.auth import AuthError, verifier_from_env  # noqa: PLC0415 - only when auth is on

    verifier = verifier_from_env(environ)
    if verifier is None:
        return None

    def authenticate(request: Request, audience: str) -> None:
        try:
            verifier.verify(request.headers.get("Authorization"), audience=audience)
        except AuthError as error:
            log.info("caller not authenticated: %s", error.reason)
            raise AuthenticationFailedError() from None

    return authenticate


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
