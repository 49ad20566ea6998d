"""Where feedback is kept: the `FeedbackStore` protocol and the choice of backend.

Both backends share the same contract, which the web edge relies on:
- `save()` writes all items of one request in one transaction and returns only after COMMIT,
  so an acknowledged (200) request survives a worker killed right after answering;
- saving is idempotent on (card, outcome, outcomeTimestamp): an EHR retrying after a timeout
  does not double-count;
- connections are opened per call, so a store object is safe to create before gunicorn forks
  and to share between threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from cds.feedback.model import FeedbackItem, FeedbackRow

DEFAULT_SQLITE_PATH = "./ln-cds-feedback.sqlite3"
MAX_SERVICE_ID_CHARS = 200


class FeedbackStore(Protocol):
    def save(self, service_id: str, items: Sequence[FeedbackItem]) -> int:
        """Store the items; return how many were new. Returns only after commit."""
        ...

    def export(self) -> list[FeedbackRow]:
        """Every stored row, oldest first."""
        ...

    def ping(self) -> None:
        """Raise `FeedbackStoreError` unless a save could succeed now (readiness)."""
        ...


def store_from_env(env: Mapping[str, str]) -> FeedbackStore:
    """PostgreSQL when `LNCDS_DATABASE_URL` is set, else SQLite at `LNCDS_FEEDBACK_DB`."""
    url = env.get("LNCDS_DATABASE_URL", "").strip()
    if url:
        return store_for(url)
    return store_for(env.get("LNCDS_FEEDBACK_DB", "").strip() or DEFAULT_SQLITE_PATH)


def store_for(url_or_path: str) -> FeedbackStore:
    """A store for a `postgresql://` URL, a `sqlite:///path` URL, or a plain file path.

    Nothing is opened here: connections are made per call (see the module docstring)."""
    scheme = urlsplit(url_or_path).scheme.lower()
    if scheme in ("postgres", "postgresql"):
        from cds.feedback.postgres_store import PostgresFeedbackStore  # noqa: PLC0415

        return PostgresFeedbackStore(url_or_path)
    from cds.feedback.sqlite_store import SqliteFeedbackStore  # noqa: PLC0415

    if scheme == "sqlite":
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        prefix = "sqlite:///"
        if not url_or_path.lower().startswith(prefix) or len(url_or_path) == len(prefix):
            raise ValueError("a SQLite URL looks like sqlite:///relative.db or sqlite:////abs.db")
        return SqliteFeedbackStore(Path(url_or_path[len(prefix) :]))
    return SqliteFeedbackStore(Path(url_or_path))


def check_service_id(service_id: str) -> str:
    if not isinstance(service_id, str) or not service_id or len(service_id) > MAX_SERVICE_ID_CHARS:
        raise ValueError("service_id must be a non-empty string of at most 200 characters")
    return service_id
