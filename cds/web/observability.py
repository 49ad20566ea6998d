"""What the service tells its operators: one JSON log line per call, Prometheus metrics.

Four pieces, all free of PHI and secrets by construction:

- `register_observability`: a `cds.tracing.RequestTrace` per request. The route, the hook
  and the engine time their stages with `stage("fetch")` etc. and `note()` what is safe to
  log: the hookInstance, the caller's verified `iss`/`tenant`/`jti`, FHIR calls made, card
  statuses and indicators. At the end of the request the trace feeds the metrics and, for
  discovery, hook and feedback calls, one summary log line.
- `InstrumentedAdapter`: times every self-fetch request to the EHR's FHIR server.
- `Metrics`: Prometheus collectors in a registry of their own per app (tests build many apps
  in one process; module-level collectors would clash or leak counts between them). With
  `PROMETHEUS_MULTIPROC_DIR` set when the app is built, `/metrics` aggregates every gunicorn
  worker's files (prometheus-client's multiprocess mode), otherwise it shows this process only.
- `JsonLogFormatter`: every log record as one JSON object per line. Exceptions are rendered
  as their type and stack frames only: an exception's message may quote data it failed on.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate_latest
from requests.adapters import BaseAdapter

from cds.config import ConfigError
from cds.tracing import RequestTrace, current_trace, end_trace, start_trace

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
HOOK_STAGES = ("auth", "validate", "fetch", "map", "assess", "cards")
# where a request's one summary line goes: logged for the CDS Hooks endpoints only
SUMMARY_ENDPOINTS = {
    "cds_hooks.discovery": "discovery",
    "cds_hooks.hook": "hook",
    "cds_hooks.feedback": "feedback",
}
# any other method a client invents is counted as "other": label values must stay few
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


# --- metrics ------------------------------------------------------------------------------


class Metrics:
    """The service's Prometheus collectors, in a registry owned by one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "lncds_http_requests_total",
            "HTTP requests answered, by route template, method and status code.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lncds_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status code.",
            ["endpoint", "method", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stages = Histogram(
            "lncds_hook_stage_duration_seconds",
            "Time spent in each stage of a CDS Hooks call, exclusive of nested stages (hook: "
            "auth, validate, fetch, map, assess, cards; feedback: auth, validate, store).",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fhir_latency = Histogram(
            "lncds_fhir_request_duration_seconds",
            "Time until a FHIR server answered (headers) one self-fetch request, by outcome.",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fhir_errors = Counter(
            "lncds_fhir_request_errors_total",
            "Self-fetch requests that failed: timeout, connection error or an HTTP status "
            "other than 200.",
            ["reason"],
            registry=self.registry,
        )
        self.cards = Counter(
            "lncds_cards_total",
            "Cards returned, by assessment status and card indicator.",
            ["status", "indicator"],
            registry=self.registry,
        )
        self.feedback_items = Counter(
            "lncds_feedback_items_total",
            "Feedback items acknowledged (stored), by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        # what `/metrics` shows, decided once: in multiprocess mode a registry whose one
        # collector reads every worker's files at each scrape, else this app's own registry
        self._exposed = self.registry
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess  # noqa: PLC0415

            self._exposed = CollectorRegistry()
            multiprocess.MultiProcessCollector(self._exposed)  # type: ignore[no-untyped-call]

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        labels = (endpoint, method if method in _METHODS else "other", str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def observe_fhir_call(self, seconds: float, outcome: str) -> None:
        self.fhir_latency.labels(outcome).observe(seconds)
        if outcome != "ok":
            self.fhir_errors.labels(outcome).inc()

    def exposition(self) -> bytes:
        """The text exposition: every worker's values in multiprocess mode, else ours."""
        return bytes(_generate_latest(self._exposed))


def check_multiprocess_dir() -> None:
    """In multiprocess mode the directory must exist and be writable: fail at start-up."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    path = Path(directory)
    if not path.is_dir() or not os.access(path, os.W_OK):
        raise ConfigError(f"{MULTIPROC_ENV} must name an existing writable directory")


class InstrumentedAdapter(BaseAdapter):
    """Wraps the self-fetch session's transport adapter to time every FHIR request.

    Latency is measured to the response headers (bodies are streamed by the data source);
    errors are counted by kind. URLs, headers and tokens are never looked at.
    """

    def __init__(self, inner: BaseAdapter, metrics: Metrics) -> None:
        super().__init__()
        self._inner = inner
        self._metrics = metrics

    def send(  # noqa: PLR0917 - the signature of requests.adapters.BaseAdapter.send
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self._inner.send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )
        except requests.Timeout:
            self._metrics.observe_fhir_call(time.perf_counter() - started, "timeout")
            raise
        except requests.RequestException:
            self._metrics.observe_fhir_call(time.perf_counter() - started, "connection_error")
            raise
        outcome = "ok" if response.status_code == 200 else f"http_{response.status_code}"
        self._metrics.observe_fhir_call(time.perf_counter() - started, outcome)
        return response

    def close(self) -> None:
        self._inner.close()


def instrument_session(session: requests.Session, metrics: Metrics) -> None:
    for prefix, adapter in list(session.adapters.items()):
        session.mount(prefix, InstrumentedAdapter(adapter, metrics))


# --- wiring into Flask --------------------------------------------------------------------

SUMMARY_LOGGER = logging.getLogger("cds.web.requests")


def register_observability(app: Flask, metrics: Metrics) -> None:
    """Start a trace per request; at the end, count it and log the summary line.

    Bookkeeping never changes an answer: a failure in it is logged and the response is
    sent as it was.
    """

    @app.before_request
    def _start() -> None:
        g.lncds_trace_token = start_trace()

    @app.after_request
    def _finish(response: Response) -> Response:
        trace = current_trace()
        if trace is None:  # pragma: no cover - before_request always ran
            return response
        try:
            _account(metrics, trace, response.status_code)
        except Exception:  # pragma: no cover - a bug here must not turn a reply into a 500
            log.exception("request accounting failed")
        return response

    @app.teardown_request
    def _end(_error: BaseException | None) -> None:
        token = g.pop("lncds_trace_token", None)
        if token is not None:
            end_trace(token)


def _account(metrics: Metrics, trace: RequestTrace, status: int) -> None:
    seconds = time.perf_counter() - trace.started
    # the route template, never the path: ids in paths must not become label values
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.observe_request(endpoint, request.method, status, seconds)
    for name, spent in trace.stages.items():
        metrics.stages.labels(name).observe(spent)
    for card in trace.facts.get("cards", ()):
        metrics.cards.labels(card["status"], card["indicator"]).inc()
    for outcome in trace.facts.get("feedback_outcomes", ()):
        metrics.feedback_items.labels(outcome).inc()
    kind = SUMMARY_ENDPOINTS.get(request.endpoint or "")
    if kind is not None and request.method != "OPTIONS":
        _log_summary(kind, trace, status, seconds)


def _log_summary(kind: str, trace: RequestTrace, status: int, seconds: float) -> None:
    """The one line per CDS Hooks call: fixed fields first, then whatever was noted."""
    facts = dict(trace.facts)
    facts.pop("feedback_outcomes", None)
    timings = trace.stage_ms()
    timings["total"] = round(seconds * 1000, 2)
    fields: dict[str, Any] = {
        "event": kind,
        "service": facts.pop("service", None),
        "status": status,
        "hookInstance": facts.pop("hookInstance", None),
        "timings_ms": timings,
        "iss": facts.pop("iss", None),
        "tenant": facts.pop("tenant", None),
        "jti": facts.pop("jti", None),
    }
    if kind == "hook":
        fields["fhir_calls"] = facts.pop("fhir_calls", 0)
        fields["cards"] = facts.pop("cards", [])
    fields.update(facts)
    SUMMARY_LOGGER.info(
        "%s %s %s %.1f ms",
        kind,
        fields["service"] or "-",
        status,
        timings["total"],
        extra={"lncds": fields},
    )


# --- JSON log lines -----------------------------------------------------------------------


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, pid, message and our fields.

    Used by gunicorn.conf.py (`logconfig_dict`) for every logger of the process, gunicorn's
    own included, so a log shipper sees one format.
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        fields = getattr(record, "lncds", None)
        if isinstance(fields, Mapping):
            out.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # the type and where, never the message: it may quote the data that failed
            frames = traceback.extract_tb(record.exc_info[2])
            out["exception"] = {
                "type": record.exc_info[0].__qualname__,
                "frames": [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames],
            }
        return json.dumps(out, ensure_ascii=False, default=str)


def metrics_response(metrics: Metrics) -> Response:
    return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
