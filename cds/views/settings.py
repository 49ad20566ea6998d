"""Settings of the clinician-facing views, validated once when the views are registered.

Most come from the service's frozen `Config` (demo mode, FHIR allow-list, time zone,
profile, timeouts); the SMART client registration is read from `LNCDS_SMART_*` environment
variables (the client secret only from the environment, never in `repr()`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cds.config import assessment_date
from cds.views.smart import DEFAULT_SCOPE, SmartClientSettings

SMART_ENV = {
    "client_id": "LNCDS_SMART_CLIENT_ID",
    "client_secret": "LNCDS_SMART_CLIENT_SECRET",
    "scope": "LNCDS_SMART_SCOPE",
    "session_ttl": "LNCDS_SMART_SESSION_TTL_SECONDS",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ViewsSettings:
    demo: bool = False
    profile: str = "kdigo-2024"
    timezone: str = "UTC"
    fhir_allowlist: tuple[str, ...] = ()
    fhir_allow_http: bool = False
    fhir_timeout_seconds: float = 10.0
    fhir_budget_seconds: float = 20.0
    smart_client_id: str | None = None
    smart_client_secret: str | None = field(default=None, repr=False)
    smart_scope: str = DEFAULT_SCOPE
    session_ttl_seconds: int = 900
    public_url: str | None = None  # base URL browsers use (behind a proxy); else the request's
    as_of: date | None = None  # LNCDS_AS_OF: the same fixed date the hook uses
    clock: Callable[[], datetime] = field(default=_utc_now, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.session_ttl_seconds <= 0:
            raise ValueError(f"{SMART_ENV['session_ttl']} must be greater than 0")
        ZoneInfo(self.timezone)  # fails fast on an unknown zone

    @property
    def smart_enabled(self) -> bool:
        return bool(self.smart_client_id)

    def smart_client(self) -> SmartClientSettings:
        if not self.smart_client_id:
            raise ValueError(f"{SMART_ENV['client_id']} is not set")
        return SmartClientSettings(
            client_id=self.smart_client_id,
            client_secret=self.smart_client_secret,
            scope=self.smart_scope,
            timeout_seconds=self.fhir_timeout_seconds,
            allow_insecure_http=self.fhir_allow_http,
        )

    def today(self) -> date:
        """`as_of` for a SMART launch: today in the configured time zone (never in rules),
        or the service's fixed `LNCDS_AS_OF`, so that the view and the card always agree."""
        return assessment_date(self.as_of, self.clock, ZoneInfo(self.timezone))


@dataclass(frozen=True, slots=True)
class SmartEnv:
    """The SMART client registration from `LNCDS_SMART_*` (secret hidden from repr)."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scope: str = DEFAULT_SCOPE
    session_ttl_seconds: int = 900


def smart_settings_from_env(environ: Mapping[str, str] | None = None) -> SmartEnv:
    """Read the `LNCDS_SMART_*` variables (absent or blank → defaults)."""
    env = os.environ if environ is None else environ

    def read(key: str) -> str | None:
        value = env.get(SMART_ENV[key], "").strip()
        return value or None

    ttl_text = read("session_ttl")
    try:
        ttl = int(ttl_text) if ttl_text else 900
    except ValueError:
        raise ValueError(f"{SMART_ENV['session_ttl']} must be an integer") from None
    return SmartEnv(
        client_id=read("client_id"),
        client_secret=read("client_secret"),
        scope=read("scope") or DEFAULT_SCOPE,
        session_ttl_seconds=ttl,
    )
