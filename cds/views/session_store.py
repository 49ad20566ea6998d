"""Server-side store for SMART launch state and access tokens, keyed by an opaque session id.

The browser only ever holds a random session id in an HttpOnly, SameSite=Lax cookie; the
PKCE verifier, the OAuth `state`, the access token and the patient id stay on the server
(never in a signed-but-readable Flask session cookie, never in a log line). Entries expire
after a short time-to-live; an expired entry is as good as absent.

The store is per process. Behind several gunicorn workers, the launch and the callback can
land on different workers: run the SMART flow with one worker (or sticky sessions) until a
shared store is configured; see docs/views.md.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]


@dataclass(slots=True)
class _Entry:
    data: dict[str, Any]
    expires_at: float


@dataclass
class SessionStore:
    """A thread-safe in-memory dict of session id → data with a time-to-live per entry."""

    ttl_seconds: float = 900.0
    max_entries: int = 10_000
    clock: Clock = time.monotonic
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, data: dict[str, Any], *, ttl_seconds: float | None = None) -> str:
        """Store `data` under a new unguessable id and return the id (for the cookie).

        `ttl_seconds` can only shorten the store's time-to-live (e.g. to an access token's
        `expires_in`: a session never outlives the token it holds), never lengthen it.
        """
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        lifetime = self.lifetime(ttl_seconds)
        with self._lock:
            self._purge(now)
            if len(self._entries) >= self.max_entries:
                # Bounded memory: drop the entry closest to expiry rather than grow forever.
                oldest = min(self._entries, key=lambda k: self._entries[k].expires_at)
                del self._entries[oldest]
            self._entries[session_id] = _Entry(dict(data), now + lifetime)
        return session_id

    def lifetime(self, ttl_seconds: float | None = None) -> float:
        """The time-to-live `create` gives an entry asked to live `ttl_seconds`."""
        if ttl_seconds is None:
            return self.ttl_seconds
        return max(0.0, min(self.ttl_seconds, ttl_seconds))

    def get(self, session_id: str | None) -> dict[str, Any] | None:
        """A copy of the session's data, or None when unknown or expired."""
        if not session_id:
            return None
        now = self.clock()
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None:
                return None
            if entry.expires_at <= now:
                del self._entries[session_id]
                return None
            return dict(entry.data)

    def update(self, session_id: str, data: dict[str, Any]) -> bool:
        """Replace the session's data (keeping its expiry); False when it has expired."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or entry.expires_at <= now:
                self._entries.pop(session_id, None)
                return False
            entry.data = dict(data)
            return True

    def delete(self, session_id: str | None) -> None:
        if not session_id:
            return
        with self._lock:
            self._entries.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            self._purge(self.clock())
            return len(self._entries)

    def _purge(self, now: float) -> None:
        for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[key]
