"""Feedback is never lost: through the production server, into a real SQLite file and a real
PostgreSQL, read back with `ln-cds feedback export` as the clinical team would.

Each backend gets one gunicorn (two workers, auth on) for the module. What is pinned:
- a duplicate (an EHR retrying, even concurrently) is stored once;
- 20 concurrent writers through HTTP are all stored;
- a worker killed with SIGKILL while clients stream feedback loses nothing that was
  acknowledged: every item that got a 200 is in the export afterwards. Items whose call failed
  (connection reset by the dying worker) were never acknowledged and may or may not be stored.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.gunicorn_server import GunicornServer, running_gunicorn
from tests.ln_cds_command import run_ln_cds
from tests.trust.ehr import FEEDBACK_PATH, Ehr, feedback_item, item_key

PUBLIC_URL = "https://cds.trust-tests.example.org"
FEEDBACK_AUD = PUBLIC_URL + FEEDBACK_PATH

ItemKey = tuple[str, str, datetime]


@dataclass
class FeedbackService:
    server: GunicornServer
    database: str  # what `ln-cds feedback export --database` takes

    def post(self, ehr: Ehr, entries: list[dict[str, Any]], session: Any = requests) -> int:
        response = session.post(
            self.server.base_url + FEEDBACK_PATH,
            json={"feedback": entries},
            headers=ehr.headers(FEEDBACK_AUD),
            timeout=30,
        )
        status: int = response.status_code
        return status

    def exported(self) -> Counter[ItemKey]:
        """How often each item appears in `ln-cds feedback export --format json`."""
        result = run_ln_cds(
            "feedback", "export", "--format", "json", "--database", self.database, timeout=60
        )
        result.check_returncode()
        return Counter(item_key(row) for row in json.loads(result.stdout)["feedback"])


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def service(
    request: pytest.FixtureRequest, ehr: Ehr, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FeedbackService]:
    if request.param == "sqlite":
        database = str(tmp_path_factory.mktemp("sqlite") / "feedback.sqlite3")
        store_env = {"LNCDS_FEEDBACK_DB": database}
    else:
        database = request.getfixturevalue("postgres_url")
        store_env = {"LNCDS_DATABASE_URL": database}
    env = {**ehr.server_env(PUBLIC_URL), **store_env, "LNCDS_WORKERS": "2"}
    with running_gunicorn(env) as server:
        yield FeedbackService(server, database)


def run_concurrently(count: int, target: Any) -> None:
    """Start `count` threads on `target(n)` at once (a barrier), wait, re-raise any error."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            target(n)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_duplicate_feedback_is_stored_once(service: FeedbackService, ehr: Ehr) -> None:
    """The same item twice in one body, then retried by ten clients at once: one row."""
    entry = feedback_item()
    assert service.post(ehr, [entry, entry]) == 200
    statuses: list[int] = []
    run_concurrently(10, lambda n: statuses.append(service.post(ehr, [entry])))

    assert statuses == [200] * 10
    assert service.exported()[item_key(entry)] == 1


def test_twenty_concurrent_writers_are_all_stored(service: FeedbackService, ehr: Ehr) -> None:
    writers, calls, per_call = 20, 3, 2
    sent: list[dict[str, Any]] = []
    statuses: list[int] = []

    def writer(n: int) -> None:
        with requests.Session() as session:
            for _ in range(calls):
                entries = [feedback_item() for _ in range(per_call)]
                sent.extend(entries)
                statuses.append(service.post(ehr, entries, session))

    run_concurrently(writers, writer)

    assert statuses == [200] * (writers * calls)
    exported = service.exported()
    assert [item_key(e) for e in sent if exported[item_key(e)] != 1] == []
    assert len(sent) == writers * calls * per_call


@dataclass
class Stream:
    """Clients posting one new item per call until told to stop, recording what was acked."""

    service: FeedbackService
    ehr: Ehr
    acked: list[ItemKey] = field(default_factory=list)
    failed: int = 0  # calls that got no answer (the worker died under them)
    other_statuses: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            entry = feedback_item()
            try:
                status = self.service.post(self.ehr, [entry], session)
            except requests.RequestException:
                with self.lock:
                    self.failed += 1
                session.close()
                session = requests.Session()
                continue
            with self.lock:
                if status == 200:
                    self.acked.append(item_key(entry))
                else:
                    self.other_statuses.append(status)
        session.close()

    def wait_for_acks(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} of {count} acks"
            time.sleep(0.02)


def test_worker_killed_mid_stream_loses_no_acknowledged_item(
    service: FeedbackService, ehr: Ehr
) -> None:
    server = service.server
    stream = Stream(service, ehr)
    clients = [threading.Thread(target=stream.client) for _ in range(8)]
    for thread in clients:
        thread.start()
    killed: list[int] = []
    try:
        for _ in range(3):
            stream.wait_for_acks(len(stream.acked) + 25)
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            server.wait_for_workers(2, timeout=30, replacing=[victim])
        stream.wait_for_acks(len(stream.acked) + 25)  # the respawned workers take traffic
    finally:
        stream.stop.set()
        for thread in clients:
            thread.join()

    assert len(set(killed)) == 3
    assert stream.other_statuses == []
    exported = service.exported()
    lost = [key for key in stream.acked if exported[key] != 1]
    assert lost == [], f"{len(lost)} acknowledged item(s) missing of {len(stream.acked)}"
