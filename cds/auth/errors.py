"""Why a token or the auth configuration was refused.

`AuthError.reason` is for the service log only: the web edge answers every `AuthError` with a
bare 401 so that a caller probing the endpoint learns nothing about which check failed. The
reason never contains the token itself.
"""

from __future__ import annotations


class AuthError(Exception):
    """A request's bearer token was not accepted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayCacheUnavailableError(AuthError):
    """The replay cache could not be asked, so the token cannot be proven fresh.

    A subclass of `AuthError` so that it fails closed (401) by default; a web edge that wants to
    tell the EHR "try again" may map it to 503 instead.
    """


class AuthConfigError(Exception):
    """The auth configuration is unusable; raised at start-up, never per request."""
