"""Observability under the production command: real gunicorn, two worker processes.

`/metrics` must add up every worker's counts (prometheus-client's multiprocess mode, set up
by gunicorn.conf.py), whichever worker answers the scrape; every log line is JSON, one
summary line per CDS Hooks call, without the canary token or name sent in the hooks.

The servers are `tests.gunicorn_server.running_gunicorn` (the Dockerfile's CMD), waited for on
`/healthz` so that no discovery call is counted before the test's own, and their output is read
once they have stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.gunicorn_server import MULTIPROC_ENV, gunicorn_command, running_gunicorn
from tests.infra import free_port
from tests.metrics_text import metric_value
from tests.service.conftest import fhir_authorization

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "hook-request.json").read_text("utf-8"))
HOOK_URL = "/cds-services/lupus-nephritis"
CANARY_TOKEN = "canary-gunicorn-token-Lm4"
CANARY_NAME = "Canarygunicornname"
STOP_TIMEOUT_SECONDS = 15.0


def scrape(base_url: str, name: str, **labels: str) -> float:
    return metric_value(requests.get(f"{base_url}/metrics", timeout=10).text, name, **labels)


def pids_with_metric_files(directory: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[1] for path in directory.glob("counter_*.db")}


def canary_hook() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(EXAMPLE))
    body["prefetch"]["patient"]["name"] = [{"family": CANARY_NAME}]
    body["fhirServer"] = "https://ehr.example.org/fhir"
    body["fhirAuthorization"] = fhir_authorization(CANARY_TOKEN)
    return body


def test_two_workers_metrics_add_up_and_every_log_line_is_json_without_canaries(
    tmp_path: Path,
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # from an earlier run
    env = {
        "LNCDS_AUTH": "off",
        "LNCDS_DEMO": "1",
        "LNCDS_WORKERS": "2",
        "LNCDS_THREADS": "2",
        "LNCDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
        MULTIPROC_ENV: str(metrics_dir),
    }
    discoveries = 0
    with running_gunicorn(env, path="/healthz", stop_timeout=STOP_TIMEOUT_SECONDS) as server:
        base_url = server.base_url
        assert "999999" not in pids_with_metric_files(metrics_dir)  # wiped at start
        # fresh connections, many at once, until both workers have answered some
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(20):
                statuses = list(
                    pool.map(
                        lambda _: requests.get(f"{base_url}/cds-services", timeout=10), range(16)
                    )
                )
                assert {r.status_code for r in statuses} == {200}
                discoveries += len(statuses)
                if len(pids_with_metric_files(metrics_dir)) >= 2:
                    break
        assert len(pids_with_metric_files(metrics_dir)) == 2
        for _ in range(3):
            response = requests.post(f"{base_url}{HOOK_URL}", json=canary_hook(), timeout=30)
            assert response.status_code == 200
            assert response.json()["cards"][0]["indicator"] == "critical"
        for _ in range(3):  # whichever worker answers the scrape, it reports everybody's
            assert (
                scrape(
                    base_url, "lncds_http_requests_total", endpoint="/cds-services", status="200"
                )
                == discoveries
            )
            assert scrape(
                base_url, "lncds_http_requests_total",
                endpoint="/cds-services/<service_id>", status="200",
            ) == 3  # fmt: skip
            assert scrape(base_url, "lncds_cards_total", status="flare", indicator="critical") == 3
        text = server.stop_and_read_log()
    lines = [line for line in text.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    summaries = [r for r in records if r["logger"] == "cds.web.requests"]
    assert sum(r["event"] == "discovery" for r in summaries) == discoveries
    hooks = [r for r in summaries if r["event"] == "hook"]
    assert [h["cards"] for h in hooks] == [[{"status": "flare", "indicator": "critical"}]] * 3
    assert len({r["pid"] for r in summaries}) == 2
    assert any(r["logger"] == "gunicorn.access" for r in records)
    assert CANARY_TOKEN not in text
    assert CANARY_NAME not in text


def test_without_a_metrics_directory_gunicorn_makes_a_private_one_and_removes_it(
    tmp_path: Path,
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        "LNCDS_AUTH": "off",
        "LNCDS_WORKERS": "1",
        "LNCDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
        "TMPDIR": str(temp),
    }
    with running_gunicorn(env, path="/healthz", stop_timeout=STOP_TIMEOUT_SECONDS) as server:
        base_url = server.base_url
        requests.get(f"{base_url}/cds-services", timeout=10)
        (private,) = temp.glob("lncds-prometheus-*")
        assert pids_with_metric_files(private)
        assert scrape(base_url, "lncds_http_requests_total", endpoint="/cds-services") == 1
    assert list(temp.iterdir()) == []


def test_an_unknown_log_format_stops_gunicorn_before_it_serves(tmp_path: Path) -> None:
    env = {**os.environ, "LNCDS_AUTH": "off", "LNCDS_LOG_FORMAT": "xml"}
    env["LNCDS_BIND"] = f"127.0.0.1:{free_port()}"
    result = subprocess.run(
        gunicorn_command(),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert b"LNCDS_LOG_FORMAT" in result.stderr + result.stdout
