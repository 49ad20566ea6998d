"""Feedback in a local SQLite file: the zero-setup default for one host.

WAL mode lets readers (export) run beside the writer; `busy_timeout` makes concurrent writers
(threads, gunicorn workers) wait their turn instead of failing; `synchronous=FULL` makes a
committed transaction durable before `save()` returns. Only one host can use the file safely:
several instances need PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cds.feedback.errors import FeedbackStoreError
from cds.feedback.model import FeedbackItem, FeedbackRow, Outcome, format_instant
from cds.feedback.store import check_service_id

BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lncds_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL,
    card_uuid TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL DEFAULT '[]',
    override_reason_system TEXT,
    override_reason_code TEXT,
    override_reason_display TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (card_uuid, outcome, outcome_timestamp)
)
"""

_INSERT = """
INSERT INTO lncds_feedback (
    service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions,
    override_reason_system, override_reason_code, override_reason_display, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING
"""

_SELECT = """
SELECT service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions,
       override_reason_system, override_reason_code, override_reason_display, received_at
FROM lncds_feedback ORDER BY id
"""


class SqliteFeedbackStore:
    def __init__(self, path: Path | str, *, busy_timeout_seconds: float = BUSY_TIMEOUT_SECONDS):
        self.path = Path(path)
        self._busy_timeout = busy_timeout_seconds
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def save(self, service_id: str, items: Sequence[FeedbackItem]) -> int:
        check_service_id(service_id)
        received_at = format_instant(datetime.now(UTC))
        rows = [
            (
                service_id,
                item.card,
                item.outcome.value,
                format_instant(item.outcome_timestamp),
                json.dumps(list(item.accepted_suggestions)),
                item.override_reason.system if item.override_reason else None,
                item.override_reason.code if item.override_reason else None,
                item.override_reason.display if item.override_reason else None,
                received_at,
            )
            for item in items
        ]
        with self._connection() as conn:
            try:
                # IMMEDIATE takes the write lock up front: waiting happens here, under
                # busy_timeout, rather than as a failed lock upgrade half-way through.
                conn.execute("BEGIN IMMEDIATE")
                inserted = 0
                for row in rows:
                    inserted += conn.execute(_INSERT, row).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return inserted

    def export(self) -> list[FeedbackRow]:
        with self._connection() as conn:
            return [_row(r) for r in conn.execute(_SELECT)]

    def ping(self) -> None:
        with self._connection() as conn:
            conn.execute("SELECT 1 FROM lncds_feedback LIMIT 1").fetchall()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise FeedbackStoreError(f"cannot open feedback database: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            conn.execute("PRAGMA synchronous = FULL")
            self._ensure_schema(conn)
            yield conn
        except sqlite3.Error as exc:
            raise FeedbackStoreError(f"feedback database error: {exc}") from None
        finally:
            conn.close()

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise FeedbackStoreError(f"feedback database refused WAL mode ({mode})")
            conn.execute(_SCHEMA)
            self._schema_ready = True


def _row(r: tuple[str, str, str, str, str, str | None, str | None, str | None, str]) -> FeedbackRow:
    return FeedbackRow(
        service_id=r[0],
        card=r[1],
        outcome=Outcome(r[2]),
        outcome_timestamp=datetime.fromisoformat(r[3]),
        accepted_suggestions=tuple(json.loads(r[4])),
        override_reason_system=r[5],
        override_reason_code=r[6],
        override_reason_display=r[7],
        received_at=datetime.fromisoformat(r[8]),
    )
