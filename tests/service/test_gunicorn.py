"""The production command serves discovery over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from cds.schema import validate_discovery
from tests.gunicorn_server import GunicornServer, production_command, running_gunicorn


@pytest.fixture(scope="module")
def server() -> Iterator[GunicornServer]:
    """One production server for the module: auth off, DEBUG logs (gunicorn's own included)."""
    with running_gunicorn({"LNCDS_AUTH": "off", "LNCDS_LOG_LEVEL": "debug"}) as running:
        yield running


def test_dockerfile_runs_gunicorn_with_the_config_file() -> None:
    assert production_command() == ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]


def test_gunicorn_serves_discovery_over_http(server: GunicornServer) -> None:
    response = requests.get(f"{server.base_url}/cds-services", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    validate_discovery(body)
    assert [s["id"] for s in body["services"]] == ["lupus-nephritis"]


def test_gunicorn_opens_no_control_socket(server: GunicornServer) -> None:
    """gunicorn >= 25.1 would share one control socket per user between every instance.

    The master decides just after spawning the first workers, so wait for its word.
    """
    deadline = time.monotonic() + 20
    while "Control socket" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.log_text()
    assert "Control socket disabled" in log
    assert "Control socket listening" not in log
