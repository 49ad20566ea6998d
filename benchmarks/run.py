"""Run the LN-CDS benchmark suite and write benchmarks/RESULTS.md.

    python benchmarks/run.py                       # everything (about 15 minutes)
    python benchmarks/run.py --parts inprocess,http --quick
    python benchmarks/run.py --output /tmp/RESULTS.md

Parts: `inprocess` (1), `http` (2, needs `wrk`), `selffetch` (3, needs java + mvn for
HAPI), `memory` (4), `profile` (5, writes benchmarks/profile-2000.txt), `rules` (the former
timed test of tests/rules). See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from common import BENCH_DIR, Section, git_revision, load_average, machine, now_utc

PARTS = ("inprocess", "http", "selffetch", "memory", "profile", "rules")
SIZES = [100, 1000, 2000, 10000]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--work-dir", type=Path, help="where patients go (default: a temp dir)")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")

    with tempfile.TemporaryDirectory(prefix="lncds-bench-") as tmp:
        work = args.work_dir or Path(tmp)
        return run_parts(parts, args.quick, work, args.output, sys.argv[1:])


def run_parts(parts: list[str], quick: bool, work: Path, output: Path, argv: list[str]) -> int:
    from make_patients import write_patients  # noqa: PLC0415

    started = time.monotonic()
    host = machine()
    load_before = load_average()
    as_of = datetime.now(UTC).date()
    hooks = write_patients(work / "patients", SIZES, as_of)
    print(f"patients written to {work / 'patients'} (as of {as_of})", flush=True)

    runners: dict[str, Callable[[], Section]] = {
        "inprocess": lambda: _inprocess(hooks, quick),
        "http": lambda: _http(hooks, as_of, quick),
        "selffetch": lambda: _selffetch(work / "patients", as_of, quick),
        "memory": lambda: _memory(hooks, as_of, quick),
        "profile": lambda: _profile(hooks, quick),
        "rules": lambda: _rules(quick),
    }
    sections: list[Section] = []
    for part in parts:
        print(f"part {part}: running", flush=True)
        t0 = time.monotonic()
        section = runners[part]()
        print(f"part {part}: done in {time.monotonic() - t0:.0f} s", flush=True)
        for target in section.targets:
            print("  " + target.row(), flush=True)
        sections.append(section)

    command = "python benchmarks/run.py" + ("" if not argv else " " + shlex.join(argv))
    write_results(
        output,
        sections=sections,
        host=host,
        load_before=load_before,
        command=command,
        seconds=time.monotonic() - started,
    )
    print(f"wrote {output}")
    return 0 if all(t.met for s in sections for t in s.targets) else 1


def _inprocess(hooks: dict[int, Path], quick: bool) -> Section:
    import inprocess  # noqa: PLC0415

    return inprocess.run(hooks, rounds=8 if quick else 40)


def _http(hooks: dict[int, Path], as_of: date, quick: bool) -> Section:
    import http_load  # noqa: PLC0415

    return http_load.run(hooks, as_of, rounds=1 if quick else 3, seconds=3 if quick else 10)


def _selffetch(patients: Path, as_of: date, quick: bool) -> Section:
    import selffetch  # noqa: PLC0415

    return selffetch.run(patients / "patient-2000.json", "bench-2000", as_of, 5 if quick else 20)


def _memory(hooks: dict[int, Path], as_of: date, quick: bool) -> Section:
    import memory  # noqa: PLC0415

    return memory.run(hooks[10000], as_of, hooks=400 if quick else 1000)


def _profile(hooks: dict[int, Path], quick: bool) -> Section:
    import inprocess  # noqa: PLC0415
    import profiling  # noqa: PLC0415

    serve, _app = inprocess.service_call()
    return profiling.run(serve, profiling.body_of(hooks[2000]), calls=20 if quick else 100)


def _rules(quick: bool) -> Section:
    import rules_scaling  # noqa: PLC0415

    return rules_scaling.run(rounds=3 if quick else 7)


def write_results(
    output: Path,
    *,
    sections: list[Section],
    host: dict[str, str],
    load_before: str,
    command: str,
    seconds: float,
) -> None:
    lines = [
        "# LN-CDS benchmark results",
        "",
        "Written by `benchmarks/run.py`; see [README.md](README.md) for what each figure means.",
        "",
        "| | |",
        "|---|---|",
        f"| date | {now_utc()} |",
        f"| command | `{command}` |",
        f"| revision | {git_revision()} |",
        f"| machine | {host['cpu']}, {host['cores']} cores, {host['memory']} |",
        f"| system | {host['os']}, Python {host['python']} |",
        f"| load average (1, 5, 15 min) | {load_before} at start, {load_average()} at end |",
        f"| duration | {seconds / 60:.1f} min |",
        "",
        "## Targets",
        "",
        "| target | measured | limit | verdict | note |",
        "|---|---:|---:|---|---|",
    ]
    for section in sections:
        lines += [t.row() for t in section.targets]
    for section in sections:
        lines += ["", f"## {section.title}", "", *section.lines]
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
