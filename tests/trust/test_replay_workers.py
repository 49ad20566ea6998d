"""Replay across processes: one token sent to both gunicorn workers is accepted exactly once.

The production command runs with two workers, auth on, and a trusted-issuers file naming a key
generated here. The same token (one `jti`) is sent many times at once on separate connections,
so both workers receive it; gunicorn's access log is given the worker's pid
(`GUNICORN_CMD_ARGS`, which overrides only the access-log format of gunicorn.conf.py; the line
is found in plain text or inside a JSON log record), which shows which worker answered each
call. With `LNCDS_REDIS_URL` pointing at a real redis-server, one
call gets 200 and every other one 401. The control, without Redis, shows what the shared cache
prevents: each worker's in-memory cache accepts the token once.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.gunicorn_server import GunicornServer, running_gunicorn
from tests.service.conftest import hook_body, load_prefetch
from tests.trust.ehr import SERVICE_PATH, Ehr

PUBLIC_URL = "https://cds.trust-tests.example.org"
HOOK_AUD = PUBLIC_URL + SERVICE_PATH
CLIENTS = 16
CALLS_PER_CLIENT = 3
ROUNDS = 5  # fresh tokens until a round reached both workers (nearly always the first)
ACCESS_FORMAT = "trust-access pid=%(p)s status=%(s)s path=%(U)s"
ACCESS_LINE = re.compile(r"trust-access pid=<(\d+)> status=(\d{3}) path=([^\s\"]+)")


@dataclass(frozen=True)
class Burst:
    statuses: Counter[int]
    workers: set[int]  # pids of the workers that answered the token


def server_env(ehr: Ehr, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **ehr.server_env(PUBLIC_URL),
        "LNCDS_WORKERS": "2",
        "LNCDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
        "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'",
        **extra,
    }


@pytest.fixture(scope="module")
def shared_cache_server(
    ehr: Ehr, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GunicornServer]:
    env = server_env(ehr, tmp_path_factory.mktemp("shared"), LNCDS_REDIS_URL=redis_url)
    with running_gunicorn(env) as server:
        yield server


def send_one_token_many_times(server: GunicornServer, ehr: Ehr) -> Burst:
    """CLIENTS threads, each on its own connections, send the same token at once."""
    authorization = ehr.headers(HOOK_AUD)
    body: dict[str, Any] = hook_body(load_prefetch())
    log_before = len(server.log_text())
    start = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        for _ in range(CALLS_PER_CLIENT):
            response = requests.post(
                server.base_url + SERVICE_PATH,
                json=body,
                headers={**authorization, "Connection": "close"},
                timeout=30,
            )
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Burst(Counter(statuses), answered_by(server, log_before, len(statuses)))


def answered_by(server: GunicornServer, log_offset: int, calls: int) -> set[int]:
    """Pids of the workers whose access log lines record the last `calls` hook calls."""
    deadline = time.monotonic() + 10
    while True:
        lines = ACCESS_LINE.findall(server.log_text()[log_offset:])
        hook_lines = [(int(pid), path) for pid, _, path in lines if path == SERVICE_PATH]
        if len(hook_lines) >= calls or time.monotonic() > deadline:
            assert len(hook_lines) == calls, "the access log lacks some of the calls"
            return {pid for pid, _ in hook_lines}
        time.sleep(0.05)


def burst_reaching_both_workers(server: GunicornServer, ehr: Ehr) -> Burst:
    for _ in range(ROUNDS):
        burst = send_one_token_many_times(server, ehr)
        if len(burst.workers) == 2:
            return burst
    raise AssertionError(
        f"{ROUNDS} bursts of {CLIENTS * CALLS_PER_CLIENT} calls all went to one worker"
    )


@pytest.mark.redis
def test_token_sent_to_both_workers_is_accepted_exactly_once_with_redis(
    shared_cache_server: GunicornServer, ehr: Ehr
) -> None:
    burst = burst_reaching_both_workers(shared_cache_server, ehr)

    assert set(burst.workers) <= set(shared_cache_server.worker_pids())
    assert burst.statuses == Counter({200: 1, 401: CLIENTS * CALLS_PER_CLIENT - 1})


@pytest.mark.redis
def test_fresh_tokens_are_all_accepted_by_both_workers(
    shared_cache_server: GunicornServer, ehr: Ehr
) -> None:
    """The shared cache refuses replays only: distinct jtis all pass, whichever worker answers."""
    body = hook_body(load_prefetch())
    statuses = Counter(
        requests.post(
            shared_cache_server.base_url + SERVICE_PATH,
            json=body,
            headers={**ehr.headers(HOOK_AUD), "Connection": "close"},
            timeout=30,
        ).status_code
        for _ in range(6)
    )
    assert statuses == Counter({200: 6})


def test_without_redis_each_worker_accepts_the_replayed_token_once(
    ehr: Ehr, tmp_path: Path
) -> None:
    """The control: in-memory caches are per process, which is why more than one worker needs
    LNCDS_REDIS_URL (docs/security.md). It also shows that the bursts do reach both workers."""
    with running_gunicorn(server_env(ehr, tmp_path)) as server:
        burst = burst_reaching_both_workers(server, ehr)

    assert burst.statuses == Counter({200: 2, 401: CLIENTS * CALLS_PER_CLIENT - 2})
