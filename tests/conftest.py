"""Suite-wide fixtures and hooks: one HAPI FHIR, PostgreSQL and Redis server per session, and
no silent skips in CI.

**HAPI.** Starting HAPI FHIR takes 15-80 s of two CPU cores and about 600 MB of memory, so the
whole session shares one server: `hapi` starts it the first time a test asks for it (a session
that selects no HAPI test never starts Java) and stops it when the session ends. `hapi_cohort`
is the same server with the synthetic demo cohort uploaded by the real `ln-cds load-demo`
command. The server runs from its own run dir under pytest's temp dir, so it never touches a
server another engineer (or `scripts/hapi-server start`) runs from the default one. Without
`java` and `mvn` the tests that need it skip on a laptop and fail in CI (`skip_or_fail`).

Tests may add resources with ids of their own to the shared server, but never change or delete
the cohort's resources, and a test that pauses the server resumes it before it returns.

**PostgreSQL and Redis.** `postgres_server` and `redis_url` are one throw-away server each for
the whole session (`tests.infra`), started the first time a test asks for it. Tests work on data
of their own there: a database each from `tests.infra.create_database`, fresh replay-cache keys.

**No silent skips in CI.** With `CI=true`, a test marked `hapi`, `browser`, `redis` or
`postgres` that ends skipped is reported as failed: those tests skip on a laptop that lacks
Java, Chromium, Redis or PostgreSQL, but in CI a skip would hide code nobody tested.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator

import pytest

from tests.hapi_server import HapiServer, RunningHapi
from tests.infra import skip_or_fail, start_postgres, start_redis
from tests.ln_cds_command import run_ln_cds

pytest_plugins = ["pytester"]

CI_REQUIRED_MARKERS = ("hapi", "browser", "redis", "postgres")
# Searches without `_count` get pages of this size, so the hook's own Condition and
# Medication* searches and `$everything` exports really page. Observation searches ask for
# `_count=1000`, capped by HAPI at its maximum page size (500): one page, as in production.
HAPI_DEFAULT_PAGE_SIZE = 5
LOAD_DEMO_TIMEOUT_SECONDS = 600.0


def ci_requires_every_test() -> bool:
    """True in CI (`CI=true`, as `.ci/run` sets it): service-backed tests must run there."""
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI, turn the skip of a `hapi`/`browser`/`redis`/`postgres` test into a failure.

    The fixtures of those tests already fail in CI when their server is missing
    (`skip_or_fail`); this catches every other way to skip (a `skipif`, an `importorskip`, a
    `pytest.skip` someone adds later). An expected failure (`xfail`) is not a skip.
    """
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and ci_requires_every_test()
        and any(item.get_closest_marker(name) for name in CI_REQUIRED_MARKERS)
    ):
        markers = ", ".join(n for n in CI_REQUIRED_MARKERS if item.get_closest_marker(n))
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where {markers} tests must run (CI=true): {reason}"
    return report


@pytest.fixture(scope="session")
def hapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHapi]:
    """One real HAPI FHIR R4 server for the whole session, started at first use.

    Empty apart from what tests upload; `hapi_cohort` uploads the demo cohort. Searches
    without `_count` are paged by `HAPI_DEFAULT_PAGE_SIZE`.
    """
    if not HapiServer.is_available():
        skip_or_fail("HAPI FHIR needs java and mvn on PATH (scripts/test installs them)")
    server = HapiServer(
        run_dir=tmp_path_factory.mktemp("hapi-session"),
        default_page_size=HAPI_DEFAULT_PAGE_SIZE,
    )
    try:
        base_url = server.start()
        yield RunningHapi(server=server, base_url=base_url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def hapi_cohort(hapi: RunningHapi) -> RunningHapi:
    """The session's HAPI server with the demo cohort uploaded by `ln-cds load-demo`."""
    load = run_ln_cds(
        "load-demo", "--fhir-server", hapi.base_url, timeout=LOAD_DEMO_TIMEOUT_SECONDS
    )
    assert load.returncode == 0, f"ln-cds load-demo failed:\n{load.stderr}{load.stdout}"
    return hapi


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a throw-away PostgreSQL server's maintenance database, for this session."""
    url, stop = start_postgres(tmp_path_factory.mktemp("pg"))
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on loopback for this test session."""
    url, stop = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop()
