"""`ln-cds` command line: one entry point, one module per subcommand under `cds.commands`.

Each subcommand module exposes `add_arguments(parser)` and `run(args) -> int`; modules are
imported only when their subcommand runs, so `ln-cds assess` never imports Flask.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand name → (module under cds.commands, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("assess", "assess one patient's FHIR Bundle or NDJSON file"),
    "serve": ("serve", "run the CDS Hooks service (development server)"),
    "load-demo": ("load_demo", "upload the synthetic LN cohort to a FHIR server"),
    "feedback": ("feedback", "export clinicians' card feedback"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ln-cds",
        description="Lupus nephritis remission, flare and refractory status from FHIR R4.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(f"cds.commands.{module_name}")
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args._module.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
