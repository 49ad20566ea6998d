"""Operational endpoints: liveness, readiness, metrics and the OpenAPI description.

- `GET /healthz` (liveness): the process answers HTTP. Nothing else is checked, so an
  orchestrator restarts a worker only when it is truly stuck, not when a database blips.
- `GET /readyz` (readiness): the configuration was loaded and validated and the card
  templates compiled (both at start-up: an app that exists has passed them), the feedback
  store answers its `ping()`, and the JWT replay cache answers its `ping()` when auth is on.
  503 with an OperationOutcome naming the failed checks otherwise, so a load balancer stops
  sending EHR traffic that would fail.
- `GET /metrics`: Prometheus text exposition (see `cds.web.observability`).
- `GET /openapi.json`: the OpenAPI 3.1 description of this app's routes.

None of them is authenticated and none says anything about patients, callers or secrets:
check names and `ok`/`unavailable` only (the reason for a failure goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from flask import Blueprint, Flask, Response, jsonify

from cds.config import Config
from cds.web.errors import outcome_response
from cds.web.observability import Metrics, metrics_response

log = logging.getLogger(__name__)

Check = Callable[[], str]  # returns "ok" or a state that is fine ("not used"); raises if not


@runtime_checkable
class Pingable(Protocol):
    def ping(self) -> None: ...


def readiness_checks(config: Config) -> dict[str, Check]:
    """The checks behind `/readyz`, in the order they are reported."""

    def loaded() -> str:
        return "ok"  # `Config` validated itself and create_app compiled the templates

    def feedback_store() -> str:
        if config.feedback_store is None:
            raise RuntimeError("no feedback store is configured")
        config.feedback_store.ping()
        return "ok"

    def replay_cache() -> str:
        if not config.auth:
            return "not used"
        authenticator = config.authenticator
        if authenticator is None:
            raise RuntimeError("auth is on but no authenticator is configured")
        if isinstance(authenticator, Pingable):
            authenticator.ping()
            return "ok"
        return "not used"  # an injected authenticator without a cache of ours

    return {
        "config": loaded,
        "templates": loaded,
        "feedback_store": feedback_store,
        "replay_cache": replay_cache,
    }


def create_ops_blueprint(
    config: Config, metrics: Metrics, openapi_body: Callable[[], bytes]
) -> Blueprint:
    bp = Blueprint("ops", __name__)
    checks = readiness_checks(config)

    @bp.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @bp.get("/readyz")
    def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                results[name] = check()
            except Exception as error:  # any failure means "not ready", never a 500
                log.warning("readiness check %s failed: %s", name, type(error).__name__)
                results[name] = "unavailable"
        failed = [name for name, state in results.items() if state == "unavailable"]
        if failed:
            return outcome_response(
                503,
                "transient",
                "not ready: " + ", ".join(failed),
                tuple(("transient", f"{name}: unavailable") for name in failed),
            )
        return jsonify({"status": "ready", "checks": results})

    @bp.get("/metrics")
    def metrics_endpoint() -> Response:
        return metrics_response(metrics)

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return Response(openapi_body(), mimetype="application/json")

    return bp


def register_ops(
    app: Flask, config: Config, metrics: Metrics, openapi_body: Callable[[], bytes]
) -> None:
    app.register_blueprint(create_ops_blueprint(config, metrics, openapi_body))
