"""Fixtures for the views: a bare Flask app with the views blueprint, and a stand-in EHR.

The views are tested on a bare `Flask(__name__)` app so they do not depend on the service's
app factory; `tests/browser/` runs them inside the real `create_app` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import StrictUndefined

from cds.demo import load_cohort
from cds.views.blueprint import create_views_blueprint
from cds.views.settings import ViewsSettings
from cds.views.smart import DEFAULT_SCOPE
from tests.browser.oauth_server import RunningEhr, running_ehr

CLIENT_ID = "ln-cds-views-test"
SMART_PATIENT = "ln-demo-09"  # the cohort's confirmed proteinuric flare
# 23:30 UTC on 31 October is already 1 November (the cohort's as-of date) in Berlin: the
# SMART view must take "today" in the configured zone, not in UTC.
FROZEN_NOW = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)


@pytest.fixture
def ehr() -> Iterator[RunningEhr]:
    """A running SMART EHR stand-in (Authlib authorization server + FHIR endpoint) holding
    one cohort patient's resources in memory."""
    with running_ehr() as server:
        patient = next(p for p in load_cohort() if p.id == SMART_PATIENT)
        server.add_resources(patient.resources())
        server.register_client(CLIENT_ID, "http://localhost/smart/callback", DEFAULT_SCOPE)
        yield server


def smart_settings(ehr: RunningEhr, **changes: object) -> ViewsSettings:
    values: dict[str, object] = {
        "smart_client_id": CLIENT_ID,
        "fhir_allowlist": (ehr.fhir_base,),
        "fhir_allow_http": True,
        "timezone": "Europe/Berlin",
        "clock": lambda: FROZEN_NOW,
    }
    values.update(changes)
    return ViewsSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def smart_app(ehr: RunningEhr) -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.jinja_env.undefined = StrictUndefined
    app.register_blueprint(create_views_blueprint(smart_settings(ehr)))
    return app


@pytest.fixture
def client(smart_app: Flask) -> FlaskClient:
    return smart_app.test_client()
