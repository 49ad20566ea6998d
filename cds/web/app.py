"""The app factory: `create_app(config=None)` builds one fully configured Flask app.

Everything that can fail is done here, once, at start-up: configuration validated,
templates compiled, the discovery document and the OpenAPI description serialised, the
assessor and the data-source factory resolved, the authenticator built. No module-level app
exists except in `wsgi.py`.

Observability is wired here too: a trace, metrics and (for the CDS Hooks endpoints) one
summary log line per request, the self-fetch session instrumented for FHIR call metrics,
and the ops routes (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask

from cds.cards import CardBuilder
from cds.config import Config
from cds.datasources.http import new_session
from cds.web.errors import register_error_handlers
from cds.web.health import register_ops
from cds.web.lupus_nephritis import LupusNephritisHook, lupus_nephritis_service, prefetch_templates
from cds.web.observability import (
    Metrics,
    check_multiprocess_dir,
    instrument_session,
    register_observability,
)
from cds.web.openapi import openapi_bytes
from cds.web.registry import Registry
from cds.web.routes import create_blueprint
from cds.web.security import authenticator_from_env
from cds.web.sources import default_assessor, default_source_factory

log = logging.getLogger(__name__)
EXTENSION = "ln_cds"

AUTH_OFF_WARNING = (
    "AUTHENTICATION IS OFF (LNCDS_AUTH=off): any caller can invoke the CDS Services. "
    "Never run like this with real patient data."
)


def create_app(config: Config | None = None) -> Flask:
    """Build the service. Without `config`, read `LNCDS_*` from the environment.

    A caller passing its own `Config` with auth on also passes its `authenticator` (and a
    `feedback_store` if it wants feedback stored); reading the environment builds both.
    """
    if config is None:
        config = config_from_env(os.environ)
    _configure_logging(config)
    if not config.auth:
        log.warning(AUTH_OFF_WARNING)
    elif config.authenticator is None:
        log.error("auth is on but no authenticator is configured: every call will get 401")
    if config.as_of is not None:  # the operator's date, not the demo's own (set below)
        log.warning("every patient is assessed as of %s (LNCDS_AS_OF), not today", config.as_of)
    if config.demo:
        config = _demo_as_of(config)

    check_multiprocess_dir()

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]

    metrics = Metrics()
    session = new_session()
    instrument_session(session, metrics)
    prefetch = prefetch_templates()
    hook = LupusNephritisHook(
        config,
        prefetch=prefetch,
        assessor=default_assessor(config),
        source_factory=default_source_factory(config, session),
        cards=CardBuilder(),
        trend_path=_demo_trend_path() if config.demo else None,
    )
    registry = Registry([lupus_nephritis_service(hook, prefetch, config)])
    app.extensions[EXTENSION] = {"config": config, "registry": registry, "session": session}

    register_error_handlers(app)
    register_observability(app, metrics)
    app.register_blueprint(create_blueprint(registry, config))
    openapi_body = b""  # built below, once every route is registered
    register_ops(app, config, metrics, lambda: openapi_body)
    _register_cors(app, config)
    _register_views(app, config)
    openapi_body = openapi_bytes(app, services={service.id: service.hook for service in registry})
    return app


def config_from_env(environ: Mapping[str, str]) -> Config:
    """`Config.from_env`, plus `cds.auth`'s verifier as the authenticator when auth is on and
    the feedback store the environment names (`cds.feedback.store_from_env`)."""
    from cds.feedback import store_from_env  # noqa: PLC0415

    config = Config.from_env(environ)
    if config.auth and config.authenticator is None:
        config = config.with_overrides(authenticator=authenticator_from_env(environ))
    if config.feedback_store is None:
        config = config.with_overrides(feedback_store=store_from_env(environ))
    return config


def _demo_as_of(config: Config) -> Config:
    """The demo cohort is dated around `DEMO_AS_OF`: assess it as of that day, always.

    Only when neither a date (`LNCDS_AS_OF`) nor a clock was chosen: a test that injects its
    own clock keeps it.
    """
    if config.as_of is not None or config.clock is not Config().clock:
        return config
    from cds.demo import DEMO_AS_OF  # noqa: PLC0415

    return config.with_overrides(as_of=DEMO_AS_OF)


def _demo_trend_path() -> str:
    from cds.views.urls import DEMO_TREND_PATH  # noqa: PLC0415

    return DEMO_TREND_PATH


def _register_views(app: Flask, config: Config) -> None:
    from cds.views import register_views  # noqa: PLC0415 - the views are a side room

    register_views(app, config)


def _register_cors(app: Flask, config: Config) -> None:
    """CORS for browser-based CDS Clients: only the configured origins, never `*`."""
    if not config.cors_origins:
        return
    from flask_cors import CORS  # noqa: PLC0415

    CORS(
        app,
        resources={r"/cds-services(/.*)?$": {"origins": list(config.cors_origins)}},
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
    )


def _configure_logging(config: Config) -> None:
    level = getattr(logging, config.log_level.upper())
    logging.getLogger("cds").setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
