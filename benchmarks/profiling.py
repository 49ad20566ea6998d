"""Part 5: a pyinstrument profile of the 2,000-Observation hook, in process, as text.

The same call as part 1 (decode, handler, encode), repeated, sampled by pyinstrument every
0.2 ms. Written to benchmarks/profile-2000.txt: a table of where the time goes by area
(self time of every frame, grouped by the file it is in), then pyinstrument's call tree.
A sampling profiler slows Python code more than C code (json's decoder), so the shares of
our code are somewhat overstated next to the decode; part 1 has the unprofiled figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import BENCH_DIR, Section, fmt

OUTPUT = BENCH_DIR / "profile-2000.txt"

# first match wins: (area, substring of "<the frame's file path>:<its function>")
AREAS: list[tuple[str, str]] = [
    ("decode the request body (json)", "/cds/jsonio.py:loads"),  # orjson, as the route does
    ("encode the response (json)", "/cds/jsonio.py:dumps"),
    ("decode the request body (json)", "json/decoder.py"),
    ("decode the request body (json)", "json/__init__.py"),
    ("encode the response (json)", "json/encoder.py"),
    (
        "mapping: Observations → series (fhir_mapping/measurements, observations*)",
        "/fhir_mapping/measurements.py",
    ),
    (
        "mapping: Observations → series (fhir_mapping/measurements, observations*)",
        "/fhir_mapping/observations",
    ),
    (
        "mapping: Observations → series (fhir_mapping/measurements, observations*)",
        "/fhir_mapping/same_day.py",
    ),
    (
        "mapping: Observations → series (fhir_mapping/measurements, observations*)",
        "/fhir_mapping/units.py",
    ),
    (
        "mapping: Observations → series (fhir_mapping/measurements, observations*)",
        "/fhir_mapping/dates.py",
    ),
    ("mapping: the rest (fhir_mapping: record, eGFR, conditions, medications)", "/fhir_mapping/"),
    (
        "prefetch: decisions, look-back, de-duplication (cds/datasources, cds/web)",
        "/cds/datasources/",
    ),
    ("prefetch: decisions, look-back, de-duplication (cds/datasources, cds/web)", "/cds/web/"),
    ("rules (cds/rules, cds/profiles)", "/cds/rules/"),
    ("rules (cds/rules, cds/profiles)", "/cds/profiles/"),
    ("cards (cds/cards, jinja2 templates)", "/cds/cards/"),
    ("cards (cds/cards, jinja2 templates)", "/jinja2/"),
    ("cards (cds/cards, jinja2 templates)", "/templates/cards/"),
]
OTHER = "other (engine glue, tracing, the harness, built-ins called from the above)"


def _area(frame: Any) -> str | None:
    path = f"{frame.file_path or ''}:{frame.function}"
    for area, marker in AREAS:
        if marker in path:
            return area
    return None


def _self_times(frame: Any, inherited: str, totals: dict[str, float]) -> None:
    """Self time of each frame, charged to its area (a built-in: to its caller's area)."""
    area = _area(frame) or inherited
    totals[area] = totals.get(area, 0.0) + frame.total_self_time  # its [self] children too
    for child in frame.children:
        if not child.is_synthetic:
            _self_times(child, area, totals)


def run(serve: Callable[[bytes], bytes], body: bytes, calls: int) -> Section:
    from pyinstrument import Profiler  # noqa: PLC0415

    for _ in range(3):
        serve(body)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(calls):
        serve(body)
    session = profiler.stop()
    root = session.root_frame()
    totals: dict[str, float] = {}
    if root is not None:
        _self_times(root, OTHER, totals)
    whole = sum(totals.values()) or 1.0
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    table = [
        "| where | share of the hook's time | ms per hook (profiled) |",
        "|---|---:|---:|",
        *(f"| {area} | {t / whole * 100:.1f} % | {fmt(t / calls * 1000)} |" for area, t in rows),
    ]
    tree = profiler.output_text(unicode=True, color=False, show_all=False)
    header = [
        "LN-CDS: pyinstrument profile of the 2,000-Observation hook, in process",
        f"({calls} calls of decode + hook handler + encode, sampled every 0.2 ms; written by",
        "`python benchmarks/run.py`, part `profile`). Where the time goes, by area (self time",
        "of each frame; built-ins count for the area that called them):",
        "",
        *table,
        "",
        "Call tree:",
    ]
    OUTPUT.write_text("\n".join(header) + "\n" + tree, encoding="utf-8")

    section = Section("5. Profile of the 2,000-Observation hook")
    section.lines += [
        f"pyinstrument, {calls} in-process calls; the full call tree is in "
        f"[{OUTPUT.name}]({OUTPUT.name}). A sampling profiler slows Python more than C, so the",
        "decode's share is understated here; part 1 has the unprofiled times.",
        "",
        *table,
    ]
    section.data["profile"] = dict(totals)
    return section


def body_of(path: Path) -> bytes:
    data = path.read_bytes()
    json.loads(data)  # fail early on a broken file
    return data
