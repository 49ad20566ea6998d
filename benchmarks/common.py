"""Shared helpers of the benchmark scripts: statistics, interleaving, the machine, targets.

Every figure of the suite is a ratio to a floor measured in the same run, with floor and
subject samples alternated, so that a busy or slow machine moves both alike.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts only benchmarks/ on the path
    sys.path.insert(0, str(ROOT))


def image_env() -> dict[str, str]:
    """The process environment the Dockerfile's `ENV` lines set (e.g. MALLOC_ARENA_MAX),
    so that gunicorn runs here as in the image. LNCDS_* (paths inside the image) and PIP_*
    (build time) are left out."""
    text = (ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", line):
                if not key.startswith(("LNCDS_", "PIP_")):
                    env[key] = value
    return env


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


@dataclass
class Target:
    """One target of issue 6: a measured value against its limit (smaller is better)."""

    name: str
    measured: float
    limit: float
    unit: str = "×"
    higher_is_better: bool = False
    note: str = ""

    @property
    def met(self) -> bool:
        if self.higher_is_better:
            return self.measured >= self.limit
        return self.measured <= self.limit

    def row(self) -> str:
        op = "≥" if self.higher_is_better else "≤"
        verdict = "**met**" if self.met else "**NOT met**"
        return (
            f"| {self.name} | {fmt(self.measured)} {self.unit} | {op} {fmt(self.limit)} "
            f"{self.unit} | {verdict} | {self.note} |"
        )


@dataclass
class Section:
    """What one part of the suite reports: a title, markdown lines, targets, raw data."""

    title: str
    lines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ms(seconds: float) -> str:
    return fmt(seconds * 1000)


def interleave(
    pairs: Sequence[tuple[str, Callable[[], object]]], rounds: int, timer: Callable[[], float]
) -> dict[str, list[float]]:
    """Run each named function once per round, in an order that alternates between rounds.

    Returns the samples (seconds) by name. The order is reversed every other round so that
    no function always runs right after another (cache and allocator effects even out).
    """
    samples: dict[str, list[float]] = {name: [] for name, _ in pairs}
    for r in range(rounds):
        order = pairs if r % 2 == 0 else list(reversed(pairs))
        for name, fn in order:
            started = timer()
            fn()
            samples[name].append(timer() - started)
    return samples


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": load_average(),
    }


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "cds", "fhir_mapping"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes to cds/ or fhir_mapping/)" if dirty else "")


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
