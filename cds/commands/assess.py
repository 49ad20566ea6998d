"""`ln-cds assess FILE`: one patient's Bundle or NDJSON file → the §10 assessment.

The default `--as-of` is today in the configured time zone (`LNCDS_TIMEZONE`, UTC by
default): the CLI is the only place on this path that reads the clock. Bad input ends with
exit code 2 and one line on stderr naming the problem, never a traceback; the message never
quotes patient data.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, TextIO

from cds.profiles import PROFILE_NAMES as PROFILES  # light: json + the record types

if TYPE_CHECKING:
    from cds.assessment import Assessment

FORMATS = ("json", "text")
EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a FHIR R4 Bundle (JSON) or NDJSON file")
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="assessment date (default: today in LNCDS_TIMEZONE, which defaults to UTC)",
    )
    parser.add_argument(
        "--profile",
        default=PROFILES[0],
        metavar="PROFILE",
        help=f"clinical profile: {' or '.join(PROFILES)} (default {PROFILES[0]})",
    )
    parser.add_argument(
        "--format",
        default="json",
        metavar="FORMAT",
        help="output: json (the full assessment) or text (a short summary); default json",
    )


class _BadInputError(Exception):
    """A one-line, PHI-free reason to stop with exit code 2."""


def run(args: argparse.Namespace) -> int:
    # imported here so that `ln-cds --help` stays light
    from cds.engine import assess_resources  # noqa: PLC0415
    from cds.profiles import ProfileError  # noqa: PLC0415
    from fhir_mapping.bundle import InputError, read_resources  # noqa: PLC0415

    try:
        if args.profile not in PROFILES:
            raise _BadInputError(f"unknown profile {args.profile!r} (use {' or '.join(PROFILES)})")
        if args.format not in FORMATS:
            raise _BadInputError(f"unknown format {args.format!r} (use json or text)")
        as_of = _as_of(args.as_of, os.environ)
        resources = read_resources(args.file)
        assessment = assess_resources(resources, as_of=as_of, profile=args.profile)
    except (_BadInputError, InputError, ProfileError) as error:
        sys.stderr.write(f"ln-cds assess: {_one_line(str(error))}\n")
        return EXIT_BAD_INPUT
    if args.format == "json":
        sys.stdout.write(json.dumps(assessment.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        write_text(assessment, sys.stdout)
    return 0


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _as_of(value: str | None, environ: Mapping[str, str]) -> date:
    if value is not None:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _BadInputError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    name = environ.get("LNCDS_TIMEZONE") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _BadInputError(f"LNCDS_TIMEZONE: unknown time zone {name!r}") from None
    return datetime.now(zone).date()


# --- text summary ---------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def write_text(assessment: Assessment, out: TextIO) -> None:
    """A short human summary: the verdict first, then the evidence it rests on."""
    a = assessment
    lines = [
        f"LN-CDS assessment: {a.patient}, as of {a.as_of.isoformat()}, profile {a.profile}",
        f"Status: {a.status}" + (f" ({a.reason})" if a.reason else ""),
        f"Response: {a.response}; refractory: {'yes' if a.refractory else 'no'}; "
        f"kidney function assessed: {'yes' if a.function_assessed else 'no'}",
    ]
    if a.index_date is not None:
        lines.append(f"Index date: {a.index_date.isoformat()} (from {a.index_source})")
    if a.ln_classes:
        lines.append(f"LN classes: {', '.join(a.ln_classes)}")
    if a.flare is not None:
        f = a.flare
        also = f"; also met: {', '.join(f.also_met)}" if f.also_met else ""
        state = "confirmed" if f.confirmed else "unconfirmed (possible)"
        lines.append(f"Flare: {f.type}, {f.severity}, {state}, from {f.date.isoformat()}{also}")
        if f.reference is not None:
            ref = f.reference
            lines.append(
                f"  reference: {ref.reported} on {ref.date.isoformat()} ({', '.join(ref.sources)})"
            )
        lines.extend(f"  {e.label}: {e.reported} ({', '.join(e.sources)})" for e in f.evidence)
    if a.values:
        lines.append("Values used:")
        lines.extend(
            f"  {v.label}: {_fmt(v.value)} {v.unit} on {v.date.isoformat()}"
            f" (reported {v.reported}; {', '.join(v.sources)})"
            + (f" [{v.detail}]" if v.detail else "")
            for v in a.values
        )
    if a.criteria:
        lines.append("Criteria:")
        lines.extend(
            f"  [{'met' if c.met else 'not met'}] {c.name}: {c.rule} ({c.source})"
            for c in a.criteria
        )
    if a.caveats:
        lines.append(f"Caveats: {'; '.join(a.caveats)}")
    if a.suggestions:
        lines.append(f"Suggested tests: {', '.join(a.suggestions)}")
    lab = a.sledai2k_lab
    present = [f"{i.item} ({i.points})" for i in lab.items if i.present]
    lines.append(
        f"SLEDAI-2K laboratory items: {lab.score} of 22 (renal {lab.renal_score} of 16; "
        "clinical items not assessed, so a lower bound)"
        + (f": {', '.join(present)}" if present else "")
    )
    lines.extend(
        f"  recorded SLEDAI-2K: {_fmt(m.value) if m.value is not None else m.reported_value}"
        f" on {m.date.isoformat()} ({m.source.reference})"
        for m in lab.recorded
    )
    if a.notes:
        lines.append("Notes:")
        lines.extend(
            f"  {n.code}: {n.message}" + (f" ({n.source.reference})" if n.source else "")
            for n in a.notes
        )
    out.write("\n".join(lines) + "\n")
