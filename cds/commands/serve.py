"""`ln-cds serve`: the CDS Hooks service on Flask's development server.

For development only; production runs gunicorn (`gunicorn -c gunicorn.conf.py wsgi:app`,
the Dockerfile's CMD). Settings come from `LNCDS_*` variables; `--demo` is `LNCDS_DEMO=1`.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="answer from the embedded synthetic cohort instead of an EHR's FHIR server",
    )


def run(args: argparse.Namespace) -> int:
    # imported here so that `ln-cds assess` and `ln-cds --help` never import Flask
    from cds.auth import AuthConfigError  # noqa: PLC0415
    from cds.config import ConfigError  # noqa: PLC0415
    from cds.web.app import config_from_env, create_app  # noqa: PLC0415

    environ = dict(os.environ)
    if args.demo:
        environ["LNCDS_DEMO"] = "1"
    try:
        config = config_from_env(environ)
    except (ConfigError, AuthConfigError) as error:
        sys.stderr.write(f"ln-cds serve: {error}\n")
        return 2
    app = create_app(config)
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0
