"""`benchmarks/load.py`: its verdict rules (fast) and a 60-second run of it (slow, run in CI).

The rules are tested on made-up observations so that each criterion is seen to fail when it
should; the real run then starts the production server with auth on, a real redis-server and a
SQLite store, and must pass every criterion.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "load.py"
MIB = 1024 * 1024


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lncds_benchmark_load", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


load = _load_script()
KEY = (str(uuid.uuid4()), "accepted", datetime(2026, 12, 1, tzinfo=UTC))


def calls(**statuses: int) -> list[Any]:
    """Calls of every kind, all 200, plus `statuses` as {"s503": count} extra hook calls."""
    result = [load.Call(kind, 1.0, 0.01, 200) for kind, _ in load.MIX]
    for name, count in statuses.items():
        result += [load.Call("hook", 1.0, 0.01, int(name[1:]))] * count
    return result


def flat_samples(growth_mib: float = 0.0, pids: Sequence[int] = (11, 12)) -> list[Any]:
    """RSS every second for 100 s at 80 MiB, growing linearly by `growth_mib` over the run."""
    return [
        (float(t), pid, int((80 + growth_mib * t / 100) * MIB)) for t in range(101) for pid in pids
    ]


def verdict(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "calls": calls(),
        "errors": {},
        "acked": {KEY},
        "exported": {KEY},
        "samples": flat_samples(),
        "workers_at_start": [11, 12],
        "workers_at_end": [11, 12],
        "duration": 100.0,
    }
    arguments.update(changes)
    calls_, errors = arguments.pop("calls"), arguments.pop("errors")
    report: dict[str, Any] = load.evaluate(calls_, errors, **arguments)
    return report


def failed(report: dict[str, Any]) -> list[str]:
    return [name for name, ok in report["criteria"].items() if not ok]


def test_clean_run_passes_every_criterion() -> None:
    report = verdict()
    assert failed(report) == []
    assert report["passed"] is True


def test_a_5xx_fails_the_run() -> None:
    assert failed(verdict(calls=calls(s503=1))) == ["no_5xx", "all_answered"]


def test_any_status_but_200_or_a_transport_error_fails_the_run() -> None:
    assert failed(verdict(calls=calls(s401=1))) == ["all_answered"]
    assert failed(verdict(errors={"ConnectionError": 1})) == ["all_answered"]


def test_an_acknowledged_item_missing_from_the_export_fails_the_run() -> None:
    report = verdict(exported=set())
    assert failed(report) == ["no_lost_feedback"]
    assert report["feedback"]["lost_items"] == 1


def test_memory_growth_beyond_the_rule_fails_the_run() -> None:
    # early window 20-40 s, late window 80-100 s: linear growth of g over 100 s moves the
    # median by 0.6 g, so 12 MiB over the run is 7.2 MiB (within 8) and 20 MiB is 12 (beyond).
    assert failed(verdict(samples=flat_samples(growth_mib=12))) == []
    assert failed(verdict(samples=flat_samples(growth_mib=20))) == ["flat_memory"]


def test_a_replaced_worker_fails_the_run() -> None:
    assert failed(verdict(workers_at_end=[11, 13])) == ["workers_stable"]


def test_a_kind_of_traffic_that_never_succeeded_fails_the_run() -> None:
    only_hooks = [load.Call("hook", 1.0, 0.01, 200)]
    assert failed(verdict(calls=only_hooks)) == ["traffic_of_each_kind"]


def test_memory_windows_follow_the_stated_rule() -> None:
    assert load.memory_windows(60.0) == ((12.0, 24.0), (48.0, 60.0))
    assert load.memory_windows(600.0) == ((60.0, 180.0), (480.0, 600.0))


def test_prefetch_answers_each_template_like_a_fhir_server() -> None:
    patient = {"resourceType": "Patient", "id": "p1"}
    protein = {
        "resourceType": "Observation",
        "id": "o1",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2890-2"}]},
    }
    platelets = {
        "resourceType": "Observation",
        "id": "o2",
        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
    }
    templates = {
        "patient": "Patient/{{context.patientId}}",
        "proteinuria": "Observation?patient={{context.patientId}}&code=http://loinc.org|2890-2"
        "&_sort=-date&_count=1000",
        "medications": "MedicationRequest?patient={{context.patientId}}",
    }

    prefetch = load.prefetch_for(templates, "p1", [patient, protein, platelets])

    assert prefetch["patient"] == patient
    assert [e["resource"]["id"] for e in prefetch["proteinuria"]["entry"]] == ["o1"]
    assert prefetch["medications"] == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 0,
        "entry": [],
    }
    with pytest.raises(load.SetupError, match="date"):
        load.prefetch_for({"x": "Observation?patient=p1&date=ge2020"}, "p1", [])


@pytest.mark.slow
@pytest.mark.redis
def test_sixty_seconds_of_mixed_traffic_pass_every_criterion(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server not installed (run scripts/install-test-deps)")
    out = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "60", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["criteria"] == dict.fromkeys(report["criteria"], True)
    assert report["setup"]["replay_cache"] == "redis"
    assert report["feedback"]["acknowledged_items"] > 0
    assert report["feedback"]["lost_items"] == 0
    assert report["per_kind"]["hook"]["ok"] > 0
    assert out.with_suffix(".txt").read_text().rstrip().endswith("PASSED")
