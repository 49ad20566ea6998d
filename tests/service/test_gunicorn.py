"""The production command serves discovery over real HTTP."""

from __future__ import annotations

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
