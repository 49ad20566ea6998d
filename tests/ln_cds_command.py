"""Run the installed `ln-cds` command the way a user does: a separate process, real exit codes.

Integration tests call the console script itself (not `cds.cli.main` in-process), so that what
they check includes the entry point, argument parsing, stdout/stderr and the exit code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ln_cds_command() -> list[str]:
    """The `ln-cds` console script installed beside this interpreter (else `python -m`)."""
    script = Path(sys.executable).with_name("ln-cds")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "cds.cli"]


def run_ln_cds(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run `ln-cds ARGS` in the repository root and return the finished process."""
    return subprocess.run(
        [*ln_cds_command(), *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
