"""Part 4: memory of a worker over 1,000 hooks of the 10,000-Observation patient.

The production command with one worker (so every hook lands in the same process), the
Dockerfile's `ENV` (`MALLOC_ARENA_MAX`), auth off, `LNCDS_AS_OF` set; one client sends
the hook again and again on a keep-alive connection.
After every hook the worker's resident set (VmRSS) and peak (VmHWM) are read from /proc.
RSS after a hook moves up and down by tens of MiB with what the allocator keeps, so growth
is judged on the peak (VmHWM: at most 1 % from the 100th hook to the last) and on the trend
of the resting RSS over the second half of the run (medians; at most 1 KiB per hook).
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

import requests
from common import Section, Target, fmt, image_env, median

HOOK_PATH = "/cds-services/lupus-nephritis"


def _status_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(rest.split()[0])
    return out


def run(hook_file: Path, as_of: date, hooks: int) -> Section:
    from tests.gunicorn_server import running_gunicorn  # noqa: PLC0415

    body = hook_file.read_bytes()
    checkpoints = sorted({1, 10, 50, 100, *range(200, hooks + 1, 100), hooks})
    samples: dict[int, dict[str, int]] = {}  # after each hook
    with tempfile.TemporaryDirectory(prefix="lncds-bench-mem-") as tmp:
        env = {
            **image_env(),  # the Dockerfile's ENV (MALLOC_ARENA_MAX, ...)
            "LNCDS_AUTH": "off",
            "LNCDS_WORKERS": "1",
            "LNCDS_AS_OF": as_of.isoformat(),
            "LNCDS_FEEDBACK_DB": str(Path(tmp) / "feedback.sqlite3"),
        }
        with running_gunicorn(env) as server, requests.Session() as client:
            (worker,) = server.wait_for_workers(1, timeout=30)
            before = _status_kib(worker)
            started = time.monotonic()
            for n in range(1, hooks + 1):
                response = client.post(
                    server.base_url + HOOK_PATH,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=60,
                )
                if response.status_code != 200:
                    raise RuntimeError(f"hook {n} answered {response.status_code}")
                samples[n] = _status_kib(worker)
            seconds = time.monotonic() - started
            if server.worker_pids() != [worker]:
                raise RuntimeError("the worker was replaced during the run")

    def mib(kib: int) -> str:
        return fmt(kib / 1024)

    def window(end: int) -> float:
        return median([samples[n]["VmRSS"] for n in range(max(1, end - 49), end + 1)])

    mark = min(100, hooks)
    at100 = window(mark)
    last = window(hooks)
    growth = (last - at100) / at100 * 100
    peak_growth = (samples[hooks]["VmHWM"] - samples[mark]["VmHWM"]) / samples[mark]["VmHWM"]
    section = Section("4. Memory: one worker, 10,000-Observation hooks")
    section.lines += [
        f"{hooks} hooks of the 10,000-Observation patient ({len(body) / 1e6:.1f} MB each) to",
        f"one gunicorn worker, one client, keep-alive; {fmt(hooks / seconds)} hooks/s. "
        f"Worker RSS before the first hook: {mib(before['VmRSS'])} MiB.",
        "",
        "| after hook | RSS (MiB) | median RSS of the last 50 hooks (MiB) | peak RSS, VmHWM "
        "(MiB) |",
        "|---:|---:|---:|---:|",
    ]
    for n in checkpoints:
        section.lines.append(
            f"| {n} | {mib(samples[n]['VmRSS'])} | {mib(round(window(n)))} | "
            f"{mib(samples[n]['VmHWM'])} |"
        )
    section.lines += [
        "",
        f"Peak RSS of the worker: {mib(samples[hooks]['VmHWM'])} MiB "
        f"({peak_growth * 100:+.2f} % since hook {mark}). Median RSS over the 50 hooks up to "
        f"hook {mark}: {mib(round(at100))} MiB; over the last 50: {mib(round(last))} MiB "
        f"({growth:+.2f} %).",
    ]
    # trend over the second half: median RSS of its last quarter of the run against its
    # third quarter, per hook (medians: single samples jump by tens of MiB and back)
    q3 = median([samples[n]["VmRSS"] for n in range(hooks // 2 + 1, 3 * hooks // 4 + 1)])
    q4 = median([samples[n]["VmRSS"] for n in range(3 * hooks // 4 + 1, hooks + 1)])
    span = max(1, hooks // 4)
    slope = (q4 - q3) / span  # KiB per hook
    section.lines.append(
        f"Trend over the second half: median RSS of hooks {hooks // 2 + 1}–{3 * hooks // 4} "
        f"{mib(round(q3))} MiB, of hooks {3 * hooks // 4 + 1}–{hooks} {mib(round(q4))} MiB: "
        f"{slope:+.2f} KiB per hook."
    )
    section.lines.append(
        "Between hooks the allocator keeps part of what a hook freed (up to the peak), so "
        "the resting RSS can settle upwards for a few hundred hooks; a leak would show as "
        "a rising peak and a rising trend."
    )
    section.targets += [
        Target(
            f"worker peak RSS (VmHWM) growth from hook {mark} to hook {hooks}",
            max(peak_growth * 100, 0.0),
            1.0,
            unit="%",
            note=f"peak {mib(samples[mark]['VmHWM'])} → {mib(samples[hooks]['VmHWM'])} MiB; "
            f"resting RSS median {mib(round(at100))} → {mib(round(last))} MiB",
        ),
        Target(
            f"worker RSS trend over hooks {hooks // 2 + 1}–{hooks}",
            max(slope, 0.0),
            1.0,
            unit="KiB/hook",
            note="a leak of 1 KiB per hook would add 0.25 MiB per 250 hooks",
        ),
    ]
    section.data["memory"] = {"samples": samples, "hooks": hooks, "seconds": seconds}
    return section
