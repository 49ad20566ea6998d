"""Auth configuration: read once from `LNCDS_*` environment variables into a frozen object.

Everything the verifier trusts is decided here, at start-up: which issuers, which of their keys
(a JWK Set file, an inline JWK Set, or `jku` URLs the issuer may point at), which algorithms,
how much clock skew. A mistake raises `AuthConfigError` before the service takes traffic
rather than turning into 401s (or, worse, into accepted tokens) later.

Trusted-issuers file (`LNCDS_TRUSTED_ISSUERS_FILE`), one entry per `iss`:

    {
      "https://sandbox.cds-hooks.org": {
        "jku": ["https://sandbox.cds-hooks.org/.well-known/jwks.json"]
      },
      "https://ehr.example.org": {"jwks_file": "ehr-jwks.json", "subjects": ["lncds-client"]},
      "https://other.example.org": {"jwks": {"keys": [{"kty": "EC", "kid": "k1", "...": "..."}]}}
    }

`jwks_file` is relative to the issuers file. `subjects`, when given, is an allow-list for `sub`.
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cds.auth.errors import AuthConfigError
from cds.auth.keys import ALGORITHM_KEY_TYPES, KeyRejectedError, PublicJwk, parse_jwk_set

DEFAULT_ALGORITHMS = frozenset({"ES384", "RS384"})
# What may be configured at all: the CDS Hooks algorithms. HMAC and `none` can never be enabled.
SUPPORTED_ALGORITHMS = frozenset(ALGORITHM_KEY_TYPES)

_ISSUER_FIELDS = frozenset({"jwks_file", "jwks", "jku", "subjects"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class IssuerConfig:
    """What we trust about one issuer: its keys and the `jku` URLs it may use."""

    iss: str
    keys: Mapping[str, PublicJwk] = field(default_factory=lambda: types.MappingProxyType({}))
    jku: tuple[str, ...] = ()
    subjects: frozenset[str] | None = None


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool = True
    issuers: Mapping[str, IssuerConfig] = field(default_factory=lambda: types.MappingProxyType({}))
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS
    clock_skew_seconds: int = 60
    max_token_lifetime_seconds: int = 600
    redis_url: str | None = None
    jwks_timeout_seconds: float = 5.0
    jwks_cache_seconds: int = 3600
    jwks_min_refetch_seconds: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthSettings:
        """Build settings from `LNCDS_*` variables (see docs/security.md for the list)."""
        mode = env.get("LNCDS_AUTH", "on").strip().lower()
        if mode not in ("on", "off"):
            raise AuthConfigError(f"LNCDS_AUTH must be 'on' or 'off', not {mode!r}")
        redis_url = env.get("LNCDS_REDIS_URL", "").strip() or None
        common: dict[str, Any] = {
            "algorithms": _algorithms(env.get("LNCDS_JWT_ALGORITHMS")),
            "clock_skew_seconds": _int(env, "LNCDS_JWT_CLOCK_SKEW_SECONDS", 60, lo=0, hi=600),
            "max_token_lifetime_seconds": _int(
                env, "LNCDS_JWT_MAX_LIFETIME_SECONDS", 600, lo=1, hi=86400
            ),
            "redis_url": redis_url,
            "jwks_timeout_seconds": _float(env, "LNCDS_JWKS_TIMEOUT_SECONDS", 5.0, lo=0.1, hi=60),
            "jwks_cache_seconds": _int(env, "LNCDS_JWKS_CACHE_SECONDS", 3600, lo=0, hi=86400),
            "jwks_min_refetch_seconds": _int(
                env, "LNCDS_JWKS_MIN_REFETCH_SECONDS", 60, lo=0, hi=86400
            ),
        }
        if mode == "off":
            return cls(enabled=False, **common)
        path = env.get("LNCDS_TRUSTED_ISSUERS_FILE", "").strip()
        if not path:
            raise AuthConfigError(
                "LNCDS_TRUSTED_ISSUERS_FILE is required while LNCDS_AUTH is on "
                "(set LNCDS_AUTH=off only for local development)"
            )
        return cls(enabled=True, issuers=load_trusted_issuers(Path(path)), **common)


def load_trusted_issuers(path: Path) -> Mapping[str, IssuerConfig]:
    """Read and validate the trusted-issuers file; see the module docstring for its format."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuthConfigError(f"cannot read trusted issuers file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise AuthConfigError(f"trusted issuers file {path} is not JSON: {exc}") from None
    return parse_trusted_issuers(document, base_dir=path.parent)


def parse_trusted_issuers(document: object, *, base_dir: Path) -> Mapping[str, IssuerConfig]:
    if not isinstance(document, dict) or not document:
        raise AuthConfigError("trusted issuers must be a non-empty JSON object keyed by iss")
    issuers: dict[str, IssuerConfig] = {}
    for iss, entry in document.items():
        if not iss:
            raise AuthConfigError("trusted issuer with an empty iss")
        issuers[iss] = _issuer(iss, entry, base_dir)
    return types.MappingProxyType(issuers)


def _issuer(iss: str, entry: object, base_dir: Path) -> IssuerConfig:
    if not isinstance(entry, dict):
        raise AuthConfigError(f"issuer {iss!r}: entry must be an object")
    unknown = set(entry) - _ISSUER_FIELDS
    if unknown:
        raise AuthConfigError(f"issuer {iss!r}: unknown field(s) {sorted(unknown)}")
    keys: dict[str, PublicJwk] = {}
    for source in ("jwks_file", "jwks"):
        if source not in entry:
            continue
        if source == "jwks_file":
            jwks_path = Path(_str(iss, "jwks_file", entry["jwks_file"]))
            jwks_path = jwks_path if jwks_path.is_absolute() else base_dir / jwks_path
            try:
                raw = json.loads(jwks_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise AuthConfigError(f"issuer {iss!r}: cannot read {jwks_path}: {exc}") from None
        else:
            raw = entry["jwks"]
        try:
            parsed = parse_jwk_set(raw, strict=True)
        except KeyRejectedError as exc:
            raise AuthConfigError(f"issuer {iss!r}: {source}: {exc}") from None
        clash = set(parsed) & set(keys)
        if clash:
            raise AuthConfigError(f"issuer {iss!r}: kid(s) {sorted(clash)} configured twice")
        keys.update(parsed)
    jku = tuple(_jku_urls(iss, entry.get("jku", [])))
    if not keys and not jku:
        raise AuthConfigError(f"issuer {iss!r}: needs jwks_file, jwks or jku")
    subjects = None
    if "subjects" in entry:
        values = entry["subjects"]
        if not isinstance(values, list) or not values:
            raise AuthConfigError(f"issuer {iss!r}: subjects must be a non-empty list")
        subjects = frozenset(_str(iss, "subjects", v) for v in values)
    return IssuerConfig(iss=iss, keys=types.MappingProxyType(keys), jku=jku, subjects=subjects)


def _jku_urls(iss: str, value: object) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        raise AuthConfigError(f"issuer {iss!r}: jku must be a URL or a list of URLs")
    urls = []
    for value_url in values:
        url = _str(iss, "jku", value_url)
        parts = urlsplit(url)
        local_http = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        if not (parts.scheme == "https" or local_http) or not parts.hostname:
            raise AuthConfigError(
                f"issuer {iss!r}: jku {url!r} must be https (http only on loopback)"
            )
        urls.append(url)
    return urls


def _str(iss: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise AuthConfigError(f"issuer {iss!r}: {name} must be a non-empty string")
    return value


def _algorithms(value: str | None) -> frozenset[str]:
    if value is None or not value.strip():
        return DEFAULT_ALGORITHMS
    algorithms = frozenset(a.strip().upper() for a in value.split(",") if a.strip())
    if not algorithms:
        raise AuthConfigError("LNCDS_JWT_ALGORITHMS names no algorithm")
    bad = algorithms - SUPPORTED_ALGORITHMS
    if bad:
        raise AuthConfigError(
            f"LNCDS_JWT_ALGORITHMS: {sorted(bad)} not allowed; "
            f"choose from {sorted(SUPPORTED_ALGORITHMS)}"
        )
    return algorithms


def _int(env: Mapping[str, str], name: str, default: int, *, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AuthConfigError(f"{name} must be an integer, not {raw!r}") from None
    if not lo <= value <= hi:
        raise AuthConfigError(f"{name} must be between {lo} and {hi}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise AuthConfigError(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise AuthConfigError(f"{name} must be between {lo} and {hi}")
    return value
