"""SMART App Launch (EHR launch) client for the trend view, server-side, with PKCE S256.

The flow (SMART App Launch 2.x, "EHR launch"):

1. the EHR opens `/smart/launch?iss=…&launch=…`; `iss` must be on the FHIR allow-list;
2. `GET {iss}/.well-known/smart-configuration` gives the authorization and token endpoints;
3. the browser is sent to the authorization endpoint with `launch`, `aud=iss`, `state` and a
   PKCE S256 challenge (Authlib computes it from a fresh verifier);
4. `/smart/callback?code=…&state=…` exchanges the code (with the verifier) for a token whose
   response carries the launch context `patient`;
5. the trend view reads that patient's resources with the token.

Authlib's `OAuth2Session` does the OAuth 2.0 parts (authorization URL, PKCE, token request and
bearer header); this module adds what SMART layers on top (discovery, `launch`/`aud`, the
`patient` context) and our rules (allow-list, https, timeouts). Nothing here logs a token.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import (  # type: ignore[import-untyped]
    OAuth2Session,
)

# SMART v2 scopes for what the hook reads (cds.web.lupus_nephritis.prefetch_templates).
DEFAULT_SCOPE = (
    "launch openid fhirUser patient/Patient.rs patient/Observation.rs patient/Condition.rs "
    "patient/MedicationRequest.rs patient/MedicationStatement.rs "
    "patient/MedicationAdministration.rs"
)


class SmartLaunchError(Exception):
    """A launch that cannot go on; the message is safe to show (no token, no PHI)."""


@dataclass(frozen=True, slots=True)
class SmartConfiguration:
    """The parts of `.well-known/smart-configuration` the EHR launch needs."""

    authorization_endpoint: str
    token_endpoint: str
    code_challenge_methods: tuple[str, ...]
    capabilities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SmartClientSettings:
    client_id: str
    client_secret: str | None = None  # None: public client (PKCE alone)
    scope: str = DEFAULT_SCOPE
    timeout_seconds: float = 10.0
    allow_insecure_http: bool = False  # http FHIR / auth servers, for local testing only


def normalise_base(url: str) -> str:
    """A FHIR base URL as compared with the allow-list: no trailing slash, no fragment."""
    return url.split("#", 1)[0].rstrip("/")


def check_issuer(iss: str | None, allowlist: tuple[str, ...], *, allow_http: bool) -> str:
    """The normalised `iss`, if it is an allowed FHIR server; else SmartLaunchError.

    Exact match of normalised base URLs: a prefix match would let
    `https://fhir.example.org.evil.test` through for `https://fhir.example.org`.
    """
    if not iss:
        raise SmartLaunchError("The launch did not name a FHIR server (iss).")
    base = normalise_base(iss)
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SmartLaunchError("The FHIR server address (iss) is not a valid URL.")
    if parts.scheme == "http" and not allow_http:
        raise SmartLaunchError("The FHIR server (iss) must use https.")
    allowed = {normalise_base(a) for a in allowlist}
    if base not in allowed:
        raise SmartLaunchError("This FHIR server (iss) is not on the allow-list.")
    return base


def _require_transport(url: str, *, allow_http: bool, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and allow_http:
        return url
    raise SmartLaunchError(f"The {what} must be an https URL.")


def discover(
    http: requests.Session, iss: str, *, timeout: float, allow_http: bool
) -> SmartConfiguration:
    """Read `{iss}/.well-known/smart-configuration` (SMART App Launch 2.x discovery)."""
    url = f"{iss}/.well-known/smart-configuration"
    try:
        response = http.get(url, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise SmartLaunchError("The FHIR server's SMART configuration could not be read.") from exc
    if response.status_code != 200:
        raise SmartLaunchError(
            f"The FHIR server's SMART configuration answered HTTP {response.status_code}."
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise SmartLaunchError("The FHIR server's SMART configuration is not JSON.") from exc
    if not isinstance(body, dict):
        raise SmartLaunchError("The FHIR server's SMART configuration is not a JSON object.")
    return parse_configuration(body, allow_http=allow_http)


def parse_configuration(body: Mapping[str, Any], *, allow_http: bool) -> SmartConfiguration:
    authorize = body.get("authorization_endpoint")
    token = body.get("token_endpoint")
    if not isinstance(authorize, str) or not isinstance(token, str):
        raise SmartLaunchError(
            "The FHIR server's SMART configuration lacks an authorization or token endpoint."
        )
    methods_raw = body.get("code_challenge_methods_supported")
    methods = tuple(m for m in methods_raw if isinstance(m, str)) if methods_raw else ()
    # SMART 2.x servers must support S256. A server that lists methods without S256 (for
    # example only "plain") is refused rather than downgraded; one that lists none is assumed
    # to follow the spec, and we still send S256.
    if methods and "S256" not in methods:
        raise SmartLaunchError("The authorization server does not support PKCE S256.")
    capabilities_raw = body.get("capabilities") or ()
    capabilities = tuple(c for c in capabilities_raw if isinstance(c, str))
    return SmartConfiguration(
        authorization_endpoint=_require_transport(
            authorize, allow_http=allow_http, what="authorization endpoint"
        ),
        token_endpoint=_require_transport(token, allow_http=allow_http, what="token endpoint"),
        code_challenge_methods=methods,
        capabilities=capabilities,
    )


def _oauth_session(settings: SmartClientSettings, redirect_uri: str) -> Any:
    return OAuth2Session(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scope=settings.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=("client_secret_basic" if settings.client_secret else "none"),
        default_timeout=settings.timeout_seconds,
    )


@dataclass(frozen=True, slots=True)
class PendingLaunch:
    """What we remember between the redirect to the authorization server and the callback."""

    iss: str
    state: str
    code_verifier: str
    token_endpoint: str
    redirect_uri: str

    def to_dict(self) -> dict[str, str]:
        return {
            "iss": self.iss,
            "state": self.state,
            "code_verifier": self.code_verifier,
            "token_endpoint": self.token_endpoint,
            "redirect_uri": self.redirect_uri,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingLaunch:
        try:
            return cls(
                iss=str(data["iss"]),
                state=str(data["state"]),
                code_verifier=str(data["code_verifier"]),
                token_endpoint=str(data["token_endpoint"]),
                redirect_uri=str(data["redirect_uri"]),
            )
        except KeyError as exc:
            raise SmartLaunchError("The launch session is incomplete; launch again.") from exc


def authorization_request(
    settings: SmartClientSettings,
    configuration: SmartConfiguration,
    *,
    iss: str,
    launch: str,
    redirect_uri: str,
) -> tuple[str, PendingLaunch]:
    """The URL to send the browser to, and the state to keep server-side until the callback."""
    # RFC 7636: 43-128 characters from the unreserved set; 64 random bytes → 86 characters.
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(32)
    with _oauth_session(settings, redirect_uri) as oauth:
        url, _ = oauth.create_authorization_url(
            configuration.authorization_endpoint,
            state=state,
            code_verifier=verifier,
            launch=launch,
            aud=iss,
        )
    pending = PendingLaunch(
        iss=iss,
        state=state,
        code_verifier=verifier,
        token_endpoint=configuration.token_endpoint,
        redirect_uri=redirect_uri,
    )
    return str(url), pending


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """The token response's parts we keep (server-side only)."""

    iss: str
    access_token: str
    token_type: str
    patient: str
    scope: str
    expires_in: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "iss": self.iss,
            "access_token": self.access_token,
            "token_type": self.token_type,
            "patient": self.patient,
            "scope": self.scope,
            "expires_in": self.expires_in,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LaunchContext:
        expires = data.get("expires_in")
        return cls(
            iss=str(data["iss"]),
            access_token=str(data["access_token"]),
            token_type=str(data.get("token_type") or "Bearer"),
            patient=str(data["patient"]),
            scope=str(data.get("scope") or ""),
            expires_in=int(expires) if isinstance(expires, int | float | str) and expires else None,
        )

    def __repr__(self) -> str:  # never let a token reach a log through repr()
        return f"LaunchContext(iss={self.iss!r}, patient=<hidden>, access_token=<hidden>)"


def exchange_code(
    settings: SmartClientSettings,
    pending: PendingLaunch,
    *,
    code: str | None,
    state: str | None,
    error: str | None = None,
) -> LaunchContext:
    """Check the callback's `state`, then trade the code (+ PKCE verifier) for a token."""
    if error:
        # `error` is an RFC 6749 code such as access_denied: safe to show, never a token.
        safe = "".join(ch for ch in error if ch.isalnum() or ch in "_-")[:64]
        raise SmartLaunchError(f"The authorization server refused the launch ({safe}).")
    if not state or not secrets.compare_digest(state, pending.state):
        raise SmartLaunchError("The launch state does not match; launch again from the EHR.")
    if not code:
        raise SmartLaunchError("The authorization server returned no code.")
    with _oauth_session(settings, pending.redirect_uri) as oauth:
        try:
            token = oauth.fetch_token(
                pending.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
                redirect_uri=pending.redirect_uri,
            )
        except requests.RequestException as exc:
            raise SmartLaunchError("The token endpoint could not be reached.") from exc
        except Exception as exc:  # Authlib's OAuthError and friends carry server text
            raise SmartLaunchError("The token endpoint refused the authorization code.") from exc
    access_token = token.get("access_token")
    patient = token.get("patient")
    token_type = str(token.get("token_type") or "")
    if not isinstance(access_token, str) or not access_token:
        raise SmartLaunchError("The token response has no access token.")
    if token_type.lower() != "bearer":
        raise SmartLaunchError("The token response is not a Bearer token.")
    if not isinstance(patient, str) or not patient:
        raise SmartLaunchError("The token response has no patient in context.")
    return LaunchContext.from_dict(
        {
            "iss": pending.iss,
            "access_token": access_token,
            "token_type": "Bearer",
            "patient": patient,
            "scope": token.get("scope") or "",
            "expires_in": token.get("expires_in"),
        }
    )
