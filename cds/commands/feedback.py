"""`ln-cds feedback export --format csv|json [--database URL_OR_PATH]`: dump stored feedback.

The database defaults to the service's own configuration (`LNCDS_DATABASE_URL`, else
`LNCDS_FEEDBACK_DB`, else ./ln-cds-feedback.sqlite3), so the command reads what the service
wrote. Output goes to stdout; errors to stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="feedback_action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="print all stored feedback to stdout")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument(
        "--database",
        metavar="URL_OR_PATH",
        help="postgresql:// URL or SQLite file path (default: from LNCDS_* environment)",
    )


def run(args: argparse.Namespace) -> int:
    from cds.feedback import DEFAULT_SQLITE_PATH, FeedbackStoreError, store_for  # noqa: PLC0415
    from cds.feedback.export import write_csv, write_json  # noqa: PLC0415
    from cds.feedback.sqlite_store import SqliteFeedbackStore  # noqa: PLC0415

    if args.feedback_action != "export":  # pragma: no cover - argparse enforces the choice
        return 2
    target = (
        args.database
        or os.environ.get("LNCDS_DATABASE_URL", "").strip()
        or os.environ.get("LNCDS_FEEDBACK_DB", "").strip()
        or DEFAULT_SQLITE_PATH
    )
    store = store_for(target)
    if isinstance(store, SqliteFeedbackStore) and not store.path.exists():
        # Opening it would create an empty database: say there is none instead.
        sys.stderr.write(f"ln-cds feedback: no feedback database at {store.path}\n")
        return 1
    try:
        rows = store.export()
    except FeedbackStoreError as exc:
        sys.stderr.write(f"ln-cds feedback: {exc}\n")
        return 1
    if args.format == "json":
        write_json(rows, sys.stdout)
    else:
        write_csv(rows, sys.stdout)
    return 0
