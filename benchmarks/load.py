"""Soak test: N minutes of mixed CDS Hooks traffic against the production server on loopback.

    python benchmarks/load.py                       # 10 minutes, 20 clients, SQLite store
    python benchmarks/load.py --seconds 60          # the CI form (tests/trust/test_load.py)
    python benchmarks/load.py --database postgresql://user@127.0.0.1:5432/lncds

What it starts (all on 127.0.0.1, all stopped at the end):
- a throw-away `redis-server` as the shared JWT replay cache (or `--redis-url`; without
  either, each worker's in-memory cache, which the report says);
- the production command, the Dockerfile's exec-form CMD (`gunicorn -c gunicorn.conf.py
  wsgi:app`, started by tests/gunicorn_server.py as the tests start it), with `LNCDS_WORKERS`
  workers, auth ON, a trusted-issuers file naming an ES384 key generated for this run
  (tests/trust/ehr.py's stand-in EHR, under an issuer of its own), `LNCDS_PUBLIC_URL` as the
  JWT audience base, and the feedback store (a SQLite file in a temp dir unless `--database`
  names one).

What it sends: `--clients` threads (default 20), each a keep-alive `requests.Session` like an
EHR's connection pool, each call with its own freshly signed JWT (unique `jti`, `aud` = the
endpoint's URL). The mix: 70 % `patient-view` hook calls for the 18 demo-cohort patients with
every prefetch key filled in (built from the discovery document's templates, as an EHR
would), 20 % feedback (1-3 items; one call in ten re-sends an already acknowledged body, as an
EHR retrying after a timeout does), 10 % discovery.

What it checks (exit status 1 when any fails, 2 when the run could not be set up):
- `no_5xx`: no response with a 5xx status;
- `all_answered`: no transport error (refused/reset connection, timeout) and no status other
  than 200 (a 401 here would be a false replay alarm, a 412 a prefetch the service ignored);
- `no_lost_feedback`: every feedback item that got a 200 is in `ln-cds feedback export` after the
  server stopped (compared on the store's idempotency key: card, outcome, outcomeTimestamp);
- `workers_stable`: the same worker processes from start to end (a crash or a timeout kill
  would replace one, and would hide memory growth);
- `flat_memory`: for each worker, the median RSS of the late window (the last 20 % of the run)
  exceeds the median of the early window (the 20 % after a warm-up of min(60 s, 20 % of the
  run)) by at most max(8 MiB, 5 % of the early median). After warm-up a healthy worker's RSS
  is flat (measured: +0.1 to +0.2 MiB over 10 minutes); even at 60 calls/s per worker a leak
  of 1 KiB per call moves the median by ~25 MiB between the windows of a 10-minute run and
  fails this;
- `traffic_of_each_kind`: at least one successful call of each kind (no vacuous pass).

Output: a JSON report (`--out`, default `load-report.json`) and a human summary on stdout and
next to the JSON (`.txt`). Latencies are measured by the client, which shares the machine's cores
with the server: they are an upper bound of the service's own time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/load.py` puts only benchmarks/ on the path
    sys.path.insert(0, str(ROOT))

from tests.gunicorn_server import GunicornError, GunicornServer, running_gunicorn  # noqa: E402
from tests.ports import free_port  # noqa: E402
from tests.trust.ehr import Ehr, item_key  # noqa: E402

PUBLIC_URL = "https://cds.load-test.example.org"
ISS = "https://ehr.load-test.example.org"
KID = "load-test-es384"
SERVICE_ID = "lupus-nephritis"
SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
FEEDBACK_PATH = SERVICE_PATH + "/feedback"
DISCOVERY_PATH = "/cds-services"
MIX = (("hook", 0.7), ("feedback", 0.2), ("discovery", 0.1))
RETRY_SHARE = 0.1  # of feedback calls: re-send an acknowledged body
OVERRIDE_REASON = {
    "system": "http://example.org/fhir/CodeSystem/ln-cds-card-override-reason",
    "code": "already-addressed",
    "display": "Already addressed or being managed",
}
HOOK_INSTANCE_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0
REQUEST_TIMEOUT_SECONDS = 30.0
MIB = 1024 * 1024
FLAT_MEMORY_MIN_BYTES = 8 * MIB
FLAT_MEMORY_SHARE = 0.05


class SetupError(Exception):
    """The run could not be set up (exit status 2): nothing was measured."""


# --- prefetch from the discovery document's templates ------------------------------------------


def prefetch_for(
    templates: Mapping[str, str], patient_id: str, resources: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Every prefetch key filled in from the patient's resources, as an EHR's FHIR server would
    answer each template: a read gives the resource, a search a searchset Bundle."""
    return {
        key: _answer(template.replace("{{context.patientId}}", patient_id), resources)
        for key, template in templates.items()
    }


def _answer(query: str, resources: Sequence[Mapping[str, Any]]) -> Any:
    path, _, query_string = query.partition("?")
    if not query_string:  # a read: Type/id
        resource_type, _, resource_id = path.partition("/")
        for resource in resources:
            if resource["resourceType"] == resource_type and resource.get("id") == resource_id:
                return resource
        return None
    codes: set[tuple[str, str]] | None = None
    for name, value in parse_qsl(query_string):
        if name == "code":
            codes = {_token(t) for t in value.split(",")}
        elif name not in ("patient", "_sort", "_count"):
            raise SetupError(
                f"prefetch template with a parameter this script cannot answer: {name}"
            )
    matches = [
        r for r in resources if r["resourceType"] == path and (codes is None or _has_code(r, codes))
    ]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in matches],
    }


def _token(text: str) -> tuple[str, str]:
    system, _, code = text.rpartition("|")
    return system, code


def _has_code(resource: Mapping[str, Any], codes: set[tuple[str, str]]) -> bool:
    codings = (resource.get("code") or {}).get("coding") or []
    return any((c.get("system", ""), c.get("code", "")) in codes for c in codings)


def hook_bodies(templates: Mapping[str, str]) -> list[bytes]:
    """One serialised patient-view request per demo-cohort patient (hookInstance replaced per
    call), built once: the load generator should spend its time waiting, not encoding JSON."""
    from cds.demo import load_cohort  # noqa: PLC0415 - the project's own synthetic cohort

    bodies = []
    for patient in load_cohort():
        body = {
            "hook": "patient-view",
            "hookInstance": HOOK_INSTANCE_PLACEHOLDER,
            "context": {"userId": "Practitioner/load-test", "patientId": patient.id},
            "prefetch": prefetch_for(templates, patient.id, patient.resources()),
        }
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


# --- the servers ------------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str | None]:
    """A throw-away redis-server on loopback, or None when none is installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    args = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(directory),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    with (directory / "redis.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


@contextlib.contextmanager
def gunicorn(env: Mapping[str, str], workers: int) -> Iterator[GunicornServer]:
    """The production command (tests/gunicorn_server.py), once all `workers` have booted."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(
                running_gunicorn(
                    env,
                    path="/healthz",
                    startup_timeout=STARTUP_TIMEOUT_SECONDS,
                    stop_timeout=STOP_TIMEOUT_SECONDS,
                )
            )
            server.wait_for_workers(workers, STARTUP_TIMEOUT_SECONDS)
        except GunicornError as exc:
            raise SetupError(str(exc)) from exc
        yield server


def _wait_for_port(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"{name} exited with {process.returncode} at start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise SetupError(f"{name} did not listen within {STARTUP_TIMEOUT_SECONDS} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def rss_bytes(pid: int) -> int | None:
    """Resident set size of a process, from /proc (Linux), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


# --- the traffic ------------------------------------------------------------------------------


@dataclass
class Call:
    kind: str
    started: float  # seconds since the run started
    seconds: float
    status: int | None  # None: no answer (transport error)


@dataclass
class Record:
    """Everything the clients observed, appended under one lock."""

    calls: list[Call] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    acked: set[tuple[str, str, datetime]] = field(default_factory=set)
    acked_bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def new_feedback(rng: random.Random) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 3)):
        when = datetime.now(UTC).isoformat(timespec="microseconds")
        if rng.random() < 0.5:
            items.append(
                {
                    "card": str(uuid.uuid4()),
                    "outcome": "accepted",
                    "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                    "outcomeTimestamp": when,
                }
            )
        else:
            items.append(
                {
                    "card": str(uuid.uuid4()),
                    "outcome": "overridden",
                    "overrideReason": {"reason": OVERRIDE_REASON},
                    "outcomeTimestamp": when,
                }
            )
    return {"feedback": items}


@dataclass(frozen=True)
class Traffic:
    """What every client shares: where to send, what to send, and until when."""

    base_url: str
    ehr: Ehr
    bodies: Sequence[bytes]
    record: Record
    t0: float
    deadline: float
    seed: int


def client(n: int, traffic: Traffic) -> None:
    """One EHR connection pool: mixed calls, one at a time, until the deadline."""
    base_url, ehr, bodies, record = traffic.base_url, traffic.ehr, traffic.bodies, traffic.record
    t0, deadline, seed = traffic.t0, traffic.deadline, traffic.seed
    rng = random.Random(seed * 1000 + n)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    session = requests.Session()
    placeholder = HOOK_INSTANCE_PLACEHOLDER.encode()
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        feedback: dict[str, Any] | None = None
        if kind == "hook":
            path = SERVICE_PATH
            data: bytes | None = rng.choice(bodies).replace(placeholder, str(uuid.uuid4()).encode())
        elif kind == "feedback":
            path = FEEDBACK_PATH
            with record.lock:
                retry = record.acked_bodies and rng.random() < RETRY_SHARE
                data = rng.choice(record.acked_bodies) if retry else None
            if data is None:
                feedback = new_feedback(rng)
                data = json.dumps(feedback).encode()
        else:
            path, data = DISCOVERY_PATH, None
        headers = ehr.headers(PUBLIC_URL + path)  # a fresh token: unique jti, five minutes
        if data is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        status: int | None = None
        try:
            if data is None:
                response = session.get(
                    base_url + path, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
                )
            else:
                response = session.post(
                    base_url + path, data=data, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
                )
            status = response.status_code
        except requests.RequestException as exc:
            with record.lock:
                record.errors[type(exc).__name__] += 1
            session.close()
            session = requests.Session()
        elapsed = time.monotonic() - started
        with record.lock:
            record.calls.append(Call(kind, started - t0, elapsed, status))
            if status == 200 and feedback is not None and data is not None:
                record.acked.update(item_key(e) for e in feedback["feedback"])
                record.acked_bodies.append(data)
    session.close()


def sample_memory(
    server: GunicornServer,
    samples: list[tuple[float, int, int]],
    t0: float,
    stop: threading.Event,
    interval: float,
) -> None:
    """(seconds since start, worker pid, RSS bytes) every `interval` seconds until `stop`."""
    while True:
        now = time.monotonic() - t0
        for pid in server.worker_pids():
            rss = rss_bytes(pid)
            if rss is not None:
                samples.append((now, pid, rss))
        if stop.wait(interval):
            return


def exported_feedback(database: str) -> set[tuple[str, str, datetime]]:
    """Every stored item, read the way the clinical team reads it: `ln-cds feedback export`."""
    ln_cds = Path(sys.executable).with_name("ln-cds")
    command = [
        str(ln_cds) if ln_cds.exists() else "ln-cds",
        "feedback",
        "export",
        "--format",
        "json",
        "--database",
        database,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise SetupError(f"ln-cds feedback export failed: {result.stderr.strip()}")
    return {item_key(row) for row in json.loads(result.stdout)["feedback"]}


# --- the verdict ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def memory_windows(duration: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The early and late windows (seconds since start) compared by the flat-memory rule."""
    warmup = min(60.0, 0.2 * duration)
    span = 0.2 * duration
    return (warmup, warmup + span), (duration - span, duration)


def memory_verdict(samples: Sequence[tuple[float, int, int]], duration: float) -> dict[str, Any]:
    """Per worker: early and late median RSS and whether growth stays within the rule."""
    (early_from, early_to), (late_from, late_to) = memory_windows(duration)
    workers: dict[str, Any] = {}
    flat = True
    for pid in sorted({pid for _, pid, _ in samples}):
        early = [rss for t, p, rss in samples if p == pid and early_from <= t <= early_to]
        late = [rss for t, p, rss in samples if p == pid and late_from <= t <= late_to + 1]
        if not early or not late:
            workers[str(pid)] = {"note": "not sampled in both windows"}
            flat = False
            continue
        early_median = statistics.median(early)
        late_median = statistics.median(late)
        allowed = max(FLAT_MEMORY_MIN_BYTES, FLAT_MEMORY_SHARE * early_median)
        growth = late_median - early_median
        workers[str(pid)] = {
            "early_median_mib": round(early_median / MIB, 1),
            "late_median_mib": round(late_median / MIB, 1),
            "growth_mib": round(growth / MIB, 2),
            "allowed_growth_mib": round(allowed / MIB, 2),
            "flat": growth <= allowed,
        }
        flat = flat and growth <= allowed
    return {
        "rule": (
            "per worker: median RSS in the late window minus median RSS in the early window "
            f"<= max({FLAT_MEMORY_MIN_BYTES // MIB} MiB, {FLAT_MEMORY_SHARE:.0%} of the early "
            "median)"
        ),
        "early_window_s": [round(early_from, 1), round(early_to, 1)],
        "late_window_s": [round(late_from, 1), round(late_to, 1)],
        "workers": workers,
        "flat": flat and bool(workers),
    }


def evaluate(
    calls: Sequence[Call],
    errors: Mapping[str, int],
    *,
    acked: set[tuple[str, str, datetime]],
    exported: set[tuple[str, str, datetime]],
    samples: Sequence[tuple[float, int, int]],
    workers_at_start: Sequence[int],
    workers_at_end: Sequence[int],
    duration: float,
) -> dict[str, Any]:
    """The report's numbers and the pass/fail of each criterion (see the module docstring)."""
    statuses = Counter(str(c.status) for c in calls if c.status is not None)
    per_kind: dict[str, Any] = {}
    for kind, _ in MIX:
        mine = [c for c in calls if c.kind == kind]
        ok = [c.seconds for c in mine if c.status == 200]
        per_kind[kind] = {
            "calls": len(mine),
            "ok": len(ok),
            "per_second": round(len(ok) / duration, 2) if duration else 0.0,
            "p50_ms": round(percentile(ok, 50) * 1000, 1) if ok else None,
            "p95_ms": round(percentile(ok, 95) * 1000, 1) if ok else None,
            "p99_ms": round(percentile(ok, 99) * 1000, 1) if ok else None,
            "max_ms": round(max(ok) * 1000, 1) if ok else None,
        }
    server_errors = sum(n for s, n in statuses.items() if s.startswith("5"))
    unexpected = sum(n for s, n in statuses.items() if s != "200")
    lost = acked - exported
    memory = memory_verdict(samples, duration)
    criteria = {
        "no_5xx": server_errors == 0,
        "all_answered": sum(errors.values()) == 0 and unexpected == 0,
        "no_lost_feedback": not lost,
        "workers_stable": sorted(workers_at_start) == sorted(workers_at_end)
        and len(workers_at_start) > 0,
        "flat_memory": memory["flat"],
        "traffic_of_each_kind": all(per_kind[k]["ok"] > 0 for k, _ in MIX),
    }
    return {
        "duration_s": round(duration, 1),
        "calls": len(calls),
        "statuses": dict(sorted(statuses.items())),
        "transport_errors": dict(errors),
        "server_errors_5xx": server_errors,
        "per_kind": per_kind,
        "feedback": {
            "acknowledged_items": len(acked),
            "exported_items": len(exported),
            "lost_items": len(lost),
        },
        "workers": {"at_start": list(workers_at_start), "at_end": list(workers_at_end)},
        "memory": memory,
        "criteria": criteria,
        "passed": all(criteria.values()),
    }


def summary(report: Mapping[str, Any]) -> str:
    """The report in a few lines a person reads."""
    setup = report["setup"]
    lines = [
        f"LN-CDS load: {report['duration_s']} s, {setup['clients']} clients, "
        f"{setup['workers']} gunicorn workers, auth on, replay cache {setup['replay_cache']}, "
        f"feedback store {setup['feedback_store']}",
        f"calls: {report['calls']}  statuses: {report['statuses']}  "
        f"transport errors: {report['transport_errors'] or 0}",
    ]
    for kind, numbers in report["per_kind"].items():
        lines.append(
            f"  {kind:<9} {numbers['ok']:>6} ok  {numbers['per_second']:>7}/s  "
            f"p50 {numbers['p50_ms']} ms  p95 {numbers['p95_ms']} ms  p99 {numbers['p99_ms']} ms"
        )
    fb = report["feedback"]
    lines.append(
        f"feedback: {fb['acknowledged_items']} items acknowledged, {fb['exported_items']} "
        f"exported, {fb['lost_items']} lost"
    )
    memory = report["memory"]
    lines.append(
        f"memory ({memory['rule']}; early {memory['early_window_s']} s, "
        f"late {memory['late_window_s']} s):"
    )
    for pid, numbers in memory["workers"].items():
        lines.append(f"  worker {pid}: {numbers}")
    for name, ok in report["criteria"].items():
        lines.append(f"  [{'PASS' if ok else 'FAIL'}] {name}")
    lines.append("PASSED" if report["passed"] else "FAILED")
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    duration = args.seconds if args.seconds is not None else args.minutes * 60
    if duration <= 0:
        raise SetupError("the run needs a positive duration")
    with tempfile.TemporaryDirectory(prefix="lncds-load-") as tmp:
        directory = Path(tmp)
        ehr = Ehr(directory, iss=ISS, kid=KID)
        database = args.database or str(directory / "feedback.sqlite3")
        store_env = (
            {"LNCDS_DATABASE_URL": database}
            if database.startswith(("postgres://", "postgresql://"))
            else {"LNCDS_FEEDBACK_DB": database}
        )
        with contextlib.ExitStack() as stack:
            redis_url = args.redis_url or stack.enter_context(redis_server(directory))
            env = {
                "LNCDS_AUTH": "on",
                "LNCDS_TRUSTED_ISSUERS_FILE": str(ehr.issuers_file),
                "LNCDS_PUBLIC_URL": PUBLIC_URL,
                "LNCDS_WORKERS": str(args.workers),
                **store_env,
                **({"LNCDS_REDIS_URL": redis_url} if redis_url else {}),
            }
            server = stack.enter_context(gunicorn(env, args.workers))
            discovery = requests.get(server.base_url + DISCOVERY_PATH, timeout=10)
            discovery.raise_for_status()
            (service,) = [s for s in discovery.json()["services"] if s["id"] == SERVICE_ID]
            bodies = hook_bodies(service["prefetch"])

            record = Record()
            samples: list[tuple[float, int, int]] = []
            workers_at_start = server.worker_pids()
            stop_sampling = threading.Event()
            t0 = time.monotonic()
            deadline = t0 + duration
            sampler = threading.Thread(
                target=sample_memory,
                args=(server, samples, t0, stop_sampling, args.sample_seconds),
            )
            sampler.start()
            traffic = Traffic(server.base_url, ehr, bodies, record, t0, deadline, args.seed)
            clients = [
                threading.Thread(target=client, args=(n, traffic)) for n in range(args.clients)
            ]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            elapsed = time.monotonic() - t0
            stop_sampling.set()
            sampler.join()
            workers_at_end = server.worker_pids()
        # The server has stopped: export reads only what was committed.
        exported = exported_feedback(database)
    report = evaluate(
        record.calls,
        record.errors,
        acked=record.acked,
        exported=exported,
        samples=samples,
        workers_at_start=workers_at_start,
        workers_at_end=workers_at_end,
        duration=elapsed,
    )
    report["setup"] = {
        "clients": args.clients,
        "workers": args.workers,
        "requested_duration_s": duration,
        "mix": dict(MIX),
        "replay_cache": "redis" if redis_url else "in-memory (per worker)",
        "feedback_store": "postgresql" if "LNCDS_DATABASE_URL" in store_env else "sqlite",
        "cpu_count": os.cpu_count(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    report["memory_samples"] = [
        {"t_s": round(t, 1), "pid": pid, "rss_mib": round(rss / MIB, 1)} for t, pid, rss in samples
    ]
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=10.0, help="run length (10)")
    length.add_argument("--seconds", type=float, help="run length in seconds (overrides)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--database", help="postgresql:// URL or SQLite path (temp SQLite)")
    parser.add_argument("--redis-url", help="replay cache (default: a throw-away redis-server)")
    parser.add_argument("--sample-seconds", type=float, default=2.0, help="RSS sampling (2)")
    parser.add_argument("--seed", type=int, default=7, help="traffic mix seed (7)")
    parser.add_argument("--out", type=Path, default=Path("load-report.json"), help="JSON report")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except SetupError as exc:
        print(f"load: could not set up the run: {exc}", file=sys.stderr)
        return 2
    text = summary(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n", "utf-8")
    args.out.with_suffix(".txt").write_text(text + "\n", "utf-8")
    print(text)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
