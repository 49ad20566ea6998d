"""What the nephrologist sees: the trend view, its SMART EHR launch and the demo EHR page.

`register_views(app, config)` is the one call the app factory makes. The Flask-side modules
are imported inside it, so importing `cds.views.trend` (pure) or `cds.views.urls` (the URL
paths) stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cds.views.settings import ViewsSettings, smart_settings_from_env
from cds.views.urls import DEMO_TREND_PATH, SMART_LAUNCH_PATH

if TYPE_CHECKING:
    from flask import Blueprint, Flask

    from cds.config import Config
    from cds.views.blueprint import DemoBackend

__all__ = [
    "DEMO_TREND_PATH",
    "SMART_LAUNCH_PATH",
    "ViewsSettings",
    "create_views_blueprint",
    "demo_backend",
    "register_views",
    "settings_from_config",
]


def settings_from_config(config: Config, environ: Mapping[str, str] | None = None) -> ViewsSettings:
    """The views' settings: the service's Config plus the `LNCDS_SMART_*` client registration."""
    smart = smart_settings_from_env(environ)
    return ViewsSettings(
        demo=config.demo,
        profile=config.profile,
        timezone=config.timezone,
        fhir_allowlist=config.fhir_allowed_servers,
        fhir_allow_http=config.fhir_allow_http,
        # Interactive page loads, not the hook's 500 ms path: allow the EHR's server more time.
        fhir_timeout_seconds=max(config.fhir_timeout_seconds, 10.0),
        fhir_budget_seconds=max(config.fhir_budget_seconds, 20.0),
        clock=config.clock,
        as_of=config.as_of,
        public_url=config.public_url,
        smart_client_id=smart.client_id,
        smart_client_secret=smart.client_secret,
        smart_scope=smart.scope,
        session_ttl_seconds=smart.session_ttl_seconds,
    )


def demo_backend(*, hook_auth: bool) -> DemoBackend:
    """The embedded synthetic cohort, through the same `DemoDataSource` the hook uses."""
    from cds.datasources.demo import DemoDataSource  # noqa: PLC0415
    from cds.demo import DEMO_AS_OF, load_cohort  # noqa: PLC0415
    from cds.views.blueprint import DemoBackend  # noqa: PLC0415
    from cds.views.demo_issuer import DemoEhrIssuer  # noqa: PLC0415

    source = DemoDataSource()
    stories = {p.id: p.story for p in load_cohort()}
    return DemoBackend(
        source=source,
        patient_ids=tuple(pid for pid in source.patient_ids if pid in stories),
        as_of=DEMO_AS_OF,
        stories=stories,
        # With hook authentication on, the demo EHR signs its calls like an EHR does.
        issuer=DemoEhrIssuer.generate() if hook_auth else None,
    )


def create_views_blueprint(settings: ViewsSettings, **kwargs: object) -> Blueprint:
    from cds.views.blueprint import create_views_blueprint as create  # noqa: PLC0415

    return create(settings, **kwargs)  # type: ignore[arg-type]


def register_views(app: Flask, config: Config, *, settings: ViewsSettings | None = None) -> None:
    """Register the views blueprint on `app` (called once by `cds.web.app.create_app`)."""
    from cds.views.blueprint import create_views_blueprint as create  # noqa: PLC0415

    views_settings = settings or settings_from_config(config)
    _check_smart_link(config, views_settings)
    demo = demo_backend(hook_auth=config.auth) if views_settings.demo else None
    app.register_blueprint(create(views_settings, demo=demo))


def _check_smart_link(config: Config, settings: ViewsSettings) -> None:
    """A card link to *our* SMART launch needs our SMART client: refuse to start without it.

    (`LNCDS_SMART_LAUNCH_URL` may also name another app's launch URL; that is left alone.)
    """
    from urllib.parse import urlsplit  # noqa: PLC0415

    from cds.config import ConfigError  # noqa: PLC0415

    url = config.smart_launch_url
    if url is None or settings.smart_enabled:
        return
    ours = urlsplit(url).path.rstrip("/") == SMART_LAUNCH_PATH and (
        config.public_url is None or url.startswith(config.public_url.rstrip("/") + "/")
    )
    if ours:
        raise ConfigError(
            "LNCDS_SMART_LAUNCH_URL names this service's SMART launch, "
            "which needs LNCDS_SMART_CLIENT_ID"
        )
