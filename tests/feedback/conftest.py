"""Fixtures for the feedback tests: a SQLite file per test, one PostgreSQL server per session
with a fresh database per test, and `store` parametrised over both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cds.feedback import FeedbackStore
from cds.feedback.postgres_store import PostgresFeedbackStore
from cds.feedback.sqlite_store import SqliteFeedbackStore
from tests.infra import start_postgres

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a throw-away PostgreSQL server's maintenance database, for this session."""
    url, stop = start_postgres(tmp_path_factory.mktemp("pg"))
    try:
        yield url
    finally:
        stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the session's server."""
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "feedback.sqlite3"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, sqlite_path: Path) -> FeedbackStore:
    if request.param == "sqlite":
        return SqliteFeedbackStore(sqlite_path)
    return PostgresFeedbackStore(request.getfixturevalue("postgres_url"))
