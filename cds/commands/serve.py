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
        # the demo answers from synthetic data only; an explicit LNCDS_AUTH still wins
        environ.setdefault("LNCDS_AUTH", "off")
    try:
        config = config_from_env(environ)
    except (ConfigError, AuthConfigError) as error:
        sys.stderr.write(f"ln-cds serve: {error}\n")
        return 2
    app = create_app(config)
    if args.demo:
        sys.stdout.write(_demo_banner(args.host, args.port))
        sys.stdout.flush()
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0


def _demo_banner(host: str, port: int) -> str:
    """What a newcomer can try once the demo is up (synthetic patients only)."""
    base = f"http://{host}:{port}"
    return f"""
LN-CDS demo: the synthetic lupus nephritis cohort, no FHIR server needed.

  Demo EHR (pick a patient, read the card, open the trend view):
      {base}/demo
  Discovery:
      curl -s {base}/cds-services
  Fire the hook for a refractory patient (the service fetches the demo data itself):
      curl -s -X POST -H 'Content-Type: application/json' \\
        -d '{{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",\\
             "context":{{"userId":"Practitioner/demo","patientId":"ln-demo-01"}}}}' \\
        {base}/cds-services/lupus-nephritis
  The same with every prefetch key filled in by the EHR:
      curl -s -X POST -H 'Content-Type: application/json' \\
        --data @examples/hook-request.json {base}/cds-services/lupus-nephritis

Patients ln-demo-01 .. ln-demo-18 cover every status (cds/demo/cohort/README.md).
Authentication is OFF in demo mode unless LNCDS_AUTH is set. Ctrl-C stops the server.

"""
