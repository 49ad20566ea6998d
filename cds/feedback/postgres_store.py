"""Feedback in PostgreSQL (`LNCDS_DATABASE_URL`): for several workers on several hosts.

A connection per call keeps the store fork-safe under gunicorn and needs no pool library;
feedback is a low-rate endpoint (one POST per clinician action), so the few milliseconds of a
loopback or LAN connect are acceptable. The table is created on first use under an advisory
lock, so workers starting together do not race on CREATE TABLE.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from cds.feedback.errors import FeedbackStoreError
from cds.feedback.model import FeedbackItem, FeedbackRow, Outcome
from cds.feedback.store import check_service_id

CONNECT_TIMEOUT_SECONDS = 5
SCHEMA_LOCK_ID = 0x4C4E4344  # "LNCD": any constant shared by all our processes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lncds_feedback (
    id BIGSERIAL PRIMARY KEY,
    service_id TEXT NOT NULL,
    card_uuid UUID NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    outcome_timestamp TIMESTAMPTZ NOT NULL,
    accepted_suggestions TEXT[] NOT NULL DEFAULT '{}',
    override_reason_system TEXT,
    override_reason_code TEXT,
    override_reason_display TEXT,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT lncds_feedback_once UNIQUE (card_uuid, outcome, outcome_timestamp)
)
"""

_INSERT = """
INSERT INTO lncds_feedback (
    service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions,
    override_reason_system, override_reason_code, override_reason_display, received_at
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT ON CONSTRAINT lncds_feedback_once DO NOTHING
"""

_SELECT = """
SELECT service_id, card_uuid::text, outcome, outcome_timestamp, accepted_suggestions,
       override_reason_system, override_reason_code, override_reason_display, received_at
FROM lncds_feedback ORDER BY id
"""


class PostgresFeedbackStore:
    def __init__(self, url: str, *, connect_timeout: int = CONNECT_TIMEOUT_SECONDS) -> None:
        self._url = url
        self._connect_timeout = connect_timeout
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def __repr__(self) -> str:  # the URL may carry a password: never show it
        return "PostgresFeedbackStore(<url from LNCDS_DATABASE_URL>)"

    def save(self, service_id: str, items: Sequence[FeedbackItem]) -> int:
        check_service_id(service_id)
        with self._connection() as conn:
            inserted = 0
            with conn.cursor() as cur:
                for item in items:
                    reason = item.override_reason
                    cur.execute(
                        _INSERT,
                        (
                            service_id,
                            item.card,
                            item.outcome.value,
                            item.outcome_timestamp,
                            list(item.accepted_suggestions),
                            reason.system if reason else None,
                            reason.code if reason else None,
                            reason.display if reason else None,
                        ),
                    )
                    inserted += cur.rowcount
            conn.commit()  # save() returns only after this COMMIT succeeded
        return inserted

    def export(self) -> list[FeedbackRow]:
        with self._connection() as conn:
            rows = conn.execute(_SELECT).fetchall()
            conn.rollback()
        return [_row(r) for r in rows]

    def ping(self) -> None:
        with self._connection() as conn:
            conn.execute("SELECT 1 FROM lncds_feedback LIMIT 1").fetchall()
            conn.rollback()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            conn = psycopg.connect(self._url, connect_timeout=self._connect_timeout)
        except psycopg.Error as exc:
            raise FeedbackStoreError(
                f"cannot connect to the feedback database: {type(exc).__name__}"
            ) from None
        try:
            self._ensure_schema(conn)
            yield conn
        except psycopg.Error as exc:
            raise FeedbackStoreError(f"feedback database error: {type(exc).__name__}") from None
        finally:
            conn.close()  # an uncommitted transaction is rolled back by the server

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_ID,))
            conn.execute(_SCHEMA)
            conn.commit()
            self._schema_ready = True


def _row(r: tuple[Any, ...]) -> FeedbackRow:
    return FeedbackRow(
        service_id=r[0],
        card=r[1],
        outcome=Outcome(r[2]),
        outcome_timestamp=r[3],
        accepted_suggestions=tuple(r[4]),
        override_reason_system=r[5],
        override_reason_code=r[6],
        override_reason_display=r[7],
        received_at=r[8],
    )
