"""Fixtures for the checks that need real components: a real Redis and PostgreSQL (the session's
`redis_url` and `postgres_server` of tests/conftest.py), a stand-in EHR, and the production
command (gunicorn) around them.

Each module gets a database of its own on the session's PostgreSQL, and each test works on data
of its own (fresh `jti`s, fresh card ids), so tests do not depend on their order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra import create_database
from tests.trust.ehr import Ehr


@pytest.fixture(scope="module")
def ehr(tmp_path_factory: pytest.TempPathFactory) -> Ehr:
    return Ehr(tmp_path_factory.mktemp("ehr"))


@pytest.fixture(scope="module")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database on the session's PostgreSQL server (tests/conftest.py), for this module."""
    url, drop = create_database(postgres_server)
    try:
        yield url
    finally:
        drop()
