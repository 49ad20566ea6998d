"""The newcomer's path on a clean install: `./scripts/demo` installs only the runtime
dependencies (`pip install -e .`), so the demo must serve /demo, a card and the trend view
without any test-only or optional package. Run in a subprocess where every module that only
an optional extra (test, redis, postgres) brings is made unimportable."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _runtime_closure(roots: list[str]) -> set[str]:
    """The runtime dependencies and everything they install (extras and markers honoured)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in roots]
    while todo:
        req = todo.pop()
        name = _name(str(req))
        if name in seen:
            continue
        seen.add(name)
        try:
            children = requires(req.name) or []
        except PackageNotFoundError:
            continue
        for child in children:
            parsed = Requirement(child)
            if parsed.marker is None or any(
                parsed.marker.evaluate({"extra": extra}) for extra in ("", *req.extras)
            ):
                todo.append(parsed)
    return seen


def _optional_only_modules() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    runtime = _runtime_closure(list(project["dependencies"]))
    optional = {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    modules: dict[str, set[str]] = defaultdict(set)
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules[re.sub(r"[-_.]+", "-", dist).lower()].add(module)
    blocked = {m for dist in optional - runtime for m in modules.get(dist, ())}
    runtime_modules = {m for dist in runtime for m in modules.get(dist, ())}
    return sorted(blocked - runtime_modules)


SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys, tempfile

    BLOCKED = set(json.loads(sys.argv[1]))

    class OptionalOnly(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (not a runtime dependency)")
            return None

    sys.meta_path.insert(0, OptionalOnly())

    from cds.web.app import config_from_env, create_app

    with tempfile.TemporaryDirectory() as tmp:
        env = {"LNCDS_DEMO": "on", "LNCDS_AUTH": "off", "LNCDS_FEEDBACK_DB": tmp + "/f.db"}
        client = create_app(config_from_env(env)).test_client()
        assert client.get("/demo").status_code == 200
        hook = {
            "hook": "patient-view",
            "hookInstance": "8d2f4c1a-3b5e-4f60-9a7b-1c2d3e4f5a6b",
            "context": {"userId": "Practitioner/demo", "patientId": "ln-demo-01"},
        }
        (card,) = client.post("/cds-services/lupus-nephritis", json=hook).get_json()["cards"]
        trend = client.get(card["links"][0]["url"].removeprefix("http://localhost"))
        assert trend.status_code == 200
        assert b'data-status="refractory"' in trend.data
    print("demo ok")
    """
)


def test_the_demo_runs_with_runtime_dependencies_only() -> None:
    blocked = _optional_only_modules()
    assert "pytest" in blocked  # the filter works: test-only modules are blocked
    assert "flask" not in blocked

    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(blocked)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("demo ok")
