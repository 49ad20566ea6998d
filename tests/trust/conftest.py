"""Fixtures for the checks that need real components: a real Redis and PostgreSQL (started on
loopback by `tests.infra`), a stand-in EHR, and the production command (gunicorn) around them.

Servers are module-scoped: each module starts what it needs once, and each test works on data
of its own (fresh `jti`s, fresh card ids), so tests do not depend on their order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.infra import start_postgres, start_redis
from tests.trust.ehr import Ehr


@pytest.fixture(scope="module")
def ehr(tmp_path_factory: pytest.TempPathFactory) -> Ehr:
    return Ehr(tmp_path_factory.mktemp("ehr"))


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on loopback, for this module."""
    url, stop = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database on a throw-away PostgreSQL server on loopback, for this module."""
    server_url, stop = start_postgres(tmp_path_factory.mktemp("pg"))
    try:
        name = f"t_{uuid.uuid4().hex}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        stop()
