"""The production command serves discovery over real HTTP."""

from __future__ import annotations

from pathlib import Path

import requests

from cds.schema import validate_discovery
from tests.gunicorn_server import gunicorn_server, production_command


def test_dockerfile_runs_gunicorn_with_the_config_file() -> None:
    assert production_command() == ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]


def test_gunicorn_serves_discovery_over_http() -> None:
    with gunicorn_server({"LNCDS_AUTH": "off"}) as base_url:
        response = requests.get(f"{base_url}/cds-services", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    validate_discovery(body)
    assert [s["id"] for s in body["services"]] == ["lupus-nephritis"]


def test_gunicorn_opens_no_control_socket_in_the_users_home(tmp_path: Path) -> None:
    """gunicorn >= 25.1 would share one control socket per user between every instance."""
    home = tmp_path / "home"
    home.mkdir()
    with gunicorn_server({"LNCDS_AUTH": "off", "HOME": str(home)}) as base_url:
        assert requests.get(f"{base_url}/healthz", timeout=10).status_code == 200
        assert list(home.rglob("*.ctl")) == []
