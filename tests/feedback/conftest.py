"""Fixtures for the feedback tests: a SQLite file per test, one PostgreSQL server per session
with a fresh database per test, and `store` parametrised over both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cds.feedback import FeedbackStore
from cds.feedback.postgres_store import PostgresFeedbackStore
from cds.feedback.sqlite_store import SqliteFeedbackStore
from tests.infra import create_database

DATA = Path(__file__).parent / "data"


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the session's server (`postgres_server`, tests/conftest.py)."""
    url, drop = create_database(postgres_server)
    yield url
    drop()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "feedback.sqlite3"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, sqlite_path: Path) -> FeedbackStore:
    if request.param == "sqlite":
        return SqliteFeedbackStore(sqlite_path)
    return PostgresFeedbackStore(request.getfixturevalue("postgres_url"))
