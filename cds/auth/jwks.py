"""JWK Sets fetched from a token's `jku`, only from URLs the issuer's configuration allows.

The `jku` header is attacker-controlled input: fetching whatever it names would let anyone sign
tokens with their own key (and would make us an SSRF proxy). The verifier therefore only asks
this fetcher for URLs on the issuer's allow-list; the fetcher adds the network hygiene: a
timeout, no redirects (a redirect would leave the allow-list), a size cap, a cache, and a
minimum interval between fetches of one URL so that tokens with made-up `kid`s cannot make us
hammer the EHR's key endpoint.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from cds.auth.errors import AuthError
from cds.auth.keys import KeyRejectedError, PublicJwk, parse_jwk_set

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 256 * 1024


@dataclass
class _Entry:
    keys: Mapping[str, PublicJwk] | None = None
    fetched_at: float = 0.0
    attempted_at: float | None = None


class JwksFetcher:
    """Thread-safe cache of remote JWK Sets keyed by URL."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        timeout_seconds: float = 5.0,
        cache_seconds: float = 3600.0,
        min_refetch_seconds: float = 60.0,
        max_bytes: int = MAX_JWKS_BYTES,
    ) -> None:
        self._session = session or requests.Session()
        self._timeout = timeout_seconds
        self._cache_seconds = cache_seconds
        self._min_refetch = min_refetch_seconds
        self._max_bytes = max_bytes
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def keys(self, url: str, *, refresh: bool = False) -> Mapping[str, PublicJwk]:
        """The JWK Set at `url`, from cache while fresh.

        `refresh=True` asks for a refetch (key rotation: a token names a `kid` we do not have);
        it is honoured at most once per `min_refetch_seconds` per URL, otherwise the cached set
        is returned. When a fetch fails, a previously fetched set keeps being used.
        """
        with self._lock_for(url):
            entry = self._entries.setdefault(url, _Entry())
            now = time.time()
            fresh = entry.keys is not None and now - entry.fetched_at < self._cache_seconds
            if fresh and not refresh and entry.keys is not None:
                return entry.keys
            if entry.attempted_at is not None and now - entry.attempted_at < self._min_refetch:
                if entry.keys is not None:
                    return entry.keys
                raise AuthError("JWKS fetch failed recently; not retrying yet")
            entry.attempted_at = now
            try:
                keys = self._fetch(url)
            except AuthError as exc:
                if entry.keys is not None:
                    log.warning("JWKS refetch failed (%s); keeping cached set for %s", exc, url)
                    return entry.keys
                raise
            entry.keys = keys
            entry.fetched_at = now
            return keys

    def _lock_for(self, url: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(url, threading.Lock())

    def _fetch(self, url: str) -> Mapping[str, PublicJwk]:
        try:
            with self._session.get(
                url,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            ) as response:
                if response.status_code != 200:
                    raise AuthError(f"JWKS fetch from {url} returned HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_content(chunk_size=16384):
                    body.extend(chunk)
                    if len(body) > self._max_bytes:
                        raise AuthError(f"JWKS from {url} is larger than {self._max_bytes} bytes")
        except requests.RequestException as exc:
            raise AuthError(f"JWKS fetch from {url} failed: {type(exc).__name__}") from None
        try:
            keys = parse_jwk_set(json.loads(bytes(body)), strict=False)
        except (ValueError, KeyRejectedError) as exc:
            raise AuthError(f"JWKS from {url} is not a usable JWK Set: {exc}") from None
        log.info("fetched JWKS from %s: %d usable key(s)", url, len(keys))
        return keys
