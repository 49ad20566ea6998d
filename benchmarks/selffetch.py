"""Part 3: the hook without prefetch, fetching everything from a real HAPI FHIR server.

A HAPI FHIR JPA server (tests/hapi_server.py: our pinned build, in-memory H2, loopback, in
its own run directory, `_count` honoured up to 1000) is loaded with the 2,000-Observation
patient. The service (built by `create_app`, in this process, allowed to call that server
over http) answers the hook with no prefetch, so it self-fetches every discovery query.

- Requests: every HTTP request the service sends is counted by an adapter wrapped around
  its own session, with the most in flight at once. The minimum is one request per query
  per page (pages from the `total` HAPI reports for each query at the same page size).
- Time: the whole hook call (Flask test client, request to response) against the slowest
  of the same queries when each is sent alone (GET, read, `json.loads`, one session),
  alternated round after round. Target: hook ≤ 1.2 × slowest + 15 ms.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import requests
from common import Section, Target, fmt, median, ms
from requests.adapters import BaseAdapter

PAGE_SIZE = 1000  # the service's `_count`; HAPI started to honour it
HAPI_DEFAULT_PAGE_SIZE = 20  # a search without `_count` (tests/hapi_server.py's default)


class CountingAdapter(BaseAdapter):
    """Wraps a requests adapter: counts requests, the most in flight, and their URLs."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self._inner = inner
        self._lock = threading.Lock()
        self.count = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.urls: list[str] = []

    def reset(self) -> None:
        with self._lock:
            self.count = self.in_flight = self.max_in_flight = 0
            self.urls = []

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.count += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.urls.append(str(request.url))
        try:
            return self._inner.send(request, *args, **kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1

    def close(self) -> None:
        self._inner.close()


def load_patient(base_url: str, patient_file: Path) -> None:
    """PUT every resource of the collection Bundle in one transaction (client ids)."""
    bundle = json.loads(patient_file.read_text("utf-8"))
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": e["resource"],
                "request": {
                    "method": "PUT",
                    "url": f"{e['resource']['resourceType']}/{e['resource']['id']}",
                },
            }
            for e in bundle["entry"]
        ],
    }
    response = requests.post(
        base_url,
        data=json.dumps(transaction),
        headers={"Content-Type": "application/fhir+json"},
        timeout=600,
    )
    if response.status_code != 200:
        raise RuntimeError(f"HAPI transaction answered {response.status_code}")


def queries_for(patient_id: str) -> dict[str, str]:
    from cds.web.lupus_nephritis import prefetch_templates  # noqa: PLC0415

    return {
        key: template.replace("{{context.patientId}}", patient_id)
        for key, template in prefetch_templates().items()
    }


def minimum_requests(session: requests.Session, base_url: str, queries: dict[str, str]) -> int:
    """One per read; per search, one per page of `total` matches (at least one).

    A search with `_count` gets pages of that size (HAPI honours up to PAGE_SIZE), one
    without gets HAPI's default page size.
    """
    needed = 0
    for query in queries.values():
        if "?" not in query:
            needed += 1
            continue
        page = PAGE_SIZE if f"_count={PAGE_SIZE}" in query else HAPI_DEFAULT_PAGE_SIZE
        counted = query.replace(f"&_count={PAGE_SIZE}", "") + "&_summary=count"
        total = session.get(f"{base_url}/{counted}", timeout=60).json()["total"]
        needed += max(1, math.ceil(total / page))
    return needed


def run(patient_file: Path, patient_id: str, as_of: date, rounds: int) -> Section:
    from tests.hapi_server import HapiServer  # noqa: PLC0415

    if not HapiServer.is_available():
        raise SystemExit("HAPI needs java (17) and mvn on PATH; see hapi/README.md")
    with tempfile.TemporaryDirectory(prefix="lncds-bench-hapi-") as tmp:
        server = HapiServer(
            run_dir=Path(tmp), default_page_size=HAPI_DEFAULT_PAGE_SIZE, max_page_size=PAGE_SIZE
        )
        base_url = server.start()
        try:
            return _measure(
                base_url,
                patient_file=patient_file,
                patient_id=patient_id,
                as_of=as_of,
                rounds=rounds,
            )
        finally:
            server.stop()


def _measure(
    base_url: str, *, patient_file: Path, patient_id: str, as_of: date, rounds: int
) -> Section:
    import gc  # noqa: PLC0415

    from cds.config import Config  # noqa: PLC0415
    from cds.datasources.http import new_session  # noqa: PLC0415
    from cds.web.app import create_app  # noqa: PLC0415

    started = time.monotonic()
    load_patient(base_url, patient_file)
    load_seconds = time.monotonic() - started

    app = create_app(
        Config(
            auth=False,
            fhir_allowed_servers=(base_url,),
            fhir_allow_http=True,
            as_of=as_of,
            log_level="WARNING",
        )
    )
    gc.freeze()  # as the gunicorn master does (gunicorn.conf.py when_ready)
    session: requests.Session = app.extensions["ln_cds"]["session"]
    counters = []
    for prefix, adapter in list(session.adapters.items()):
        counting = CountingAdapter(adapter)
        session.mount(prefix, counting)
        counters.append(counting)
    client = app.test_client()
    hook_body = json.dumps(
        {
            "hook": "patient-view",
            "hookInstance": "3c5a1e0b-2f4d-4b6a-9c8e-7d1f0a2b3c4d",
            "fhirServer": base_url,
            "context": {"userId": "Practitioner/bench-nephrologist", "patientId": patient_id},
        }
    )

    def hook() -> None:
        response = client.post(
            "/cds-services/lupus-nephritis", data=hook_body, content_type="application/json"
        )
        if response.status_code != 200 or len(response.get_json()["cards"]) != 1:
            raise RuntimeError(f"self-fetch hook answered {response.status_code}")

    alone = new_session()
    queries = queries_for(patient_id)

    def query_alone(query: str) -> None:
        response = alone.get(
            f"{base_url}/{query}", headers={"Accept": "application/fhir+json"}, timeout=60
        )
        if response.status_code != 200:
            raise RuntimeError(f"{query} answered {response.status_code}")
        json.loads(response.content)

    pool = ThreadPoolExecutor(max_workers=len(queries))

    def all_in_parallel() -> None:
        for future in [pool.submit(query_alone, q) for q in queries.values()]:
            future.result()

    needed = minimum_requests(alone, base_url, queries)
    for _ in range(3):  # warm-up: HAPI's JIT and caches, our pools
        hook()
        for q in queries.values():
            query_alone(q)

    parallel_times: list[float] = []
    hook_times: list[float] = []
    query_times: dict[str, list[float]] = {k: [] for k in queries}
    counts: list[int] = []
    parallel: list[int] = []
    for r in range(rounds):
        steps: list[tuple[str, Any]] = [("hook", None), ("parallel", None), *queries.items()]
        if r % 2:
            steps.reverse()
        for key, query in steps:
            t0 = time.perf_counter()
            if key == "hook":
                for c in counters:
                    c.reset()
                hook()
                hook_times.append(time.perf_counter() - t0)
                counts.append(sum(c.count for c in counters))
                parallel.append(max(c.max_in_flight for c in counters))
            elif key == "parallel":
                all_in_parallel()
                parallel_times.append(time.perf_counter() - t0)
            else:
                query_alone(query)
                query_times[key].append(time.perf_counter() - t0)
    pool.shutdown()

    per_query = {k: median(v) for k, v in query_times.items()}
    parallel_median = median(parallel_times)
    slowest_key = max(per_query, key=lambda k: per_query[k])
    slowest = per_query[slowest_key]
    hook_median = median(hook_times)
    limit = 1.2 * slowest + 0.015
    section = Section("3. Self-fetch from a real HAPI FHIR server")
    section.lines += [
        "HAPI FHIR 8.8.0 (tests/hapi_server.py) on loopback, loaded with the 2,000-Observation",
        f"patient in one transaction ({fmt(load_seconds)} s); `_count` honoured up to "
        f"{PAGE_SIZE}. The service",
        "runs in this process (Flask test client, auth off, plain http allowed for loopback).",
        f"{rounds} rounds, each the hook once and every query alone once, order alternated.",
        "",
        f"- HTTP requests per hook: {min(counts)}–{max(counts)} (minimum: {needed}, one per "
        f"query per page); at most {max(parallel)} in flight at once "
        f"({len(queries)} queries).",
        f"- Hook without prefetch: median {ms(hook_median)} ms "
        f"(p95 {ms(sorted(hook_times)[int(0.95 * (len(hook_times) - 1))])} ms).",
        f"- Slowest query alone: `{slowest_key}`, median {ms(slowest)} ms; "
        f"limit 1.2 × {ms(slowest)} + 15 = {ms(limit)} ms.",
        f"- The same {len(queries)} queries all at once from a plain client (one thread each, "
        f"no service): median {ms(parallel_median)} ms, i.e. what the FHIR server needs to "
        f"answer the set in parallel on this machine; the hook takes "
        f"{fmt(hook_median / parallel_median)} × that "
        f"(+{ms(hook_median - parallel_median)} ms for decoding, mapping, rules and cards).",
        "",
        "| query (alone) | median | p95 |",
        "|---|---:|---:|",
    ]
    for key, values in query_times.items():
        section.lines.append(
            f"| `{key}` | {ms(median(values))} ms | "
            f"{ms(sorted(values)[int(0.95 * (len(values) - 1))])} ms |"
        )
    section.lines += [
        f"| sum of all queries alone | {ms(sum(per_query.values()))} ms | |",
    ]
    section.targets += [
        Target(
            "self-fetch HTTP requests per hook / minimum",
            max(counts) / needed,
            1.0,
            note=f"{max(counts)} requests, {needed} needed; {max(parallel)} in flight at once",
        ),
        Target(
            "self-fetch hook / (1.2 × slowest query alone + 15 ms)",
            hook_median / limit,
            1.0,
            note=f"hook {ms(hook_median)} ms, slowest query `{slowest_key}` {ms(slowest)} ms",
        ),
    ]
    section.targets.append(
        Target(
            "self-fetch hook / the same queries in parallel from a plain client",
            hook_median / parallel_median,
            1.2,
            note="informative floor (no target in the issue): the server's own parallel time",
        )
    )
    section.data["selffetch"] = {
        "parallel": parallel_times,
        "hook": hook_times,
        "queries": query_times,
        "counts": counts,
        "needed": needed,
    }
    return section
