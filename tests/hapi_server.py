"""A real HAPI FHIR R4 server (in-memory H2) for integration tests.

A thin wrapper over `scripts/hapi-server`, which builds the pinned server from Maven Central
once (`fetch`) into `$LNCDS_HAPI_HOME` (default `~/.cache/ln-cds/hapi`) and runs it on
127.0.0.1 in the background. Start-up takes about 25-80 s (HAPI JPA + Hibernate on 2 cores),
so start one server per test session and share it.

    server = HapiServer()
    if not HapiServer.is_available():
        ...  # skip (no java or mvn)
    base_url = server.start()  # e.g. "http://127.0.0.1:41234/fhir"
    try:
        ...
    finally:
        server.stop()

or `with HapiServer() as base_url: ...`. Server quirks the tests can rely on are listed in
hapi/README.md (client-assigned ids, no search-result cache, paging, `$everything`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "hapi-server"
DEFAULT_START_TIMEOUT_SECONDS = 300.0
_FETCH_TIMEOUT_SECONDS = 1800.0


class HapiServerError(RuntimeError):
    """`scripts/hapi-server` failed; the message carries its output (with the log tail)."""


class HapiServer:
    """Start and stop one HAPI FHIR server through `scripts/hapi-server`.

    `run_dir` keeps this server's pid/log/url files apart, so several servers can run side by
    side from one build (default: the shared cache dir, i.e. one server per machine user).
    `default_page_size` / `max_page_size` set the paging of searches without / with `_count`.
    """

    def __init__(
        self,
        *,
        run_dir: Path | None = None,
        default_page_size: int | None = None,
        max_page_size: int | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT_SECONDS,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the server; nothing starts until `start()`."""
        self.run_dir = run_dir
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.start_timeout = start_timeout
        self._extra_env = dict(env or {})
        self._base_url: str | None = None

    @staticmethod
    def is_available() -> bool:
        """True when a server can be built and run here: `java` and `mvn` are on PATH."""
        return shutil.which("java") is not None and shutil.which("mvn") is not None

    @property
    def base_url(self) -> str:
        """The FHIR base URL of the running server, e.g. `http://127.0.0.1:8089/fhir`."""
        if self._base_url is None:
            raise HapiServerError("HAPI server is not started")
        return self._base_url

    @property
    def log_path(self) -> Path:
        """The server's log file (stdout and stderr of the JVM)."""
        return self._state_dir() / "hapi.log"

    def fetch(self) -> None:
        """Build the pinned server into the cache dir (downloads once; fast when done)."""
        self._run(["fetch"], timeout=_FETCH_TIMEOUT_SECONDS)

    def start(self, port: int = 0, *, reuse: bool = False) -> str:
        """Start the server on 127.0.0.1:`port` (0 = a free port); return its base URL.

        Blocks until `GET <base>/metadata` answers 200. A server already running from the
        same run dir is stopped first, so the database starts empty, unless `reuse` is true.
        Raises `HapiServerError` with the log tail if it does not come up in time.
        """
        if port < 0 or port > 65535:
            raise ValueError(f"port out of range: {port}")
        if not reuse:
            self.stop()
        self.fetch()
        args = ["start", "--port", str(port), "--timeout", str(int(self.start_timeout))]
        if self.default_page_size is not None:
            args += ["--default-page-size", str(self.default_page_size)]
        if self.max_page_size is not None:
            args += ["--max-page-size", str(self.max_page_size)]
        out = self._run(args, timeout=self.start_timeout + 60.0)
        lines = out.strip().splitlines()
        if not lines or not lines[-1].startswith("http://"):
            raise HapiServerError(f"scripts/hapi-server start printed no URL: {out!r}")
        self._base_url = lines[-1]
        return self._base_url

    def stop(self) -> None:
        """Stop the server if it runs (SIGTERM, then SIGKILL after 30 s); idempotent."""
        self._run(["stop"], timeout=120.0)
        self._base_url = None

    def is_running(self) -> bool:
        """True when the server of this run dir is alive."""
        proc = self._spawn(["status"], timeout=30.0)
        return proc.returncode == 0

    def pid(self) -> int:
        """The JVM's process id, from the run dir's pid file (raises if not started).

        Tests pause the JVM with SIGSTOP to play a FHIR server that hangs mid-run: the kernel
        still accepts connections, but nothing answers.
        """
        text = (self._state_dir() / "hapi.pid").read_text("utf-8").strip()
        if not text.isdigit():
            raise HapiServerError(f"no pid in {self._state_dir() / 'hapi.pid'}")
        return int(text)

    def log_offset(self) -> int:
        """The size of the server log now: pass it to `access_log` to see only later requests."""
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def access_log(self, since: int = 0) -> list[str]:
        """The request lines (`lncds.hapi.access`) written after byte offset `since`.

        HAPI writes a request's line once the request is done, which may be a moment after the
        client has its answer: poll when counting the requests of a call that just returned.
        """
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if " lncds.hapi.access - " in line]

    def reset(self) -> None:
        """Delete every resource (`$expunge` with expungeEverything): an empty store again."""
        body = {
            "resourceType": "Parameters",
            "parameter": [{"name": "expungeEverything", "valueBoolean": True}],
        }
        request = urllib.request.Request(  # noqa: S310 (loopback URL we started)
            f"{self.base_url}/$expunge",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            if response.status != 200:
                raise HapiServerError(f"$expunge answered {response.status}")

    def __enter__(self) -> str:
        """Start on a free port; the `with` target is the base URL."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    def _state_dir(self) -> Path:
        if self.run_dir is not None:
            return self.run_dir
        env = self._env()
        home = env.get("LNCDS_HAPI_HOME") or str(Path.home() / ".cache" / "ln-cds" / "hapi")
        return Path(env.get("LNCDS_HAPI_RUN_DIR") or home)

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self._extra_env}
        if self.run_dir is not None:
            env["LNCDS_HAPI_RUN_DIR"] = str(self.run_dir)
        return env

    def _spawn(self, args: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), *args],
            cwd=ROOT,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _run(self, args: list[str], *, timeout: float) -> str:
        proc = self._spawn(args, timeout=timeout)
        if proc.returncode != 0:
            raise HapiServerError(
                f"scripts/hapi-server {' '.join(args)} failed (exit {proc.returncode}):\n"
                f"{proc.stderr.strip()}\n{proc.stdout.strip()}"
            )
        return proc.stdout


@dataclass(frozen=True)
class RunningHapi:
    """A started server: its base URL, and the wrapper that controls it (pause, logs, stop)."""

    server: HapiServer
    base_url: str
