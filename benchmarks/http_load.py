"""Part 2: the hook over HTTP, gunicorn as in production, loaded by `wrk` on loopback.

The server is the Dockerfile's CMD (`gunicorn -c gunicorn.conf.py wsgi:app`, started by
`tests/gunicorn_server.py` exactly as the tests start it) with its production defaults
(gthread, `min(4, 2 × CPU)` workers, 4 threads each, JSON logs, Prometheus multiprocess
metrics) and the Dockerfile's `ENV` (e.g. `MALLOC_ARENA_MAX`), on 127.0.0.1, with auth off
(a JWT must carry a fresh `jti` per call, which a load generator replaying one request
cannot do) and `LNCDS_AS_OF` set to the patients' date.

Scenarios, each run for the same time, alternated round after round:
- `discovery ×C`: GET /cds-services, the floor: gunicorn + Flask + logging + metrics with
  no body and no work, under the same load;
- `hook 100 ×C`: the 100-Observation patient's hook, C connections (throughput target);
- `hook 2000 ×1` and `hook 2000 ×4`: the 2,000-Observation patient, one client, then four
  (the p99 under four clients against the one-client p50).

Then, for information only, the two 2,000-Observation scenarios again on a second server
started with `--worker-class sync` (the process model that balances CPU-bound requests;
see benchmarks/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests
from common import BENCH_DIR, Section, Target, fmt, image_env, median

LUA = BENCH_DIR / "wrk" / "hook.lua"
HOOK_PATH = "/cds-services/lupus-nephritis"
INSTALL_HINT = "wrk is not installed: `apt-get install -y wrk` (Debian), then run again"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    body: Path | None
    connections: int


def workers() -> int:
    """gunicorn.conf.py's default: min(4, 2 × CPU)."""
    return min(4, 2 * (os.cpu_count() or 1))


def wrk_run(base_url: str, scenario: Scenario, seconds: float) -> dict[str, float]:
    env = {**os.environ, "LNCDS_BENCH_BODY": str(scenario.body) if scenario.body else ""}
    command = [
        "wrk",
        "-t1",
        f"-c{scenario.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url + scenario.path,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("LNCDS_WRK "):
            result: dict[str, float] = json.loads(line.removeprefix("LNCDS_WRK "))
            result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect", "read", "write", "status", "timeout")
            )
            return result
    raise RuntimeError(f"wrk printed no summary:\n{out}")


def check_hook(base_url: str, body: Path) -> str:
    """One call answered 200 with one card; returns its indicator."""
    response = requests.post(
        base_url + HOOK_PATH,
        data=body.read_bytes(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    if response.status_code != 200:
        raise RuntimeError(f"hook answered {response.status_code}: {response.text[:300]}")
    cards = response.json()["cards"]
    if len(cards) != 1:
        raise RuntimeError(f"expected one card, got {len(cards)}")
    indicator: str = cards[0]["indicator"]
    return indicator


def env_base(as_of: date) -> dict[str, str]:
    return {
        **image_env(),  # the Dockerfile's ENV (MALLOC_ARENA_MAX, ...)
        "LNCDS_AUTH": "off",
        "LNCDS_WORKERS": str(workers()),
        "LNCDS_AS_OF": as_of.isoformat(),
    }


def _sync_workers(
    hooks: dict[int, Path], env: dict[str, str], rounds: int, seconds: float
) -> list[str]:
    """Informative, not production: the 2,000-Observation scenarios with sync workers.

    gthread workers keep a keep-alive connection on the worker that accepted it, so several
    clients can share one worker (one GIL) while others idle; a sync worker serves one
    request at a time and accepts only when idle. Same workers, same load, same rounds.
    """
    from tests.gunicorn_server import running_gunicorn  # noqa: PLC0415

    scenarios = [
        Scenario("hook 2000 ×1", HOOK_PATH, hooks[2000], 1),
        Scenario("hook 2000 ×4", HOOK_PATH, hooks[2000], 4),
    ]
    results: dict[str, list[dict[str, float]]] = {s.name: [] for s in scenarios}
    with tempfile.TemporaryDirectory(prefix="lncds-bench-http-") as tmp:
        sync_env = {
            **env,
            "LNCDS_FEEDBACK_DB": str(Path(tmp) / "feedback.sqlite3"),
            "GUNICORN_CMD_ARGS": "--worker-class sync",
        }
        with running_gunicorn(sync_env) as server:
            check_hook(server.base_url, hooks[2000])
            for s in scenarios:
                wrk_run(server.base_url, s, 2)
            for r in range(rounds):
                for s in scenarios if r % 2 == 0 else list(reversed(scenarios)):
                    results[s.name].append(wrk_run(server.base_url, s, seconds))

    def fig(name: str, key: str) -> float:
        return median([r[key] for r in results[name]])

    errors = sum(r["errors"] for rs in results.values() for r in rs)
    ratio = fig("hook 2000 ×4", "p99_us") / fig("hook 2000 ×1", "p50_us")
    return [
        "",
        "Informative, not the production configuration: the same two 2,000-Observation",
        f"scenarios with `--worker-class sync` ({workers()} workers, one request at a time each):",
        "",
        "| scenario (sync workers) | requests/s | p50 | p95 | p99 | errors |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {s.name} | {fmt(fig(s.name, 'rate'))} | {fmt(fig(s.name, 'p50_us') / 1000)} | "
            f"{fmt(fig(s.name, 'p95_us') / 1000)} | {fmt(fig(s.name, 'p99_us') / 1000)} | "
            f"{sum(r['errors'] for r in results[s.name]):.0f} |"
            for s in scenarios
        ),
        "",
        f"With sync workers, p99 ×4 / p50 ×1 = {fmt(ratio)} ({errors:.0f} errors).",
    ]


def run(hooks: dict[int, Path], as_of: date, rounds: int, seconds: float) -> Section:
    from tests.gunicorn_server import running_gunicorn  # noqa: PLC0415

    if shutil.which("wrk") is None:
        raise SystemExit(INSTALL_HINT)
    n = workers()
    connections = 2 * n
    scenarios = [
        Scenario(f"discovery ×{connections}", "/cds-services", None, connections),
        Scenario(f"hook 100 ×{connections}", HOOK_PATH, hooks[100], connections),
        Scenario("discovery ×1", "/cds-services", None, 1),
        Scenario("hook 2000 ×1", HOOK_PATH, hooks[2000], 1),
        Scenario("hook 2000 ×4", HOOK_PATH, hooks[2000], 4),
    ]
    results: dict[str, list[dict[str, float]]] = {s.name: [] for s in scenarios}
    with tempfile.TemporaryDirectory(prefix="lncds-bench-http-") as tmp:
        env = {**env_base(as_of), "LNCDS_FEEDBACK_DB": str(Path(tmp) / "feedback.sqlite3")}
        with running_gunicorn(env) as server:
            indicators = {size: check_hook(server.base_url, hooks[size]) for size in (100, 2000)}
            for s in scenarios:  # warm-up: every worker imports, compiles and allocates once
                wrk_run(server.base_url, s, 2)
            for r in range(rounds):
                order = scenarios if r % 2 == 0 else list(reversed(scenarios))
                for s in order:
                    results[s.name].append(wrk_run(server.base_url, s, seconds))

    def fig(name: str, key: str) -> float:
        return median([r[key] for r in results[name]])

    section = Section("2. Over HTTP: gunicorn as in production, wrk on loopback")
    section.lines += [
        f"gunicorn: {n} workers × 4 threads (gthread), auth off, JSON logs and metrics as in",
        f"production. wrk: 1 thread, {rounds} rounds of {fmt(seconds)} s per scenario, scenarios",
        "alternated; figures are medians over the rounds. Latency in ms.",
        "",
        "| scenario | requests/s | p50 | p95 | p99 | max | errors | card |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in scenarios:
        card = ""
        if s.body is not None:
            card = indicators[100 if s.body == hooks[100] else 2000]
        errors = sum(r["errors"] for r in results[s.name])
        section.lines.append(
            f"| {s.name} | {fmt(fig(s.name, 'rate'))} | {fmt(fig(s.name, 'p50_us') / 1000)} | "
            f"{fmt(fig(s.name, 'p95_us') / 1000)} | {fmt(fig(s.name, 'p99_us') / 1000)} | "
            f"{fmt(fig(s.name, 'max_us') / 1000)} | {errors:.0f} | {card} |"
        )
    hook100 = f"hook 100 ×{connections}"
    floor = f"discovery ×{connections}"
    section.lines += [
        "",
        f"Floor: the 100-Observation hook runs at {fmt(fig(hook100, 'rate') / fig(floor, 'rate'))}"
        f" × the discovery rate under the same load; its p50 is "
        f"{fmt(fig(hook100, 'p50_us') / fig(floor, 'p50_us'))} × discovery's. One 2,000-"
        "Observation hook alone takes "
        f"{fmt(fig('hook 2000 ×1', 'p50_us') / fig('discovery ×1', 'p50_us'))} × a discovery "
        "call alone (p50).",
    ]
    section.data["http"] = dict(results)
    total_errors = sum(r["errors"] for rs in results.values() for r in rs)
    section.lines += _sync_workers(hooks, env_base(as_of), rounds, seconds)
    section.targets += [
        Target(
            f"hooks/s, 100 Obs, {connections} connections",
            fig(hook100, "rate"),
            300,
            unit="/s",
            higher_is_better=True,
            note=f"discovery floor: {fmt(fig(floor, 'rate'))}/s under the same load",
        ),
        Target(
            "p99 2,000 Obs ×4 clients / p50 2,000 Obs ×1 client",
            fig("hook 2000 ×4", "p99_us") / fig("hook 2000 ×1", "p50_us"),
            3.0,
            note=f"p99 {fmt(fig('hook 2000 ×4', 'p99_us') / 1000)} ms, "
            f"p50 {fmt(fig('hook 2000 ×1', 'p50_us') / 1000)} ms",
        ),
        Target("HTTP errors and non-2xx answers (all runs)", total_errors, 0, unit=""),
    ]
    return section
