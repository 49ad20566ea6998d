"""Start real Redis and PostgreSQL servers on loopback for tests that need them.

Each helper returns `(url, stop)`; `stop()` shuts the server down and removes its files
(`create_database`: drops the database). The session's servers are the `redis_url` and
`postgres_server` fixtures of tests/conftest.py. The servers listen only on 127.0.0.1 on a
free port, with their sockets and data in a temp dir, so tests never touch a system-wide
instance. Binaries come from Debian packages (`scripts/install-test-deps`). When one is
missing, `skip_or_fail` skips on a laptop but fails in CI (`CI=true`), where a silent skip
would hide untested code.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest

from tests.ports import free_port

__all__ = [
    "create_database",
    "free_port",
    "postgres_bindir",
    "skip_or_fail",
    "start_postgres",
    "start_redis",
]

StopFn = Callable[[], None]
STARTUP_TIMEOUT_SECONDS = 30.0


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test, except in CI where a missing service is a broken build."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: a skip would hide untested code)")
    pytest.skip(reason)


def start_redis(tmp_path: Path) -> tuple[str, StopFn]:
    """Run `redis-server` on a free loopback port, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server not installed (run scripts/install-test-deps)")
    port = free_port()
    workdir = tmp_path / f"redis-{port}"
    workdir.mkdir(parents=True)
    log_path = workdir / "redis.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--dir", str(workdir),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "yes",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        if proc.poll() is not None:
            output = log_path.read_text(errors="replace")
            stop()
            skip_or_fail(f"redis-server exited at start-up: {output[-500:]}")
        if _redis_answers(port):
            return url, stop
        if time.monotonic() > deadline:
            stop()
            skip_or_fail("redis-server did not answer PING in time")
        time.sleep(0.05)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def postgres_bindir() -> Path | None:
    """Where `initdb`/`pg_ctl` live: Debian keeps them in /usr/lib/postgresql/<ver>/bin."""
    candidates = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda p: _version_key(p.parent.name),
    )
    if candidates:
        return candidates[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def start_postgres(tmp_path: Path) -> tuple[str, StopFn]:
    """Run a throw-away PostgreSQL cluster (trust auth, loopback only) on a free port.

    PostgreSQL refuses to run as root, so as root the cluster lives in a fresh directory under
    /tmp owned by the `postgres` user and the server runs through `runuser`; otherwise it runs
    as the current user inside `tmp_path`.
    """
    bindir = postgres_bindir()
    if bindir is None:
        skip_or_fail("PostgreSQL server binaries not installed (run scripts/install-test-deps)")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            pg_user = pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root and there is no 'postgres' user to run PostgreSQL")
        runuser = shutil.which("runuser")
        if runuser is None:
            skip_or_fail("running as root and runuser is missing")
        # tmp_path's parents are root-only (0700); the postgres user needs its own directory.
        base = Path(tempfile.mkdtemp(prefix="lncds-pg-"))
        os.chown(base, pg_user.pw_uid, pg_user.pw_gid)
        prefix = [runuser, "-u", "postgres", "--"]
        user = "postgres"
    else:
        # The server's unix socket path must stay under ~100 bytes: long tmp_paths won't do.
        if len(str(tmp_path)) < 60:
            base = tmp_path / "postgres"
            base.mkdir(parents=True)
        else:
            base = Path(tempfile.mkdtemp(prefix="lncds-pg-"))
        prefix = []
        user = pwd.getpwuid(os.geteuid()).pw_name
    data = base / "data"
    log_path = base / "server.log"
    port = free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )

    def stop() -> None:
        if (data / "postmaster.pid").exists():
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)

    init = run(
        str(bindir / "initdb"),
        "-D", str(data),
        "-U", user,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        stop()
        skip_or_fail(f"initdb failed: {init.stderr[-500:]}")
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=on -c max_connections=60"
    )
    started = run(
        str(bindir / "pg_ctl"),
        "-D", str(data),
        "-l", str(log_path),
        "-o", options,
        "-w",
        "-t", str(int(STARTUP_TIMEOUT_SECONDS)),
        "start",
    )  # fmt: skip
    if started.returncode != 0:
        detail = started.stderr[-300:]
        with contextlib.suppress(OSError):
            detail += log_path.read_text(errors="replace")[-500:]
        stop()
        skip_or_fail(f"pg_ctl start failed: {detail}")
    return f"postgresql://{user}@127.0.0.1:{port}/postgres", stop


def create_database(server_url: str) -> tuple[str, StopFn]:
    """A new, empty database on the PostgreSQL server whose maintenance database is
    `server_url` (from `start_postgres`); `drop()` removes it, closing its connections."""
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    return server_url.rsplit("/", 1)[0] + "/" + name, drop
