"""gunicorn settings for LN-CDS, used by the Dockerfile's CMD and by the tests.

`gunicorn -c gunicorn.conf.py wsgi:app`. Read here: LNCDS_BIND, LNCDS_WORKERS, LNCDS_THREADS,
LNCDS_LOG_LEVEL, LNCDS_LOG_FORMAT and PROMETHEUS_MULTIPROC_DIR; the service's own settings are
read and validated by `create_app`.

Two things only a process manager can set up are done here:

- **Prometheus multiprocess mode.** Each worker is a process with its own counters, so
  `/metrics` must add up every worker's: prometheus-client writes each process's values to
  files in `PROMETHEUS_MULTIPROC_DIR` and `/metrics` reads them all. The variable must be in
  the environment before prometheus-client is first imported (the app is preloaded right
  after this file is read) and is inherited by the forked workers. Without it a temporary
  directory is made here (and removed at exit); stale files from an earlier run are wiped
  before the first worker starts; `child_exit` tells prometheus-client a worker is gone.
- **JSON logs.** Every log record of the master and the workers (gunicorn's own, the access
  log, the service's one summary line per CDS Hooks call) is one JSON object per line on
  stderr (`cds.web.observability.JsonLogFormatter`); `LNCDS_LOG_FORMAT=text` keeps plain
  text lines for a human at a terminal.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Names with a leading underscore: gunicorn reads this module's public globals as settings.
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The directory this file made, in the environment rather than a global: on SIGHUP gunicorn
# re-reads this file with PROMETHEUS_MULTIPROC_DIR already set, and on_exit must still know.
_OWNED_DIR_ENV = "LNCDS_PROMETHEUS_TMPDIR"
_OWNED_DIR_PREFIX = "lncds-prometheus-"
if not os.environ.get(_MULTIPROC_ENV):
    os.environ[_MULTIPROC_ENV] = os.environ[_OWNED_DIR_ENV] = tempfile.mkdtemp(
        prefix=_OWNED_DIR_PREFIX
    )

bind = os.environ.get("LNCDS_BIND", "0.0.0.0:8080")
workers = int(os.environ.get("LNCDS_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
threads = int(os.environ.get("LNCDS_THREADS", "4"))
worker_class = "gthread"
# Load the app in the master first: a configuration error stops start-up once, loudly.
preload_app = True
# A hook call is bounded by LNCDS_FHIR_BUDGET_SECONDS; this only reaps stuck workers.
timeout = 30
graceful_timeout = 10
keepalive = 5
# Access log without query strings or bodies (no PHI in our URLs, none in our logs).
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LNCDS_LOG_LEVEL", "info").lower()
limit_request_line = 8190
# gunicorn >= 25.1 opens a control socket (worker count, reload, shutdown) at one path per
# user ($HOME/.gunicorn/gunicorn.ctl) shared by every instance on the host: management
# belongs to the orchestrator, and in the image /app (the service user's home) is read-only.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

_LOG_FORMAT = os.environ.get("LNCDS_LOG_FORMAT", "json").strip().lower() or "json"
if _LOG_FORMAT not in ("json", "text"):
    raise ValueError(f"LNCDS_LOG_FORMAT must be 'json' or 'text', not {_LOG_FORMAT!r}")
if _LOG_FORMAT == "json":
    # Merged by gunicorn over its defaults; every logger propagates to the one JSON handler.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "cds.web.observability.JsonLogFormatter"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": loglevel.upper(), "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }


def when_ready(server: Any) -> None:
    """The app is loaded (preload), no worker is forked yet: freeze what start-up built.

    Everything built at start-up lives as long as the process, so it is moved out of the
    cyclic garbage collector's reach (`gc.freeze`): a full collection in a worker then walks
    only what requests made, not the whole app (with the app in reach, one hook in three
    paid a ~25 ms collection and the hook's p95 doubled, benchmarks/README.md), and the
    workers keep sharing the master's memory pages instead of copying them when a
    collection touches them.
    """
    import gc  # noqa: PLC0415

    gc.freeze()


def on_starting(server: Any) -> None:
    """Before the first worker: drop metric files a previous run left in the directory.

    Not done at the top of this file: gunicorn re-reads it on SIGHUP, while workers that
    still count are running.
    """
    for stale in Path(os.environ[_MULTIPROC_ENV]).glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: prometheus-client drops its live-gauge files (counters remain)."""
    from prometheus_client import multiprocess  # noqa: PLC0415

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """Remove the metrics directory if this file made it (even before a SIGHUP re-read)."""
    owned = os.environ.get(_OWNED_DIR_ENV)
    if (
        owned
        and owned == os.environ.get(_MULTIPROC_ENV)
        and Path(owned).name.startswith(_OWNED_DIR_PREFIX)
    ):
        shutil.rmtree(owned, ignore_errors=True)
