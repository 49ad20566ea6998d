"""Run the production command (the Dockerfile's CMD) on a free loopback port, for tests.

`gunicorn_server(env)` reads the exec-form `CMD` of the Dockerfile, so tests start exactly
what production starts (`gunicorn -c gunicorn.conf.py wsgi:app`), with `LNCDS_BIND` set to
127.0.0.1 and a free port, waits until the service answers, yields its base URL, and stops
it (SIGTERM to the process it started, then SIGKILL if it hangs) when the block ends.

    with gunicorn_server({"LNCDS_AUTH": "off"}) as base_url:
        requests.get(f"{base_url}/cds-services", timeout=5)

`running_gunicorn(env)` is the same with a `GunicornServer` handle instead of the URL, for tests
that need the processes themselves (kill a worker, read its memory) or the server's log.

An inherited `PROMETHEUS_MULTIPROC_DIR` is not passed on (gunicorn.conf.py wipes that directory
at start): the server makes a private one unless `env` names one.

A server that cannot start, or does not come up or not with its workers, raises `GunicornError`
(an `AssertionError`, so a test fails). The module needs no pytest: the benchmarks use it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class GunicornError(AssertionError):
    """The production command could not be started, or did not answer or have its workers in
    time."""


def production_command() -> list[str]:
    """The exec-form CMD of the Dockerfile, e.g. ["gunicorn", "-c", ...]."""
    text = (ROOT / "Dockerfile").read_text("utf-8")
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, flags=re.MULTILINE)
    if match is None:
        raise GunicornError("the Dockerfile has no exec-form CMD")
    command: list[str] = json.loads(match.group(1))
    return command


def gunicorn_command() -> list[str]:
    """The production command with the venv's gunicorn: the one beside this interpreter."""
    command = production_command()
    executable = Path(sys.executable).with_name(command[0])
    if executable.exists():
        return [str(executable), *command[1:]]
    return command


@dataclass(frozen=True)
class GunicornServer:
    """A running production command: its URL, its master process and its combined log."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's child processes (gunicorn's workers) right now, from /proc (Linux)."""
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children")
        try:
            return sorted(int(pid) for pid in children.read_text().split())
        except OSError:
            return []

    def wait_for_workers(
        self, count: int, timeout: float, *, replacing: Collection[int] = ()
    ) -> list[int]:
        """Wait until the master has `count` workers, none of them in `replacing` (workers
        that were killed); return their pids."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.worker_pids()
            if len(pids) == count and not set(pids) & set(replacing):
                return pids
            if time.monotonic() > deadline:
                raise GunicornError(
                    f"gunicorn did not have {count} workers (replacing {sorted(replacing)}) "
                    f"within {timeout} s: {pids}"
                )
            time.sleep(0.05)

    def log_text(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def stop_and_read_log(self, timeout: float = 30.0) -> str:
        """Stop gunicorn (SIGTERM; it flushes as it exits) and return everything it wrote."""
        self.process.terminate()
        self.process.wait(timeout=timeout)
        return self.log_text()


@contextlib.contextmanager
def gunicorn_server(env: Mapping[str, str], *, path: str = "/cds-services") -> Iterator[str]:
    """Start the production command with `env` added; yield `http://127.0.0.1:<port>`."""
    with running_gunicorn(env, path=path) as server:
        yield server.base_url


@contextlib.contextmanager
def running_gunicorn(
    env: Mapping[str, str],
    *,
    path: str = "/cds-services",
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    stop_timeout: float = STOP_TIMEOUT_SECONDS,
) -> Iterator[GunicornServer]:
    """Start the production command with `env` added; yield a handle on the running server.

    `path` is asked until the server answers (for up to `startup_timeout` seconds); at the end,
    SIGTERM and `stop_timeout` seconds before SIGKILL.
    """
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k != MULTIPROC_ENV}
    full_env = {**inherited, **env, "LNCDS_BIND": f"127.0.0.1:{port}"}
    full_env.setdefault("LNCDS_WORKERS", "1")
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            gunicorn_command(),
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(process, base_url + path, log, startup_timeout)
            yield GunicornServer(base_url=base_url, process=process, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_up(
    process: subprocess.Popen[bytes], url: str, log: IO[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GunicornError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(requests.ConnectionError):
            requests.get(url, timeout=1)
            return
        time.sleep(0.1)
    raise GunicornError(f"gunicorn did not answer within {timeout} s:\n{_tail(log)}")


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    data = log.read()
    return data.decode("utf-8", "replace")[-4000:]
