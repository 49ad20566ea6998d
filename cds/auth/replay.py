"""Replay caches: remember each token's `jti` for as long as the token could still be accepted.

CDS Hooks tokens are bearer tokens: anyone who captures one could resend it until it expires.
The `jti` nonce lets us accept each token once. The in-memory cache protects one process; with
several gunicorn workers or several instances a token replayed to a different worker would pass,
so production deployments point `LNCDS_REDIS_URL` at a Redis that all of them share.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any, Protocol

from cds.auth.errors import ReplayCacheUnavailableError

KEY_PREFIX = "lncds:jti:"


def replay_key(iss: str, jti: str) -> str:
    """Cache key for a token: issuer-scoped (two EHRs may pick the same jti) and fixed-length.

    Hashing keeps attacker-chosen `jti` strings out of Redis key space and bounds their size.
    """
    digest = hashlib.sha256(f"{iss}\x00{jti}".encode()).hexdigest()
    return KEY_PREFIX + digest


class ReplayCache(Protocol):
    def add_if_absent(self, key: str, ttl_seconds: int) -> bool:
        """Record `key` for `ttl_seconds`; True if it was new, False if already present."""
        ...

    def ping(self) -> None:
        """Raise if the cache cannot be used (readiness check)."""
        ...


class InMemoryReplayCache:
    """Per-process replay cache: a dict of key → expiry time, guarded by a lock.

    Expired entries are swept at most once per `sweep_interval` seconds, so memory stays bounded
    by the number of distinct tokens seen within one token lifetime.
    """

    def __init__(self, sweep_interval: float = 30.0) -> None:
        self._expiries: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sweep_interval = sweep_interval
        self._next_sweep = 0.0

    def add_if_absent(self, key: str, ttl_seconds: int) -> bool:
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._expiries = {k: t for k, t in self._expiries.items() if t > now}
                self._next_sweep = now + self._sweep_interval
            expiry = self._expiries.get(key)
            if expiry is not None and expiry > now:
                return False
            self._expiries[key] = now + max(1, ttl_seconds)
            return True

    def ping(self) -> None:
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiries)


class RedisReplayCache:
    """Replay cache shared by every worker and instance that uses the same Redis.

    `SET key 1 NX EX ttl` is atomic in Redis, so two workers racing on the same token cannot
    both win. Redis errors become `ReplayCacheUnavailableError`: without the cache we cannot tell a
    replay from a first use, so the request fails closed.
    """

    def __init__(self, url: str, *, socket_timeout: float = 2.0, client: Any = None) -> None:
        if client is None:
            import redis  # noqa: PLC0415 - optional dependency, only needed when configured

            client = redis.Redis.from_url(
                url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
            )
        self._client = client

    def add_if_absent(self, key: str, ttl_seconds: int) -> bool:
        import redis  # noqa: PLC0415

        try:
            created = self._client.set(key, b"1", nx=True, ex=max(1, ttl_seconds))
        except redis.RedisError as exc:
            raise ReplayCacheUnavailableError(f"replay cache error: {type(exc).__name__}") from None
        return bool(created)

    def ping(self) -> None:
        import redis  # noqa: PLC0415

        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise ReplayCacheUnavailableError(f"replay cache error: {type(exc).__name__}") from None

    def close(self) -> None:
        self._client.close()
