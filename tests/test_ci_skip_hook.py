"""tests/conftest.py's hook: in CI, a skipped hapi/browser/redis/postgres test is a failure.

Each test runs a small pytest session (pytester, in-process) whose conftest takes the hook
from tests/conftest.py, with and without `CI=true`.
"""

from __future__ import annotations

import pytest

MARKED_TESTS = """
import pytest

@pytest.fixture
def missing_server():
    pytest.skip("no server here")

@pytest.mark.hapi
def test_hapi_skips_in_its_body():
    pytest.skip("no java")

@pytest.mark.browser
def test_browser_skips_in_a_fixture(missing_server):
    pass

@pytest.mark.redis
@pytest.mark.skipif(True, reason="no redis-server")
def test_redis_skipif():
    pass

@pytest.mark.postgres
def test_postgres_skips_in_its_body():
    pytest.skip("no initdb")

@pytest.mark.parametrize("kind", ["memory", pytest.param("hapi", marks=pytest.mark.hapi)])
def test_parametrized(kind):
    pytest.skip(f"{kind} not here")
"""

OTHER_TESTS = """
import pytest

def test_unmarked_skip():
    pytest.skip("not relevant here")

@pytest.mark.hapi
@pytest.mark.xfail(reason="known bug", strict=True)
def test_hapi_expected_failure():
    assert False

@pytest.mark.hapi
def test_hapi_passes():
    pass
"""


@pytest.fixture
def session(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester dir with our markers registered and the hook under test as its conftest."""
    pytester.makeini(
        "[pytest]\nmarkers =\n    hapi: h\n    browser: b\n    redis: r\n    postgres: p\n"
    )
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    return pytester


def test_in_ci_every_skip_of_a_marked_test_fails(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    session.makepyfile(test_marked=MARKED_TESTS)

    result = session.runpytest("-rA")

    # a skip in a fixture or by `skipif` happens at setup: failing there is an error
    result.assert_outcomes(failed=3, errors=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*skipped in CI, where hapi tests must run (CI=true)*no java*",
            "*skipped in CI, where browser tests must run (CI=true)*no server here*",
            "*skipped in CI, where redis tests must run (CI=true)*no redis-server*",
            "*skipped in CI, where postgres tests must run (CI=true)*no initdb*",
            "*skipped in CI, where hapi tests must run (CI=true)*hapi not here*",
        ],
        consecutive=False,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_outside_ci_marked_tests_still_skip(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "false")
    session.makepyfile(test_marked=MARKED_TESTS)

    result = session.runpytest()

    result.assert_outcomes(skipped=6)
    assert result.ret == pytest.ExitCode.OK


def test_in_ci_unmarked_skips_xfails_and_passes_are_left_alone(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    session.makepyfile(test_other=OTHER_TESTS)

    result = session.runpytest()

    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
