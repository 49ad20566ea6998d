"""Service configuration: defaults in code, overrides from `LNCDS_*` environment variables.

`Config.from_env()` reads and validates everything once, at start-up, into a frozen object;
a bad value stops the service before it serves a single request (a typo in a time zone or
an allow-list must not surface as a 500 at the first hook call). Secrets are only ever read
from the environment and never appear in `repr()`.

Besides settings, the object carries the few *injection points* that tests and other parts
of the project plug into: the clock (tests freeze it), the authenticator (the auth
engineer's JWT verifier), the data-source factory (demo cohort vs. HTTP) and the assessor
(FHIR resources → `Assessment`) and the feedback store. These are never read from the
environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cds.profiles import PROFILE_NAMES

if TYPE_CHECKING:
    from flask import Request

    from cds.assessment import Assessment
    from cds.datasources.base import PatientDataSource
    from cds.feedback import FeedbackStore

ENV_PREFIX = "LNCDS_"
PROFILES = PROFILE_NAMES

Authenticator = Callable[["Request", str], None]
"""Verifies the caller of one request: `(request, audience) -> None`, raising
`cds.web.errors.AuthenticationFailedError` when the caller is not trusted. `audience` is the URL
of the endpoint being called (what the JWT's `aud` must equal)."""


class Assessor(Protocol):
    """FHIR R4 resources of one patient → `Assessment` (mapping, then rules)."""

    def __call__(
        self, resources: Sequence[Mapping[str, Any]], *, as_of: date, patient_id: str
    ) -> Assessment: ...


class DataSourceFactory(Protocol):
    """Builds the data source for one hook call's self-fetch.

    `fhir_server` and `access_token` come from the hook request (either may be None);
    raise `cds.datasources.http.SourceUnavailableError` when no data source can be used.
    """

    def __call__(self, fhir_server: str | None, access_token: str | None) -> PatientDataSource: ...


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def assessment_date(as_of: date | None, clock: Callable[[], datetime], zone: ZoneInfo) -> date:
    """The day a patient is assessed as of: the fixed `as_of` when set, else today in
    `zone` by `clock` (which must return an aware datetime). The hook (`Config.today`) and
    the views (`ViewsSettings.today`) both ask here, so that the card and the view agree."""
    if as_of is not None:
        return as_of
    now = clock()
    if now.tzinfo is None:
        raise ConfigError("the configured clock must return an aware datetime")
    return now.astimezone(zone).date()


_CORS_PATTERN_CHARS = frozenset("*?[]()$^\\|+{}")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting of the service; see docs/service.md for the table of variables."""

    # --- security -------------------------------------------------------------------
    auth: bool = True  # LNCDS_AUTH: only "off" disables JWT checks (local development)
    public_url: str | None = None  # LNCDS_PUBLIC_URL: base URL clients use (JWT aud, links)
    cors_origins: tuple[str, ...] = ()  # LNCDS_CORS_ORIGINS: browser origins allowed
    # --- self-fetch from the EHR's FHIR server ----------------------------------------
    fhir_allowed_servers: tuple[str, ...] = ()  # LNCDS_FHIR_ALLOWED_SERVERS (SSRF allow-list)
    fhir_allow_http: bool = False  # LNCDS_FHIR_ALLOW_HTTP: plain http for local testing only
    fhir_timeout_seconds: float = 3.0  # LNCDS_FHIR_TIMEOUT_SECONDS: each HTTP call
    fhir_budget_seconds: float = 4.0  # LNCDS_FHIR_BUDGET_SECONDS: all self-fetch of one hook
    fhir_max_pages: int = 50  # LNCDS_FHIR_MAX_PAGES: next links followed per query
    fhir_max_response_bytes: int = 20_000_000  # LNCDS_FHIR_MAX_RESPONSE_BYTES: per page
    fhir_workers: int = 12  # LNCDS_FHIR_WORKERS: parallel queries per hook (ours: 10)
    # --- hook processing --------------------------------------------------------------
    max_request_bytes: int = 64_000_000  # LNCDS_MAX_REQUEST_BYTES: hook body incl. prefetch
    lookback_years: int = 15  # LNCDS_LOOKBACK_YEARS: Observations older are dropped
    timezone: str = "UTC"  # LNCDS_TIMEZONE: as_of = today in this zone
    as_of: date | None = None  # LNCDS_AS_OF: assess as of this fixed date (demos, replays)
    profile: str = "kdigo-2024"  # LNCDS_PROFILE
    demo: bool = False  # LNCDS_DEMO: self-fetch from the embedded synthetic cohort
    smart_launch_url: str | None = None  # LNCDS_SMART_LAUNCH_URL: card link of type smart
    log_level: str = "INFO"  # LNCDS_LOG_LEVEL
    # --- injection points (never from the environment) --------------------------------
    clock: Callable[[], datetime] = field(default=_utc_now, compare=False, repr=False)
    authenticator: Authenticator | None = field(default=None, compare=False, repr=False)
    data_source_factory: DataSourceFactory | None = field(default=None, compare=False, repr=False)
    assessor: Assessor | None = field(default=None, compare=False, repr=False)
    feedback_store: FeedbackStore | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """`as_of` for a hook call: the current date in the configured time zone.

        `LNCDS_AS_OF` replaces "today" by a fixed date: a synthetic cohort dated around one
        day (the demo's) or a replay of a past hook must be judged on that day, not drift
        into stale data as the calendar moves on. Start-up logs it when set.
        """
        return assessment_date(self.as_of, self.clock, self.zone)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read `LNCDS_*` variables (defaults for those absent) and validate them."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in _INJECTED:
                continue
            name = ENV_PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            values[f.name] = _parse(name, raw.strip(), f.default)
        return cls(**values)


_INJECTED = frozenset(
    {"clock", "authenticator", "data_source_factory", "assessor", "feedback_store"}
)


def _parse(name: str, raw: str, default: Any) -> Any:
    if name == "LNCDS_AS_OF":  # exactly a calendar date: no times, no week dates
        try:
            if len(raw) == 10 and raw[4] == raw[7] == "-":
                return date.fromisoformat(raw)
        except ValueError:
            pass
        raise ConfigError(f"LNCDS_AS_OF must be a date YYYY-MM-DD, not {raw!r}")
    if name == "LNCDS_AUTH":  # exactly "off" disables auth: no 0/false/no lookalikes
        if raw.lower() not in ("on", "off"):
            raise ConfigError(f"LNCDS_AUTH must be 'on' or 'off', not {raw!r}")
        return raw.lower() == "on"
    if isinstance(default, bool):
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{name} must be on/off (1/0, true/false), not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw.replace("_", ""))
        except ValueError:
            raise ConfigError(f"{name} must be an integer, not {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def _validate(c: Config) -> None:
    try:
        ZoneInfo(c.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"LNCDS_TIMEZONE: unknown time zone {c.timezone!r}") from None
    if c.profile not in PROFILES:
        raise ConfigError(f"LNCDS_PROFILE must be one of {', '.join(PROFILES)}")
    positive = {
        "LNCDS_FHIR_TIMEOUT_SECONDS": c.fhir_timeout_seconds,
        "LNCDS_FHIR_BUDGET_SECONDS": c.fhir_budget_seconds,
        "LNCDS_FHIR_MAX_PAGES": c.fhir_max_pages,
        "LNCDS_FHIR_MAX_RESPONSE_BYTES": c.fhir_max_response_bytes,
        "LNCDS_FHIR_WORKERS": c.fhir_workers,
        "LNCDS_MAX_REQUEST_BYTES": c.max_request_bytes,
        "LNCDS_LOOKBACK_YEARS": c.lookback_years,
    }
    for name, value in positive.items():
        if not value > 0:
            raise ConfigError(f"{name} must be greater than 0")
    for server in c.fhir_allowed_servers:
        parts = urlsplit(server)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(f"LNCDS_FHIR_ALLOWED_SERVERS: {server!r} is not an http(s) URL")
        if parts.scheme == "http" and not c.fhir_allow_http:
            raise ConfigError(
                f"LNCDS_FHIR_ALLOWED_SERVERS: {server!r} uses http; "
                "set LNCDS_FHIR_ALLOW_HTTP=1 for local testing"
            )
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ConfigError(
                f"LNCDS_FHIR_ALLOWED_SERVERS: {server!r} must be a plain base URL "
                "(no credentials, query or fragment)"
            )
    for name, url in (
        ("LNCDS_PUBLIC_URL", c.public_url),
        ("LNCDS_SMART_LAUNCH_URL", c.smart_launch_url),
    ):
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ConfigError(f"{name} must be an absolute http(s) URL")
    for origin in c.cors_origins:
        if origin == "*":
            raise ConfigError("LNCDS_CORS_ORIGINS must list origins; '*' is not allowed")
        # flask-cors reads an origin holding any of these as a regular expression matched
        # from the start: "https://*.hospital.org" would admit "https://x.hospital.org.evil"
        if any(char in origin for char in _CORS_PATTERN_CHARS):
            raise ConfigError(
                f"LNCDS_CORS_ORIGINS: {origin!r} must be an exact origin, not a pattern"
            )
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("https", "http")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ConfigError(
                f"LNCDS_CORS_ORIGINS: {origin!r} must be scheme://host[:port], nothing more"
            )
    if c.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("LNCDS_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
